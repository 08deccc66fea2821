"""Validation with ``shaped``: intersections whose own structure a caller has checked (the SUMO
import checks each junction layout once) skip only that part of the checks."""

from __future__ import annotations

from dataclasses import replace

import pytest

from signalbrain.errors import InputError
from signalbrain.io._sumo_templates import _Template
from signalbrain.network import Network, validate_network
from signalbrain.network.model import Intersection
from signalbrain.network.validate import check_network, shape_problems

from .factories import small_grid


def _unsafe(isec: Intersection) -> Intersection:
    """``isec`` with its first phase giving protected green to two conflicting movements."""
    a, b = sorted(isec.conflicts - isec.permissive)[0]
    phase = replace(isec.phases[0], protected=(a, b), permitted=())
    return replace(isec, phases=(phase, *isec.phases[1:]))


def _with(net: Network, isec: Intersection) -> Network:
    return replace(net, intersections=(isec, *net.intersections[1:]))


def test_shaped_skips_only_the_intersections_own_structure() -> None:
    net = small_grid()
    bad = _unsafe(net.intersections[0])
    assert shape_problems(bad)
    assert not shape_problems(net.intersections[0])
    broken = _with(net, bad)
    assert any("conflicting movements" in p.message for p in check_network(broken))
    assert check_network(broken, shaped={bad.id}) == []  # vouched for by the caller
    # what involves the network and the cycle limits is checked all the same
    worse = replace(bad, cycle_min_s=200.0)
    problems = check_network(_with(net, worse), shaped={worse.id})
    assert [p.path for p in problems] == [f"intersections.{worse.id}.cycle_min_s"]
    moved = replace(worse, movements=(replace(worse.movements[0], from_link="nowhere"),))
    assert any(
        "unknown link" in p.message for p in check_network(_with(net, moved), shaped={moved.id})
    )


def test_validate_network_lists_every_problem_when_one_is_found() -> None:
    net = small_grid()
    worse = replace(_unsafe(net.intersections[0]), cycle_min_s=200.0)
    with pytest.raises(InputError) as err:
        validate_network(_with(net, worse), shaped={worse.id})
    text = str(err.value)
    assert "cycle_min_s" in text
    assert "conflicting movements" in text  # the skipped check, found on the second pass


def test_import_templates_know_their_shape() -> None:
    isec = small_grid().intersections[0]
    assert _Template(isec).shaped
    assert not _Template(_unsafe(isec)).shaped
