"""Controllers by name: the registry behind ``--controller`` and :func:`make_controller`.

``fixed``, ``max-pressure``, ``vehicle-actuated`` and ``adaptive`` are signalbrain's; SUMO's own
programs (``sumo``, and SUMO's ``actuated`` and ``delay_based`` types) belong to the simulation
adapter, which simply does not control those runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from signalbrain.control.actuated import Actuated
from signalbrain.control.adaptive import Adaptive
from signalbrain.control.base import Controller
from signalbrain.control.fixed import FixedTime
from signalbrain.control.max_pressure import MaxPressure
from signalbrain.errors import InputError, Problem
from signalbrain.network.model import Network

__all__ = ["CONTROLLERS", "make_controller"]

CONTROLLERS: dict[str, Callable[..., Controller]] = {
    "fixed": FixedTime,
    "max-pressure": MaxPressure,
    "vehicle-actuated": Actuated,
    "adaptive": Adaptive,
}
"""Registry: controller name -> factory ``(network, **options) -> Controller``."""


def make_controller(name: str, network: Network | None = None, **options: Any) -> Controller:
    """Build the controller called ``name`` for ``network``.

    Raises
    ------
    InputError
        Unknown name (the message lists the valid ones) or an option the controller does not
        take (the message lists those it takes).
    """
    factory = CONTROLLERS.get(name) if isinstance(name, str) else None
    if factory is None:
        valid = ", ".join(sorted(CONTROLLERS))
        raise InputError([Problem("controller", f"{name!r}: unknown controller; valid: {valid}")])
    params = inspect.signature(factory).parameters
    accepted = [p for p, v in params.items() if v.kind is inspect.Parameter.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise InputError(
            [
                Problem(
                    f"controller.{name}",
                    f"unknown option(s) {', '.join(unknown)}; valid: "
                    f"{', '.join(accepted) or 'none'}",
                )
            ]
        )
    return factory(network, **options)
