"""Turn classification and conflict inference from geometry."""

from __future__ import annotations

import pytest

from signalbrain.network import CONFLICT, NONE, PERMISSIVE
from signalbrain.network.geometry import classify_turn

from .factories import single


@pytest.mark.parametrize(
    ("h_in", "h_out", "turn"),
    [
        (0, 0, "T"),
        (0, 30, "T"),
        (0, 90, "L"),
        (0, -90, "R"),
        (90, 180, "L"),
        (90, 0, "R"),
        (0, 180, "U"),
        (270, 0, "L"),
        (270, 180, "R"),
        (10, 340, "T"),
    ],
)
def test_classify_turn(h_in: float, h_out: float, turn: str) -> None:
    assert classify_turn(h_in, h_out % 360) == turn


# Movement ids of grid(1, 1): approach links B0_W_I0_0 (from west, eastbound) etc.
W, E, S, N = "B0_W_I0_0", "B0_E_I0_0", "BS_0_I0_0", "BN_0_I0_0"


@pytest.mark.parametrize(
    ("a", "b", "relation"),
    [
        (f"{W}.T", f"{E}.T", NONE),  # opposing throughs
        (f"{W}.T", f"{S}.T", CONFLICT),  # crossing throughs
        (f"{W}.L", f"{E}.T", PERMISSIVE),  # permitted left vs opposing through
        (f"{W}.L", f"{E}.L", NONE),  # opposing lefts (right-hand traffic)
        (f"{W}.L", f"{S}.T", CONFLICT),  # left vs crossing through
        (f"{W}.R", f"{N}.T", PERMISSIVE),  # right merges into the through stream
        (f"{W}.R", f"{S}.T", NONE),  # right turn does not meet the through from its right side
        (f"{W}.T", f"{W}.L", NONE),  # same approach
        (f"{S}.L", f"{N}.T", PERMISSIVE),
        (f"{S}.L", f"{W}.T", CONFLICT),
    ],
)
def test_inferred_relations(a: str, b: str, relation: int) -> None:
    isec = single().intersections[0]
    assert isec.relation(a, b) == relation
    assert isec.relation(b, a) == relation


def test_left_hand_traffic_mirrors_conflicts() -> None:
    from signalbrain.network.geometry import infer_conflicts, movement_legs

    net = single()
    isec = net.intersections[0]
    links = {k.id: k for k in net.links}
    nodes = {n.id: n for n in net.nodes}
    legs = movement_legs(isec.movements, links, nodes, isec.nodes)
    conflicts, _ = infer_conflicts(isec.movements, legs, "left")
    # Under left-hand traffic the right turn crosses the opposing through; the left does not.
    assert tuple(sorted((f"{W}.R", f"{E}.T"))) in conflicts
    assert tuple(sorted((f"{W}.L", f"{E}.T"))) not in conflicts
    assert tuple(sorted((f"{W}.L", f"{E}.T"))) in isec.conflicts  # right-hand: it does


def test_conflict_matrix_is_symmetric_with_zero_diagonal() -> None:
    isec = single().intersections[0]
    m = isec.conflict_matrix()
    assert (m == m.T).all()
    assert (m.diagonal() == 0).all()
    assert int((m == CONFLICT).sum()) // 2 == len(isec.conflicts - isec.permissive)
