"""The vectorised count of consecutive edge pairs of SUMO routes against the plain loop it
replaced: same movements, same order, same floating-point sums."""

from __future__ import annotations

import itertools
from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from signalbrain.io.demand import _count_pairs

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


@settings(max_examples=300, deadline=None)
@given(links, routes)
def test_counts_equal_the_plain_loop(
    by_links: dict[tuple[str, str], str], batch: list[tuple[list[str], float, bool]]
) -> None:
    counts, heavy = _count_pairs(batch, by_links)
    want_counts, want_heavy = _loop(batch, by_links)
    assert list(counts.items()) == list(want_counts.items())
    assert list(heavy.items()) == list(want_heavy.items())


def test_pairs_do_not_run_across_routes() -> None:
    by_links = {("a", "b"): "m"}
    counts, heavy = _count_pairs([(["x", "a"], 1.0, False), (["b", "y"], 2.0, True)], by_links)
    assert counts == {}
    assert heavy == {}
    counts, heavy = _count_pairs([(["a", "b", "a", "b"], 0.5, True)], by_links)
    assert counts == {"m": 1.0}
    assert heavy == {"m": 1.0}
