"""The ``sumo:`` program of an intersection in the network YAML is checked when the file is read.

Bad state letters, states of the wrong length, phases of no duration and link indices beyond the
program used to pass validation and fail only when the program was written back to SUMO.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from signalbrain.cli import main
from signalbrain.errors import InputError
from signalbrain.io import network_to_dict, read_network
from signalbrain.io._yaml import Dumper
from signalbrain.io.sumo_programs import sumo_programs_xml
from signalbrain.network.generate import grid

Doc = dict[str, Any]


def _doc() -> tuple[Doc, str, int]:
    """A one-signal network document with a SUMO program: one link index per movement, two
    phases of a state each; with the intersection id and the number of links."""
    net = grid(1, 1)
    doc = network_to_dict(net)
    iid = net.intersections[0].id
    isec = doc["intersections"][iid]
    for i, mv in enumerate(isec["movements"]):
        mv["sumo_link_indices"] = [i]
    n = len(isec["movements"])
    isec["sumo"] = {
        "tls_id": iid,
        "program_id": "0",
        "type": "static",
        "offset_s": 0,
        "link_count": n,
        "phases": [
            {"duration_s": 30, "state": "G" * n},
            {"duration_s": 4, "state": "y" * n, "min_dur_s": 3, "max_dur_s": 6},
        ],
    }
    return doc, iid, n


def _sumo(doc: Doc) -> Doc:
    return next(iter(doc["intersections"].values()))["sumo"]  # type: ignore[no-any-return]


def _set_state(k: int, state: Callable[[int], str]) -> Callable[[Doc, int], None]:
    def edit(doc: Doc, n: int) -> None:
        _sumo(doc)["phases"][k]["state"] = state(n)

    return edit


def _set_phase(k: int, **values: Any) -> Callable[[Doc, int], None]:
    def edit(doc: Doc, n: int) -> None:
        _sumo(doc)["phases"][k].update(values)

    return edit


def _all_zero(doc: Doc, n: int) -> None:
    for ph in _sumo(doc)["phases"]:
        ph["duration_s"] = 0


def _no_phases(doc: Doc, n: int) -> None:
    _sumo(doc)["phases"] = []


def _no_links(doc: Doc, n: int) -> None:
    _sumo(doc)["link_count"] = 0


def _index_beyond(doc: Doc, n: int) -> None:
    next(iter(doc["intersections"].values()))["movements"][1]["sumo_link_indices"] = [n]


BAD: list[tuple[str, Callable[[Doc, int], None], str]] = [
    (
        "a letter SUMO does not know",
        _set_state(0, lambda n: "GX" + "G" * (n - 2)),
        "sumo.phases[0].state = 'GX{G}': invalid characters 'X'; valid: r R y Y g G u O o s",
    ),
    (
        "a state one character short",
        _set_state(1, lambda n: "y" * (n - 1)),
        "sumo.phases[1].state = '{y-}': {n-} characters; expected {n}, one per controlled link "
        "(link_count = {n})",
    ),
    (
        "a state one character long",
        _set_state(0, lambda n: "G" * (n + 1)),
        "sumo.phases[0].state = '{G+}': {n+} characters; expected {n}",
    ),
    ("all durations zero", _all_zero, "sumo.phases[0].duration_s = 0: must be > 0"),
    (
        "a phase of no duration",
        _set_phase(1, duration_s=0),
        "phases[1].duration_s = 0: must be > 0",
    ),
    (
        "a negative duration",
        _set_phase(0, duration_s=-5),
        "phases[0].duration_s = -5: must be >= 0",
    ),
    ("a negative minDur", _set_phase(1, min_dur_s=-1), "phases[1].min_dur_s = -1: must be >= 0"),
    ("a negative maxDur", _set_phase(1, max_dur_s=-2), "phases[1].max_dur_s = -2: must be >= 0"),
    (
        "minDur above maxDur",
        _set_phase(1, min_dur_s=9),
        "sumo.phases[1].min_dur_s = 9: greater than max_dur_s = 6",
    ),
    ("no phases", _no_phases, "sumo.phases: no phases; a SUMO program needs at least one phase"),
    ("no links", _no_links, "sumo.link_count = 0: must be >= 1"),
    (
        "a link index beyond the program",
        _index_beyond,
        "movements[1].sumo_link_indices[0] = {n}: beyond the {n} links of the SUMO program "
        "(sumo.link_count); must be 0 to {n-1}",
    ),
]


def _message(template: str, n: int) -> str:
    return (
        template.replace("{G}", "G" * (n - 2))
        .replace("{y-}", "y" * (n - 1))
        .replace("{G+}", "G" * (n + 1))
        .replace("{n-}", str(n - 1))
        .replace("{n+}", str(n + 1))
        .replace("{n-1}", str(n - 1))
        .replace("{n}", str(n))
    )


def _write(tmp_path: Path, doc: Doc) -> Path:
    path = tmp_path / "net.yaml"
    path.write_text(yaml.dump(doc, Dumper=Dumper, sort_keys=False), encoding="utf-8")
    return path


def test_a_good_program_reads_and_writes_back(tmp_path: Path) -> None:
    doc, iid, _n = _doc()
    net = read_network(_write(tmp_path, doc))
    assert net.intersection(iid).sumo is not None
    assert len(sumo_programs_xml(net)) == 1


def test_link_count_defaults_to_the_state_length(tmp_path: Path) -> None:
    doc, iid, n = _doc()
    del _sumo(doc)["link_count"]
    sumo = read_network(_write(tmp_path, doc)).intersection(iid).sumo
    assert sumo is not None
    assert sumo.link_count == n  # was 0: every state then failed to write back


@pytest.mark.parametrize(("what", "edit", "message"), BAD, ids=[c[0] for c in BAD])
def test_bad_program_is_refused_on_reading(
    tmp_path: Path, what: str, edit: Callable[[Doc, int], None], message: str
) -> None:
    doc, iid, n = _doc()
    edit(doc, n)
    path = _write(tmp_path, doc)
    with pytest.raises(InputError) as info:
        read_network(path)
    text = str(info.value)
    assert f"{path}: intersections.{iid}." in text
    assert _message(message, n) in text


def test_cli_validate_exit_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc, iid, n = _doc()
    _set_state(0, lambda n: "Z" * n)(doc, n)
    assert main(["validate", str(_write(tmp_path, doc))]) == 2
    err = capsys.readouterr().err
    assert f"intersections.{iid}.sumo.phases[0].state" in err
    assert "Traceback" not in err
