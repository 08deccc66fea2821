"""The count of consecutive edge pairs of SUMO routes (compiled loop, and its numpy twin) against
the plain loop it replaced: same movements, same order, same floating-point sums; and the route
edges numbered in the file's bytes against ``str.split`` and a dict."""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signalbrain.io import _route_pairs
from signalbrain.io._xml_kernels import token_ids_kernel
from signalbrain.io._xml_scan import available
from signalbrain.io.demand import _count_pairs, _edge_numbers

EDGES = [f"e{k}" for k in range(7)] + ["unknown"]


def _loop(
    routes: list[tuple[list[str], float, bool]], by_links: dict[tuple[str, str], str]
) -> tuple[dict[str, float], dict[str, float]]:
    counts: dict[str, float] = defaultdict(float)
    heavy: dict[str, float] = defaultdict(float)
    for edges, n, is_heavy in routes:
        for a, b in itertools.pairwise(edges):
            mid = by_links.get((a, b))
            if mid is not None:
                counts[mid] += n
                if is_heavy:
                    heavy[mid] += n
    return dict(counts), dict(heavy)


links = st.dictionaries(
    st.tuples(st.sampled_from(EDGES[:-1]), st.sampled_from(EDGES[:-1])),
    st.sampled_from(["m1", "m2", "m3", "m4", "m5"]),
    max_size=20,
)
routes = st.lists(
    st.tuples(
        st.lists(st.sampled_from(EDGES), max_size=9),
        st.floats(0.0, 50.0, allow_nan=False),
        st.booleans(),
    ),
    max_size=30,
)


@pytest.fixture(params=["compiled", "numpy"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways of counting: the compiled loop (where the extension is built) and numpy."""
    if request.param == "compiled" and not available():
        pytest.skip("the kernels are not built ahead of time here")
    if request.param == "numpy":
        # the pair count lives in _route_pairs (moved out of demand): patch it where it is used
        monkeypatch.setattr(_route_pairs, "available", lambda: False)
    return str(request.param)


# the fixture picks the way of counting once per test: the same for every example
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(links, routes, st.data())
def test_counts_equal_the_plain_loop(
    path: str,
    by_links: dict[tuple[str, str], str],
    batch: list[tuple[list[str], float, bool]],
    data: st.DataObject,
) -> None:
    want_counts, want_heavy = _loop(batch, by_links)
    counts, heavy = _count_pairs(batch, by_links)
    assert list(counts.items()) == list(want_counts.items())
    assert list(heavy.items()) == list(want_heavy.items())
    # some routes given as edge numbers, as the scanner's route pass gives them
    numbers = _edge_numbers(by_links)
    mixed = [
        (np.array([numbers.get(e, -1) for e in edges], dtype=np.int64), n, h)
        if data.draw(st.booleans())
        else (edges, n, h)
        for edges, n, h in batch
    ]
    counts, heavy = _count_pairs(mixed, by_links)
    assert list(counts.items()) == list(want_counts.items())
    assert list(heavy.items()) == list(want_heavy.items())


def test_pairs_do_not_run_across_routes(path: str) -> None:
    by_links = {("a", "b"): "m"}
    counts, heavy = _count_pairs([(["x", "a"], 1.0, False), (["b", "y"], 2.0, True)], by_links)
    assert counts == {}
    assert heavy == {}
    counts, heavy = _count_pairs([(["a", "b", "a", "b"], 0.5, True)], by_links)
    assert counts == {"m": 1.0}
    assert heavy == {"m": 1.0}


def _numbered(text: str, names: list[str]) -> tuple[list[int], list[int]]:
    """token_ids_kernel over ``text`` cut at ``|`` into spans."""
    pieces = text.split("|")
    data = bytearray("".join(pieces).encode())
    starts, ends, at = [], [], 0
    for piece in pieces:
        starts.append(at)
        at += len(piece.encode())
        ends.append(at)
    encoded = [n.encode() for n in names]
    name_ptr = np.zeros(len(names) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=name_ptr[1:])
    ids = np.empty(len(data) // 2 + len(pieces) + 1, dtype=np.int64)
    ptr = np.empty(len(pieces) + 1, dtype=np.int64)
    count = token_ids_kernel(
        np.frombuffer(data, dtype=np.uint8),
        np.array(starts, dtype=np.int64),
        np.array(ends, dtype=np.int64),
        np.frombuffer(bytearray(b"".join(encoded)), dtype=np.uint8),
        name_ptr,
        ids,
        ptr,
    )
    assert ptr[-1] == count
    return ids[:count].tolist(), ptr.tolist()


NAMES = ["a", "b", "ab", "-e1", "e1", "x_y#2", ":J0_0", ""]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([*NAMES[:-1], "zz", "e", " ", "  ", "\x0b", "\x0c", "\x1f", "|"]),
        max_size=40,
    ),
    st.lists(st.sampled_from(NAMES[:-1]), max_size=6),
)
def test_edges_numbered_as_split_and_lookup(parts: list[str], names: list[str]) -> None:
    text = "".join(parts)
    number = {}
    for k, name in enumerate(names):
        number.setdefault(name, k)  # the first of equal names
    ids, ptr = _numbered(text, names)
    want: list[int] = []
    want_ptr = [0]
    for piece in text.split("|"):
        want += [number.get(tok, -1) for tok in piece.split()]
        want_ptr.append(len(want))
    assert ids == want
    assert ptr == want_ptr


def test_absent_spans_have_no_edges() -> None:
    data = bytearray(b"a b")
    ids = np.empty(4, dtype=np.int64)
    ptr = np.empty(3, dtype=np.int64)
    count = token_ids_kernel(
        np.frombuffer(data, dtype=np.uint8),
        np.array([-1, 0], dtype=np.int64),
        np.array([-1, 3], dtype=np.int64),
        np.frombuffer(bytearray(b"b"), dtype=np.uint8),
        np.array([0, 1], dtype=np.int64),
        ids,
        ptr,
    )
    assert count == 2
    assert ptr.tolist() == [0, 0, 2]
    assert ids[:2].tolist() == [-1, 0]
