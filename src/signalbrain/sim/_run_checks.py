"""The checks :func:`signalbrain.sim.run.run_sumo` makes of its inputs before SUMO starts: its
number arguments, the simulated period, the additional files, the detectors' reach against the
controller's fault checks; and what it reads of the user's SUMO arguments and programs."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from signalbrain._numbers import finite_or_none
from signalbrain.control.base import Controller
from signalbrain.errors import InputError, Problem, shown
from signalbrain.network import SumoProgram
from signalbrain.sim.config import SumoConfig, SumoOptions, parse_time
from signalbrain.sim.detectors import DetectorSpec

__all__ = [
    "check_additional_files",
    "check_numbers",
    "check_period",
    "check_reach",
    "input_files",
    "switched_off_lights",
]


def check_period(cfg: SumoConfig, options: SumoOptions, end_s: float | None) -> None:
    """Refuse an end not after the simulation's begin: signalbrain's ``end_s``, else SUMO's
    ``--end`` after '--', else the configuration's (a negative end of SUMO's is its "no end")."""
    user_begin = options.get("begin")
    begin_s = cfg.begin_s if user_begin is None else parse_time(user_begin, "SUMO_ARGS --begin", "")
    # the end in force: signalbrain's --end, else SUMO's --end after '--', else the config's
    # (a negative end of SUMO's is its "no end")
    user_end = options.get("end")
    end_in_force: float | None
    if end_s is not None:
        end_in_force, end_where = end_s, "--end"
    elif user_end is not None:
        end_in_force, end_where = parse_time(user_end, "SUMO_ARGS --end", ""), "SUMO_ARGS --end"
    else:
        end_in_force, end_where = cfg.end_s, "end"
    begin_in_force = 0.0 if begin_s is None else begin_s
    if (
        end_in_force is not None
        and (end_s is not None or end_in_force >= 0)
        and end_in_force <= begin_in_force
    ):
        raise InputError(
            [
                Problem(
                    end_where,
                    f"{end_in_force:g} s is not after the simulation's begin "
                    f"{begin_in_force:g} s: nothing would be simulated",
                    str(cfg.path),
                )
            ]
        )


def check_additional_files(cfg: SumoConfig, options: SumoOptions) -> None:
    """Refuse missing additional files, each named where it is given."""
    # named where they are given: read with the network, a missing one was blamed on the
    # network file (or, with SUMO's programs, left to SUMO's "Process Error")
    missing = [
        Problem("input.additional-files", f"additional file not found: {p}", str(cfg.path))
        for p in cfg.additional_files
        if not p.is_file()
    ] + [
        Problem("SUMO_ARGS --additional-files", f"additional file not found: {p}")
        for p in options.additional_files()
        if not p.is_file()
    ]
    if missing:
        raise InputError(missing)


def switched_off_lights(running: Iterable[SumoProgram]) -> set[str]:
    """The lights SUMO runs switched off (no phases, type ``off``, or only ``o``/``O``): their
    junctions' right of way applies, no signal to audit."""
    return {
        p.tls_id
        for p in running
        if not p.phases or p.type == "off" or all(set(ph.state) <= set("oO") for ph in p.phases)
    }


def check_reach(specs: Sequence[DetectorSpec], controller: Controller, reach_m: float) -> None:
    """Refuse a reach whose zones see farther upstream than the controller's detector checks
    believe (``Plausibility.max_reach_m``): every such signal was judged faulty from the first
    step and ran its fixed plan for the whole run, with exit 0 and nothing in the JSON."""
    sensing = importlib.import_module("signalbrain.control.sensing")
    plausibility = getattr(controller, "plausibility", None)
    if not isinstance(plausibility, sensing.Plausibility):
        return
    most = plausibility.max_reach_m
    far = [
        d
        for d in specs
        if d.kind == "area" and d.role == "approach" and d.length_m + d.to_stop_m > most
    ]
    if far:
        d = max(far, key=lambda x: x.length_m + x.to_stop_m)
        raise InputError(
            [
                Problem(
                    "--reach",
                    f"{reach_m:g} m: the detectors of traffic light {d.tls_id} would see "
                    f"{d.length_m + d.to_stop_m:g} m upstream of its stop line (edge {d.edge}), "
                    f"farther than the {most:g} m the controller believes of a detector "
                    f"(max_reach_m), so it would run its fixed plan all along; "
                    f"valid: a distance > 0 and <= {most:g} m",
                )
            ]
        )


def input_files(sumo_args: Sequence[str]) -> list[Path]:
    """The route and additional files named in the user's SUMO arguments (they replace or
    add to the configuration's; a checkpoint checks their content too)."""
    out: list[Path] = []
    names = ("-r", "--route-files", "-a", "--additional-files")
    for k, arg in enumerate(sumo_args):
        key, eq, inline = arg.partition("=")
        if key not in names:
            continue
        value = inline if eq else (sumo_args[k + 1] if k + 1 < len(sumo_args) else "")
        out += [Path(p.strip()).resolve() for p in value.replace(";", ",").split(",") if p.strip()]
    return out


def check_numbers(
    end_s: object, reach_m: object, every_s: object
) -> tuple[float | None, float, float]:
    """``run_sumo``'s number arguments as floats, or one :class:`InputError` naming each that
    is not one (text, a bool, NaN, an int too large for a float, a reach or period <= 0): they
    had failed with TypeError or OverflowError, or a negative reach had run without detectors."""
    problems: list[Problem] = []
    end = None if end_s is None else finite_or_none(end_s)
    if end_s is not None and end is None:
        problems.append(Problem("--end", f"{shown(end_s, 24)}: must be a finite time [s]"))
    reach = finite_or_none(reach_m)
    if reach is None or reach <= 0:
        problems.append(Problem("--reach", f"{shown(reach_m, 24)}: must be a distance > 0 [m]"))
    every = finite_or_none(every_s)
    if every is None or every <= 0:
        problems.append(
            Problem("--checkpoint-every", f"{shown(every_s, 24)}: must be a time > 0 [s]")
        )
    if problems:
        raise InputError(problems)
    return end, float(reach or 0.0), float(every or 0.0)
