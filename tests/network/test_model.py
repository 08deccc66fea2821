"""Model invariants, views (graph, CSR arrays) and the generator."""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

import networkx as nx
import numpy as np
import pytest

from signalbrain.errors import InputError
from signalbrain.network import Network, to_arrays, to_graph, to_link_graph, validate_network
from signalbrain.network.generate import arterial, grid

from .factories import corridor, single, small_grid


@pytest.mark.parametrize("phasing", ["nema", "two-phase"])
@pytest.mark.parametrize(("rows", "cols"), [(1, 1), (2, 3), (5, 5)])
def test_generated_grids_are_valid(rows: int, cols: int, phasing: str) -> None:
    net = grid(rows, cols, phasing=phasing)
    validate_network(net)
    assert net.signal_count == rows * cols
    assert net.phase_count == rows * cols * (8 if phasing == "nema" else 2)


def test_generated_arterial_is_valid_and_uneven() -> None:
    net = arterial(6)
    validate_network(net)
    xs = sorted(net.node(f"S{i}").x_m for i in range(1, 7))
    gaps = np.diff(xs)
    assert len(set(gaps.round(3))) > 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: grid(0, 3), "must be whole numbers >= 1"),
        (lambda: grid(2.5, 2), "must be whole numbers >= 1"),  # type: ignore[arg-type]
        (lambda: grid(2, 2, phasing="stage"), "must be one of"),
        (lambda: grid(3, 3, spacing_m=[100.0]), "expected 2 spacings"),
        (lambda: grid(2, 2, spacing_m=math.inf), "must be finite numbers > 0 .*, got inf"),
        (lambda: grid(2, 2, boundary_m=0), "boundary_m = 0: must be a finite number > 0"),
        (lambda: grid(2, 2, lanes=0), "lanes = 0: must be a whole number 1 to 64"),
        (lambda: arterial(3, spacing_m=-5.0), "must be finite numbers > 0"),
        (lambda: arterial(3, spacing_m=[]), "spacing_m: an empty sequence"),
        (lambda: arterial(3, side_m=math.nan), "side_m = nan: must be a finite number > 0"),
    ],
)
def test_generator_rejects_bad_arguments(call: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        call()  # type: ignore[operator]


def test_graph_view_has_documented_attributes() -> None:
    net = small_grid()
    g = to_graph(net)
    assert isinstance(g, nx.MultiDiGraph)
    assert g.number_of_edges() == len(net.links)
    u, v, key, data = next(iter(g.edges(keys=True, data=True)))
    link = net.link(key)
    assert (u, v) == (link.from_node, link.to_node)
    assert data["travel_time_s"] == pytest.approx(link.length_m / link.free_speed_mps)
    assert g.nodes["I0_0"]["intersection"] == "I0_0"
    assert nx.is_strongly_connected(g)


def test_link_graph_routes_respect_turns() -> None:
    net = corridor(3)
    lg = to_link_graph(net)
    path = nx.shortest_path(lg, "W_S1", "S3_E", weight=lambda u, v, d: lg.nodes[v]["length_m"])
    assert path == ["W_S1", "S1_S2", "S2_S3", "S3_E"]
    assert lg.edges["W_S1", "S1_S2"]["movement"] == "W_S1.T"
    assert not lg.has_edge("W_S1", "S1_W")  # no U turn


def test_arrays_are_consistent_with_model() -> None:
    net = small_grid(3, 3)
    a = to_arrays(net)
    assert a.link_from.dtype == np.int32
    assert a.link_from.flags.c_contiguous
    assert a.isec_movement_indptr[-1] == net.movement_count
    for li, link in enumerate(net.links):
        outs = a.node_out_links[
            a.node_out_indptr[a.link_from[li]] : a.node_out_indptr[a.link_from[li] + 1]
        ]
        assert li in outs
        downs = a.link_down_movements[a.link_down_indptr[li] : a.link_down_indptr[li + 1]]
        assert {a.movement_ids[m] for m in downs} == {
            m.id for s in net.intersections for m in s.movements if m.from_link == link.id
        }
    for s, isec in enumerate(net.intersections):
        first = a.isec_phase_indptr[s]
        for k, ph in enumerate(isec.phases):
            row = first + k
            served = a.phase_movements[
                a.phase_movement_indptr[row] : a.phase_movement_indptr[row + 1]
            ]
            assert [a.movement_ids[m] for m in served] == list(ph.protected + ph.permitted)
            assert a.phase_min_green_s[row] == ph.min_green_s


def test_intersection_lookups() -> None:
    isec = single().intersections[0]
    ph = isec.phase(2)
    assert ph.min_split_s == max(ph.min_green_s, ph.ped_min_s) + ph.yellow_s + ph.all_red_s
    assert isec.movement(isec.movements[3].id) is isec.movements[3]
    pairs = set(isec.concurrent_phase_pairs())
    assert pairs == {(1, 5), (1, 6), (2, 5), (2, 6), (3, 7), (3, 8), (4, 7), (4, 8)}
    with pytest.raises(KeyError):
        isec.phase(99)


def test_signal_groups_bundle_movements_with_identical_indications() -> None:
    isec = single().intersections[0]
    groups = isec.signal_groups()
    members = sorted(m for ids in groups.values() for m in ids)
    assert members == sorted(m.id for m in isec.movements)
    # In NEMA phasing each approach has a through+right head and a protected-permitted left head.
    assert len(groups) == 8
    through_right = [ids for ids in groups.values() if len(ids) == 2]
    assert all({i.split(".")[1] for i in ids} == {"T", "R"} for ids in through_right)


def _edited(**changes: Any) -> Network:
    """The single signal with its intersection's fields replaced."""
    net = single()
    isec = dataclasses.replace(net.intersections[0], **changes)
    return dataclasses.replace(net, intersections=(isec,))


@pytest.mark.parametrize(
    ("what", "changes", "message"),
    [
        ("no nodes", {"nodes": ()}, ".nodes: is empty; expected the ids of the junction nodes"),
        (
            "an empty ring",
            {"rings": ((),)},
            ".rings[0]: is empty; a ring lists the phases it runs in turn",
        ),
    ],
)
def test_validation_of_networks_built_in_code(
    what: str, changes: dict[str, Any], message: str
) -> None:
    """Found in review: these passed validation."""
    with pytest.raises(InputError, match=re.escape(message)):
        validate_network(_edited(**changes))


def test_a_movement_in_conflict_with_itself_is_refused() -> None:
    isec = single().intersections[0]
    mid = isec.movements[0].id
    net = _edited(conflicts=isec.conflicts | {(mid, mid)})
    with pytest.raises(InputError, match=re.escape(f"[{mid}, {mid}]: pairs a movement with")):
        validate_network(net)
