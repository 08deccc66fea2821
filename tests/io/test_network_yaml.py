"""Network YAML: bundled files, round trips and one clear message per kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from signalbrain.cli import main
from signalbrain.errors import InputError
from signalbrain.io import bundled_names, bundled_network, read_network, write_network
from signalbrain.network.generate import grid

SINGLE = """
name: t
nodes: {A: [0, 0], N: [0, 300], S: [0, -300], E: [300, 0], W: [-300, 0]}
links:
  W_A: {from: W, to: A, lanes: 2}
  A_E: {from: A, to: E}
  E_A: {from: E, to: A, lanes: 2}
  A_W: {from: A, to: W}
  S_A: {from: S, to: A}
  A_N: {from: A, to: N}
  N_A: {from: N, to: A}
  A_S: {from: A, to: S}
intersections:
  A:
    phases:
      - {number: 2, protected: [W_A.T, W_A.R, E_A.T, E_A.R], permitted: [W_A.L, E_A.L]}
      - {number: 4, protected: [S_A.T, S_A.R, N_A.T, N_A.R], permitted: [S_A.L, N_A.L]}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "net.yaml"
    path.write_text(text)
    return path


def edit(change: str, old: str, new: str) -> str:
    assert old in change, old
    return change.replace(old, new, 1)


def test_minimal_file_loads_with_inferred_movements(tmp_path: Path) -> None:
    net = read_network(write(tmp_path, SINGLE))
    isec = net.intersection("A")
    assert len(isec.movements) == 12
    assert net.link("W_A").length_m == pytest.approx(300.0)
    assert isec.rings == ((2, 4),)


@pytest.mark.parametrize("name", ["single", "arterial", "grid3x3"])
def test_bundled_networks_load_and_round_trip(name: str, tmp_path: Path) -> None:
    net = read_network(bundled_network(name))
    for compact in (False, True):
        out = write_network(net, tmp_path / f"{name}.yaml", compact=compact)
        assert read_network(out) == net


def test_shared_lanes_are_read_and_written(tmp_path: Path) -> None:
    text = edit(
        SINGLE, "  A:\n    phases:", "  A:\n    shared_lanes: [[W_A.T, W_A.L]]\n    phases:"
    )
    net = read_network(write(tmp_path, text))
    isec = net.intersection("A")
    assert isec.shared_lanes == frozenset({("W_A.L", "W_A.T")})
    assert isec.lane_sharers("W_A.T") == frozenset({"W_A.L"})
    assert isec.lane_sharers("E_A.T") == frozenset()
    for compact in (False, True):
        assert read_network(write_network(net, tmp_path / "out.yaml", compact=compact)) == net


def test_bundled_names() -> None:
    assert {"single", "arterial", "grid3x3"} <= set(bundled_names())


def test_single_is_eight_phase_nema() -> None:
    isec = read_network(bundled_network("single")).intersection("A")
    assert sorted(p.number for p in isec.phases) == list(range(1, 9))
    assert isec.rings == ((1, 2, 3, 4), (5, 6, 7, 8))
    assert isec.phase(2).permitted == ("W_A.L",)  # protected-permitted left


BAD_CASES = [
    # (what, old, new, expected message fragment)
    ("malformed YAML", "name: t", "name: [t", "malformed YAML at line"),
    (
        "wrong type",
        "W_A: {from: W, to: A, lanes: 2}",
        "W_A: {from: W, to: A, lanes: two}",
        "links.W_A.lanes = 'two': expected an integer",
    ),
    (
        "zero lanes",
        "W_A: {from: W, to: A, lanes: 2}",
        "W_A: {from: W, to: A, lanes: 0}",
        "links.W_A.lanes = 0: must be 1 to 64",
    ),
    (
        "node coordinate not finite",
        "E: [300, 0]",
        "E: [.inf, 0]",
        "nodes.E = [inf, 0]: coordinates must be finite",
    ),
    (
        "lanes beyond any road",
        "W_A: {from: W, to: A, lanes: 2}",
        "W_A: {from: W, to: A, lanes: 1000000000000}",
        "must be 1 to 64",
    ),
    (
        "signal without phases",
        """    phases:
      - {number: 2, protected: [W_A.T, W_A.R, E_A.T, E_A.R], permitted: [W_A.L, E_A.L]}
      - {number: 4, protected: [S_A.T, S_A.R, N_A.T, N_A.R], permitted: [S_A.L, N_A.L]}
""",
        "    phases: []\n",
        "intersections.A.phases: no phases; a signal needs at least one phase",
    ),
    (
        "negative length",
        "A_E: {from: A, to: E}",
        "A_E: {from: A, to: E, length_m: -4}",
        "links.A_E.length_m = -4.0: must be > 0",
    ),
    (
        "dangling node",
        "A_E: {from: A, to: E}",
        "A_E: {from: A, to: Q}",
        "links.A_E.to: 'Q': unknown node",
    ),
    (
        "unknown movement",
        "permitted: [W_A.L, E_A.L]",
        "permitted: [W_A.L, A_Q.T]",
        "intersections.A.phases[0].permitted[1]: 'A_Q.T': unknown movement; known:",
    ),
    (
        "conflicting phase",
        "protected: [W_A.T, W_A.R, E_A.T, E_A.R]",
        "protected: [W_A.T, W_A.R, E_A.T, E_A.R, S_A.T]",
        "gives green to conflicting movements",
    ),
    (
        "unserved movement",
        "permitted: [S_A.L, N_A.L]",
        "permitted: [S_A.L]",
        "movements no phase serves: N_A.L",
    ),
    (
        "min above max",
        "permitted: [W_A.L, E_A.L]}",
        "permitted: [W_A.L, E_A.L], min_green_s: 40, max_green_s: 30}",
        "phases[0].min_green_s = 40.0: greater than max_green_s = 30.0",
    ),
    (
        "missing yellow",
        "permitted: [W_A.L, E_A.L]}",
        "permitted: [W_A.L, E_A.L], yellow_s: 0}",
        "phases[0].yellow_s = 0.0: missing or short yellow",
    ),
    ("unknown field", "name: t", "name: t\nlinkz: {}", "linkz: unknown field; valid fields:"),
    (
        "unknown field in the sumo program",
        "  A:\n    phases:",
        "  A:\n    sumo: {tls_id: A, ofset_s: 3, phases: [{duration_s: 9, state: G}]}\n    phases:",
        "intersections.A.sumo.ofset_s: unknown field; valid fields: tls_id,",
    ),
    (
        "unknown field in a sumo phase",
        "  A:\n    phases:",
        "  A:\n    sumo: {tls_id: A, phases: [{duration_s: 30, state: G, minDur: 5}]}\n    phases:",
        "intersections.A.sumo.phases[0].minDur: unknown field; valid fields: duration_s,",
    ),
    (
        "shared lane, unknown movement",
        "  A:\n    phases:",
        "  A:\n    shared_lanes: [[W_A.T, W_A.Q]]\n    phases:",
        "intersections.A.shared_lanes: 'W_A.Q': unknown movement",
    ),
    (
        "shared lane across approaches",
        "  A:\n    phases:",
        "  A:\n    shared_lanes: [[W_A.T, E_A.L]]\n    phases:",
        "movements from different approaches ('E_A', 'W_A') cannot share a lane",
    ),
    (
        "shared lane, not a pair",
        "  A:\n    phases:",
        "  A:\n    shared_lanes: [[W_A.T]]\n    phases:",
        "intersections.A.shared_lanes[0] = ['W_A.T']: expected a pair of movement ids",
    ),
    (
        "disconnected",
        "A_S: {from: A, to: S}",
        "A_S: {from: A, to: S}\n  X_Y: {from: X, to: Y}",
        "X_Y.from: 'X': unknown node",
    ),
    # found in review: each of these was an internal error, a wrong path or silently accepted
    (
        "intersection with an empty node list",  # was ZeroDivisionError (exit 1)
        "  A:\n    phases:",
        "  A:\n    nodes: []\n    phases:",
        "intersections.A.nodes: is empty; expected the ids of the junction nodes",
    ),
    (
        "intersection nodes not a list",  # was ZeroDivisionError (exit 1)
        "  A:\n    phases:",
        "  A:\n    nodes: A\n    phases:",
        "intersections.A.nodes = 'A': expected a list of ids",
    ),
    (
        "node given twice",  # YAML kept the second silently
        "E: [300, 0],",
        "E: [300, 0], E: [900, 0],",
        "nodes.E: given twice (line 3, column",
    ),
    (
        "link given twice",  # the first link was dropped silently
        "A_E: {from: A, to: E}",
        "A_E: {from: A, to: E}\n  A_E: {from: A, to: E, lanes: 3}",
        "links.A_E: given twice (line 7, column 3; first on line 6)",
    ),
    (
        "sumo link index not a list",  # path was intersections.A.movements[0]
        "  A:\n    phases:",
        "  A:\n    movements:\n      - {from: W_A, to: A_E, turn: T, sumo_link_indices: 4}\n"
        "    phases:",
        "intersections.A.movements[0].sumo_link_indices = 4: expected a list",
    ),
    (
        "negative sumo link index",  # path ended in a made-up '.i'
        "  A:\n    phases:",
        "  A:\n    movements:\n      - {from: W_A, to: A_E, turn: T, sumo_link_indices: [-1]}\n"
        "    phases:",
        "intersections.A.movements[0].sumo_link_indices[0] = -1: must be >= 0",
    ),
    (
        "ring entry not a phase number",  # path ended in a made-up '.n'
        "  A:\n    phases:",
        "  A:\n    rings: [[2, true]]\n    phases:",
        "intersections.A.rings[0][1] = True: expected an integer, got a boolean",
    ),
    (
        "empty ring",  # silently ran every phase in the other ring
        "  A:\n    phases:",
        "  A:\n    rings: [[], [2, 4]]\n    barriers: [[2], [4]]\n    phases:",
        "intersections.A.rings[0]: is empty",
    ),
    (
        "movement in conflict with itself",  # silently accepted
        "  A:\n    phases:",
        "  A:\n    conflicts: {conflict: [[W_A.T, W_A.T]]}\n    phases:",
        "intersections.A.conflicts.conflict[0] = [W_A.T, W_A.T]: pairs a movement with itself",
    ),
    (
        "sumo params not a mapping",  # path was intersections.A.sumo
        "  A:\n    phases:",
        "  A:\n    sumo: {tls_id: A, phases: [{duration_s: 9, state: G}], params: [1]}\n"
        "    phases:",
        "intersections.A.sumo.params = [1]: expected a mapping",
    ),
    (
        "typo named with the field meant",
        "  A:\n    phases:",
        "  A:\n    phase: []\n    phases:",
        "intersections.A.phase: unknown field; valid fields: nodes, movements, conflicts, "
        "shared_lanes, phases, rings, barriers, cycle_min_s, cycle_max_s, sumo, notes; did you "
        "mean 'phases'?",
    ),
    (
        "number with a leading zero",  # text, so that ids keep their zeros; YAML 1.1 made it 192
        "A_E: {from: A, to: E}",
        "A_E: {from: A, to: E, length_m: 0300}",
        "links.A_E.length_m = '0300': expected a number, got a string (YAML reads 0300, with a "
        "leading zero, as text; write 300)",
    ),
    (
        "huge coordinate shown short",  # the message held all 400 digits
        "E: [300, 0]",
        "E: [1" + "0" * 400 + ", 0]",
        "nodes.E = [10000000000000000000000000000000000000000000000000000000...: coordinates",
    ),
    (
        "node id written two ways",  # 1 and '1' became one node silently
        "W: [-300, 0]}",
        "W: [-300, 0], 1: [5, 5], '1': [6, 6]}",
        "nodes.1: given twice, written 1 and '1'; ids must be unique",
    ),
]


@pytest.mark.parametrize(
    ("what", "old", "new", "message"), BAD_CASES, ids=[c[0] for c in BAD_CASES]
)
def test_bad_input_gives_one_clear_error(
    tmp_path: Path, what: str, old: str, new: str, message: str
) -> None:
    path = write(tmp_path, edit(SINGLE, old, new))
    with pytest.raises(InputError) as info:
        read_network(path)
    text = str(info.value)
    assert message in text
    assert str(path) in text


def test_disconnected_parts_are_reported(tmp_path: Path) -> None:
    text = edit(SINGLE, "W: [-300, 0]}", "W: [-300, 0], X: [900, 900], Y: [950, 900]}")
    text = edit(text, "A_S: {from: A, to: S}", "A_S: {from: A, to: S}\n  X_Y: {from: X, to: Y}")
    with pytest.raises(InputError, match="falls apart into 2 disconnected parts"):
        read_network(write(tmp_path, text))


def test_all_problems_are_gathered(tmp_path: Path) -> None:
    text = edit(SINGLE, "W_A: {from: W, to: A, lanes: 2}", "W_A: {from: W, to: A, lanes: 0}")
    text = edit(text, "A_E: {from: A, to: E}", "A_E: {from: A, to: Q}")
    with pytest.raises(InputError) as info:
        read_network(write(tmp_path, text))
    assert len(info.value.problems) >= 2


@pytest.mark.parametrize("case", BAD_CASES[:6], ids=[c[0] for c in BAD_CASES[:6]])
def test_cli_validate_exit_code_2_without_traceback(
    tmp_path: Path, case: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    _, old, new, message = case
    path = write(tmp_path, edit(SINGLE, old, new))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_cli_validate_prints_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(bundled_network("grid3x3"))]) == 0
    out = capsys.readouterr().out
    assert "signals     9" in out
    assert "phases      72" in out


def test_cli_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_written_yaml_is_plain_yaml(tmp_path: Path) -> None:
    out = write_network(grid(2, 2), tmp_path / "g.yaml")
    doc = yaml.safe_load(out.read_text())
    assert set(doc) >= {"nodes", "links", "intersections"}
    assert len(doc["intersections"]) == 4


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("net.json", "--output: net.json: the suffix must be one of .yaml, .yml"),  # got YAML
        (".", "--output: . is a folder; expected a file to write"),  # was exit 1
        ("none/net.yaml", "--output: folder none does not exist"),  # named a .tmp file
    ],
)
def test_cli_import_checks_its_output_before_reading(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    target: str,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["import-sumo", str(bundled_network("single")), "-o", target]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "suffix must be one of .yaml, .yml" not in err or target != "."
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("what", "text", "message"),
    [
        ("a list", "- nodes\n- links\n", ": = ['nodes', 'links']: got a list; expected a mapping"),
        ("a string", "nodes\n", ": = 'nodes': got a string; expected a mapping with nodes"),
        ("empty", "# nothing yet\n", ": the file is empty; expected a mapping with nodes"),
    ],
)
def test_a_document_that_is_not_a_mapping_is_one_problem(
    tmp_path: Path, what: str, text: str, message: str
) -> None:
    """It used to come with 'nodes/links/intersections: missing' besides."""
    with pytest.raises(InputError) as info:
        read_network(write(tmp_path, text))
    assert len(info.value.problems) == 1
    assert message in str(info.value)


def test_every_duplicate_key_is_named_with_its_lines(tmp_path: Path) -> None:
    text = edit(SINGLE, "name: t", "name: t\nname: u")
    text = edit(text, "lanes: 2}", "lanes: 2, lanes: 3}")
    with pytest.raises(InputError) as info:
        read_network(write(tmp_path, text))
    assert [p.path for p in info.value.problems] == ["name", "links.W_A.lanes"]
    assert "name: given twice (line 3, column 1; first on line 2)" in str(info.value)


def test_merge_keys_and_aliases_are_not_duplicates(tmp_path: Path) -> None:
    text = edit(SINGLE, "  W_A: {from: W, to: A, lanes: 2}", "  W_A: &w {from: W, to: A, lanes: 2}")
    text = edit(text, "  E_A: {from: E, to: A, lanes: 2}", "  E_A: {<<: *w, from: E}")
    net = read_network(write(tmp_path, text))
    assert net.link("E_A").from_node == "E"
    assert net.link("E_A").lanes == 2


@pytest.mark.parametrize(
    ("encoding", "ok"), [("utf-8-sig", True), ("utf-16", True), ("latin-1", False)]
)
def test_text_encodings(tmp_path: Path, encoding: str, ok: bool) -> None:
    """A BOM (UTF-8 or UTF-16, as Windows editors save) is read; other bytes are named."""
    path = tmp_path / "net.yaml"
    path.write_bytes(edit(SINGLE, "name: t", "name: caf\u00e9").encode(encoding))
    if ok:
        assert read_network(path).name == "caf\u00e9"
        return
    with pytest.raises(InputError) as info:
        read_network(path)
    assert str(info.value) == (
        f"{path}: not UTF-8 text: byte 0xe9 at line 2, column 10 cannot be read; "
        "save the file as UTF-8"
    )


def test_nul_byte_is_named_with_its_line(tmp_path: Path) -> None:
    """It was an internal error (yaml.reader.ReaderError raised outside the try)."""
    path = write(tmp_path, edit(SINGLE, "name: t", "name: t\x00"))
    with pytest.raises(InputError, match=r"line 2, column 8: character U\+0000 is not allowed"):
        read_network(path)


def test_a_malformed_node_is_reported_once(tmp_path: Path) -> None:
    """Not again as unknown at every link it ends, nor as a missing length of those links."""
    text = edit(SINGLE, "E: [300, 0]", "E: [300, 0, 0]")
    with pytest.raises(InputError) as info:
        read_network(write(tmp_path, text))
    assert [p.path for p in info.value.problems] == ["nodes.E"]


def test_a_malformed_default_is_reported_once(tmp_path: Path) -> None:
    """Not again as 'nan: must be finite' at every phase that uses it."""
    text = edit(SINGLE, "name: t", "name: t\ndefaults: {yellow_s: x}")
    with pytest.raises(InputError) as info:
        read_network(write(tmp_path, text))
    assert [p.path for p in info.value.problems] == ["defaults.yellow_s"]


def test_cli_empty_node_list_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, edit(SINGLE, "  A:\n    phases:", "  A:\n    nodes: []\n    phases:"))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "intersections.A.nodes: is empty" in err
    assert "internal error" not in err
