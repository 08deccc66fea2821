"""Reading .sumocfg files and building SUMO's command line without giving an option twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from signalbrain.errors import InputError
from signalbrain.sim.config import read_sumocfg, split_sumo_args, sumo_command, tripinfo_path


def _cfg(folder: Path, body: str, net: bool = True) -> Path:
    if net:
        (folder / "a.net.xml").write_text("<net/>", encoding="utf-8")
    path = folder / "x.sumocfg"
    path.write_text(f"<configuration>{body}</configuration>", encoding="utf-8")
    return path


def test_read_resolves_paths_and_times(tmp_path: Path) -> None:
    path = _cfg(
        tmp_path,
        '<input><net-file value="a.net.xml"/><route-files value="r1.xml,r2.xml"/>'
        '<additional-files value="own.add.xml"/></input>'
        '<time><begin value="1:00:00"/><end value="7200"/></time>'
        '<output><tripinfo-output value="out/ti.xml"/></output>',
    )
    cfg = read_sumocfg(path)
    assert cfg.net_file == tmp_path.resolve() / "a.net.xml"
    assert cfg.route_files == (tmp_path.resolve() / "r1.xml", tmp_path.resolve() / "r2.xml")
    assert cfg.additional_files == (tmp_path.resolve() / "own.add.xml",)
    assert (cfg.begin_s, cfg.end_s) == (3600.0, 7200.0)
    assert cfg.tripinfo_output == tmp_path.resolve() / "out" / "ti.xml"


@pytest.mark.parametrize(
    ("body", "net", "message"),
    [
        ('<input><route-files value="r.xml"/></input>', True, "input.net-file: missing"),
        ('<input><net-file value="nope.net.xml"/></input>', True, "network file not found"),
        ('<input><net-file value="a.net.xml"/>', True, "malformed XML"),
        (
            '<input><net-file value="a.net.xml"/></input><time><end value="soon"/></time>',
            True,
            "'soon' is not a number",
        ),
    ],
)
def test_read_rejects_bad_configs(tmp_path: Path, body: str, net: bool, message: str) -> None:
    path = _cfg(tmp_path, body, net)
    with pytest.raises(InputError, match=message) as info:
        read_sumocfg(path)
    assert str(path) in str(info.value)


def test_read_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="SUMO configuration not found"):
        read_sumocfg(tmp_path / "none.sumocfg")


def test_split_keeps_unwatched_arguments_verbatim() -> None:
    opts = split_sumo_args(
        [
            "--seed",
            "42",
            "--step-length=0.5",
            "-a",
            "u.xml",
            "--lateral-resolution",
            "0.8",
            "--no-step-log",
        ]
    )
    assert opts.get("seed") == "42"
    assert opts.get("step-length") == "0.5"
    assert opts.get("additional-files") == "u.xml"
    assert opts.get("no-step-log") == "true"
    assert opts.rest == ("--lateral-resolution", "0.8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seed", "1", "--seed", "2"], "given twice"),
        (["-a", "x.xml", "--additional-files", "y.xml"], "given twice"),
        (["--net-file", "n.xml"], "configuration CONFIG.sumocfg decides"),
        (["--end"], "needs a value"),
    ],
)
def test_split_rejects(args: list[str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        split_sumo_args(args)


def test_command_merges_additional_files_into_one_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = read_sumocfg(
        _cfg(
            tmp_path,
            '<input><net-file value="a.net.xml"/><additional-files value="own.add.xml"/></input>',
        )
    )
    opts = split_sumo_args(["--additional-files", "user.add.xml", "--seed", "7"])
    cmd = sumo_command(
        cfg,
        opts,
        own_additional=[Path("/tmp/det.add.xml")],
        tripinfo_output=Path("/tmp/ti.xml"),
        end_s=600,
    )
    assert cmd.count("--additional-files") == 1
    merged = cmd[cmd.index("--additional-files") + 1].split(",")
    assert merged == [
        str(tmp_path.resolve() / "own.add.xml"),
        str(tmp_path.resolve() / "user.add.xml"),
        "/tmp/det.add.xml",
    ]
    assert cmd[cmd.index("--end") + 1] == "600"
    assert cmd[cmd.index("--seed") + 1] == "7"
    assert cmd[cmd.index("--tripinfo-output") + 1] == "/tmp/ti.xml"
    flags = [a for a in cmd if a.startswith("--")]
    assert len(flags) == len(set(flags))


def test_command_leaves_the_config_alone_without_own_files(tmp_path: Path) -> None:
    cfg = read_sumocfg(
        _cfg(
            tmp_path,
            '<input><net-file value="a.net.xml"/>'
            '<additional-files value="own.add.xml"/></input>'
            '<output><tripinfo-output value="ti.xml"/></output>',
        )
    )
    cmd = sumo_command(cfg, split_sumo_args([]), tripinfo_output=Path("/tmp/other.xml"))
    assert "--additional-files" not in cmd  # the config's own value stays in force
    assert "--tripinfo-output" not in cmd  # the config's own trip-info file is used
    assert (
        tripinfo_path(cfg, split_sumo_args([]), Path("/tmp/other.xml"))
        == tmp_path.resolve() / "ti.xml"
    )


def test_end_given_twice_is_bad_input(tmp_path: Path) -> None:
    cfg = read_sumocfg(_cfg(tmp_path, '<input><net-file value="a.net.xml"/></input>'))
    with pytest.raises(InputError, match="--end"):
        sumo_command(cfg, split_sumo_args(["--end", "100"]), end_s=50)


@pytest.mark.parametrize(
    ("config_prefix", "args", "expected"),
    [
        (None, ["--output-prefix", "run1_"], "run1_ti.xml"),
        ("cfg_", [], "cfg_ti.xml"),
        ("cfg_", ["--output-prefix=user_"], "user_ti.xml"),
    ],
)
def test_tripinfo_path_has_the_output_prefix_sumo_prepends(
    tmp_path: Path, config_prefix: str | None, args: list[str], expected: str
) -> None:
    prefix = "" if config_prefix is None else f'<output-prefix value="{config_prefix}"/>'
    cfg = read_sumocfg(
        _cfg(
            tmp_path,
            '<input><net-file value="a.net.xml"/></input>'
            f'<output><tripinfo-output value="out/ti.xml"/>{prefix}</output>',
        )
    )
    found = tripinfo_path(cfg, split_sumo_args(args), Path("/tmp/other.xml"))
    assert found == tmp_path.resolve() / "out" / expected


def test_tripinfo_path_with_a_prefix_that_names_a_folder(tmp_path: Path) -> None:
    """SUMO prepends "run1/" to the file's name as text (run1/ti.xml); Path.with_name refused
    the name and sumo run ended with an internal error (ValueError) after the whole run."""
    cfg = read_sumocfg(_cfg(tmp_path, '<input><net-file value="a.net.xml"/></input>'))
    options = split_sumo_args(["--output-prefix", "run1/", "--tripinfo-output", "ti.xml"])
    found = tripinfo_path(cfg, options, Path("/tmp/other.xml"))
    assert found == Path.cwd().resolve() / "run1" / "ti.xml"


def test_tripinfo_path_finds_the_file_of_a_time_prefix(tmp_path: Path) -> None:
    cfg = read_sumocfg(_cfg(tmp_path, '<input><net-file value="a.net.xml"/></input>'))
    written = tmp_path / "r_2026-12-07-21-10-04_ti.xml"  # what SUMO makes of "r_TIME_"
    written.write_text("<tripinfos/>", encoding="utf-8")
    found = tripinfo_path(cfg, split_sumo_args(["--output-prefix", "r_TIME_"]), tmp_path / "ti.xml")
    assert found == written


@pytest.mark.parametrize(
    "args",
    [
        ["--tripinfo-output.write-unfinished", "false"],
        ["--tripinfo-output.write-unfinished=false"],
        ["--seed", "1", "--tripinfo-output.write-unfinished=0"],
    ],
)
def test_turning_off_unfinished_trips_is_refused(args: list[str]) -> None:
    """Without them the departed count is the arrived count and mean_delay_all_s forgets the
    vehicles still driving."""
    with pytest.raises(InputError, match=r"write-unfinished .*: signalbrain needs the trips"):
        split_sumo_args(args)


def test_read_takes_the_short_value_attribute_sumo_takes(tmp_path: Path) -> None:
    """SUMO reads ``<n v="..."/>`` as it reads ``<net-file value="..."/>``; the config reader
    used to see no network in it."""
    cfg = read_sumocfg(_cfg(tmp_path, '<input><n v="a.net.xml"/><r v="r.xml"/></input>'))
    assert cfg.net_file == tmp_path.resolve() / "a.net.xml"
    assert cfg.route_files == (tmp_path.resolve() / "r.xml",)


def test_a_negative_end_is_sumos_no_end(tmp_path: Path) -> None:
    """``<end value="-1"/>`` is SUMO's default, "no end"; read as an end at -1 s, optimize on
    such a config stopped with '--end: -1: the demand period 0--1 s is empty'."""
    body = '<input><net-file value="a.net.xml"/></input><time><end value="-1"/></time>'
    assert read_sumocfg(_cfg(tmp_path, body)).end_s is None
