"""``signalbrain escort``: table, JSON, ATSPM CSV, time-space diagram, exit codes."""

from __future__ import annotations

import json

import pytest

from signalbrain.cli import main
from signalbrain.escort import EscortRequest, plan_escort
from signalbrain.io.atspm import read_events_csv


def test_escort_on_a_bundled_network_writes_everything(tmp_path, capsys):
    out = tmp_path / "plan.json"
    events = tmp_path / "events.csv"
    png = tmp_path / "ts.png"
    code = main(
        [
            "escort",
            "arterial",
            "--from",
            "W",
            "--to",
            "E",
            "--depart",
            "30",
            "--queue",
            "S3_S4=12",
            "--json",
            str(out),
            "--events",
            str(events),
            "--plot",
            str(png),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "signal" in text
    assert "S4" in text
    doc = json.loads(out.read_text())
    assert [s["signal"] for s in doc["signals"]] == ["S1", "S2", "S3", "S4", "S5", "S6"]
    s4 = doc["signals"][3]
    assert s4["queue_veh"] == 12
    assert s4["open_s"] <= s4["eta_s"] - s4["flush_s"]
    assert s4["call_s"] <= s4["open_s"]
    assert doc["route"][0] == "W_S1"
    assert {e["event_code"] for e in doc["events"]} >= {102, 104, 105, 106, 107, 111, 150}
    rows = read_events_csv(events)
    assert len(rows) == len(doc["events"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_json_to_stdout(capsys):
    assert main(["escort", "arterial", "--from", "W_S1", "--to", "S6_E", "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["vehicle_id"] == "ev0"
    assert doc["travel_time_s"] == pytest.approx(doc["free_flow_s"], rel=1e-6)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "W", "--to", "nowhere"], "destination: 'nowhere'"),
        (["--from", "W", "--to", "E", "--queue", "S1_S2=lots"], "--queue"),
        (["--from", "W", "--to", "E", "--depart", "-5"], "--depart"),
        (
            ["--from", "W", "--to", "E", "--depart", "1e300"],
            "--depart: 1e+300: must be a time from 0",
        ),
        (
            ["--from", "W", "--to", "E", "--queue", "S1_S2=1e308"],
            "expected LINK=VEH with 0 <= VEH <= 100000",
        ),
        (["--from", "W", "--to", "E", "--plot", "e.txt"], "--plot: e.txt: the suffix must be"),
        (["--from", "W", "--to", "E", "--plot", "schedule"], "--plot: schedule: the suffix"),
        (["--from", "W", "--to", "E", "--plot", "."], "--plot: . is a folder; expected a file"),
        (["--from", "W", "--to", "E", "--json", "."], "--json: . is a folder"),
        (["--from", "W", "--to", "E", "--events", "."], "--events: . is a folder"),
    ],
)
def test_bad_input_exits_2_with_one_clear_message(capsys, args, message):
    assert main(["escort", "arterial", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "problems" not in err  # one message ('.' was also told its suffix was wrong)
    assert "Traceback" not in err


def test_plan_file_is_used_and_checked(tmp_path, capsys, plans_for):
    from signalbrain.io import bundled_network, read_network
    from signalbrain.io.plan import write_plan
    from signalbrain.timing import NetworkPlan

    net = read_network(bundled_network("arterial"))
    plans = plans_for(net)
    path = write_plan(NetworkPlan(plans), tmp_path / "plan.yaml")
    out = tmp_path / "s.json"
    assert (
        main(
            [
                "escort",
                "arterial",
                "--plan",
                str(path),
                "--from",
                "W",
                "--to",
                "E",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    calls = [s["call_s"] for s in json.loads(out.read_text())["signals"]]
    want = plan_escort(net, EscortRequest("ev0", "W", "E"), plans)
    assert calls == [round(w.call_s, 3) for w in want.windows]
    assert main(["escort", "arterial", "--from", "W", "--to", "E", "--json", str(out)]) == 0
    assert [s["call_s"] for s in json.loads(out.read_text())["signals"]] != calls  # defaults
    partial = write_plan(NetworkPlan({"S1": plans["S1"]}), tmp_path / "partial.yaml")
    assert main(["escort", "arterial", "--plan", str(partial), "--from", "W", "--to", "E"]) == 2
    assert "no plan for signal 'S2'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # a name that is neither a file nor bundled: was "unknown network format; expected
        # .yaml, ..." (the bundled names are what was meant)
        (
            ["arterail", "--from", "W", "--to", "E"],
            "NETWORK: 'arterail': no such file and no bundled network of that name; bundled: "
            "arterial, grid3x3, single",
        ),
        # a queue measured twice: the first value was dropped silently
        (
            ["arterial", "--from", "W", "--to", "E", "--queue", "S3_S4=5", "--queue", "S3_S4=7"],
            "--queue: 'S3_S4' given twice (5 and 7)",
        ),
    ],
)
def test_names_and_queues_are_checked(capsys, args, message):
    assert main(["escort", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_json_on_stdout_stays_json_with_other_outputs(tmp_path, capsys):
    """``--json -`` with ``--events``/``--plot``: the "wrote ..." lines went to stdout after
    the document, which then no longer parsed."""
    events = tmp_path / "events.csv"
    code = main(
        ["escort", "arterial", "--from", "W", "--to", "E", "--json", "-", "--events", str(events)]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["vehicle_id"] == "ev0"
    assert f"wrote {events}" in captured.err
    assert events.exists()


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        (("--json", "out.json"), ("--events", "out.json"), "--events: "),
        (("--events", "out.png"), ("--plot", "out.png"), "--plot: "),
    ],
)
def test_two_outputs_to_one_file_are_refused(tmp_path, capsys, first, second, message):
    """One file for two outputs: the later writer overwrote the earlier without a word."""
    args = [first[0], str(tmp_path / first[1]), second[0], str(tmp_path / second[1])]
    assert main(["escort", "arterial", "--from", "W", "--to", "E", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert f"is also the {first[0]} file" in err
    assert "Traceback" not in err
    assert not (tmp_path / first[1]).exists()


@pytest.mark.parametrize(
    ("option", "input_file", "message"),
    [
        ("--events", "net.yaml", "--events: {net} is also the NETWORK file; expected another"),
        ("--json", "plan.yaml", "--json: {plan} is also the --plan file; expected another"),
    ],
)
def test_an_output_naming_an_input_file_is_refused(
    tmp_path, capsys, plans_for, option, input_file, message
):
    """The schedule overwrote the network or plan file it was planned from."""
    from signalbrain.io import bundled_network, read_network
    from signalbrain.io.plan import write_plan
    from signalbrain.timing import NetworkPlan

    source = bundled_network("arterial")
    net_file = tmp_path / "net.yaml"
    net_file.write_bytes(source.read_bytes())
    plan_file = write_plan(NetworkPlan(plans_for(read_network(source))), tmp_path / "plan.yaml")
    before = {p: p.read_bytes() for p in (net_file, plan_file)}
    args = ["escort", str(net_file), "--plan", str(plan_file), "--from", "W", "--to", "E"]
    assert main([*args, option, str(tmp_path / input_file)]) == 2
    err = capsys.readouterr().err
    assert message.format(net=net_file, plan=plan_file) in err
    assert {p: p.read_bytes() for p in before} == before
