"""The generators refuse bad arguments with an InputError that names them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from signalbrain.errors import InputError
from signalbrain.network import Network
from signalbrain.network.generate import Limits, arterial, grid

BAD: list[tuple[Callable[..., Network], dict[str, Any], str]] = [
    (grid, {"spacing_m": "abc"}, r"spacing_m = 'abc'"),
    (grid, {"spacing_m": None}, r"spacing_m = None"),
    (grid, {"spacing_m": ["a"]}, r"spacing_m: .* got 'a'"),
    (arterial, {"spacing_m": ["a", 100.0]}, r"spacing_m: .* got 'a'"),
    (arterial, {"spacing_m": None}, r"spacing_m = None"),
    (grid, {"limits": None}, r"limits = None"),
    (arterial, {"limits": Limits(yellow_s=float("nan"))}, r"limits\.yellow_s = nan"),
    (grid, {"limits": Limits(min_green_s="7")}, r"limits\.min_green_s = '7'"),  # type: ignore[arg-type]
    (grid, {"limits": Limits(all_red_s=-1.0)}, r"limits\.all_red_s = -1\.0"),
    (grid, {"spacing_m": 1e300}, r"at most 100000 m, got 1e\+300"),  # overflowed the lengths
    # an int too large for a float: was an OverflowError traceback
    (arterial, {"spacing_m": [100.0, 10**400]}, r"spacing_m: .* got 1000000"),
    (grid, {"limits": Limits(yellow_s=10**400)}, r"limits\.yellow_s = 1000000"),
    (grid, {"limits": Limits(yellow_s=True)}, r"limits\.yellow_s = True"),
    # accepted, and refused only when the network was validated (or silently planned with)
    (grid, {"sat_flow_vphpl": 1e300}, r"sat_flow_vphpl = 1e\+300: must be <= 4000 veh/h/lane"),
    (grid, {"free_speed_mps": 500.0}, r"free_speed_mps = 500\.0: must be <= 100 m/s"),
    (arterial, {"side_speed_mps": 1e9}, r"side_speed_mps = 1000000000\.0: must be <= 100 m/s"),
    (grid, {"boundary_m": 1e7}, r"boundary_m = 10000000\.0: must be <= 100000 m"),
    (arterial, {"side_m": 2e5}, r"side_m = 200000\.0: must be <= 100000 m"),
]


@pytest.mark.parametrize(("make", "kwargs", "message"), BAD)
def test_bad_arguments_are_refused_by_name(
    make: Callable[..., Network], kwargs: dict[str, Any], message: str
) -> None:
    size = (2, 2) if make is grid else (3,)
    with pytest.raises(InputError, match=message):
        make(*size, **kwargs)


def test_numpy_sizes_and_spacings_build_the_same_networks() -> None:
    assert grid(np.int64(2), np.int64(3), spacing_m=np.int64(250)) == grid(2, 3)
    assert arterial(np.int64(3), spacing_m=np.array([320.0, 210.0])) == arterial(3)


def test_validate_names_fields_of_a_network_built_in_code_that_are_not_numbers() -> None:
    """A network assembled in code (no YAML reader in between) with a string or None where a
    number belongs: an InputError naming each field, not a TypeError from a comparison."""
    from dataclasses import replace

    from signalbrain.network import validate_network

    net = grid(2, 2)
    link = net.links[0]
    isec = net.intersections[0]
    phase = isec.phases[0]
    bad = replace(
        net,
        links=(replace(link, lanes="2"), *net.links[1:]),  # type: ignore[arg-type]
        intersections=(
            replace(isec, phases=(replace(phase, min_green_s=None), *isec.phases[1:])),  # type: ignore[arg-type]
            *net.intersections[1:],
        ),
    )
    with pytest.raises(InputError) as err:
        validate_network(bad)
    text = str(err.value)
    assert f"links.{link.id}.lanes = '2': expected an integer" in text
    assert f"phases[{phase.number}].min_green_s = None: expected a number" in text
    validate_network(net)  # the untouched network is still valid
