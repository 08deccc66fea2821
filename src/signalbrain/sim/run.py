"""The closed loop: SUMO drives traffic, signalbrain drives the lights, and the run is measured.

:func:`run_sumo` is the orchestrator behind ``signalbrain sumo run``. Each simulation step it

1. reads signalbrain's own detectors into one observation per intersection
   (:class:`~signalbrain.sim.sensing.DetectorReader`), then applies any observation hooks
   (fault injection in tests);
2. asks the controller for a request per intersection, then lets request hooks override them
   (the escort's preemption enters here, before the monitor, never around it);
3. passes every request through the intersection's
   :class:`~signalbrain.control.monitor.ConflictMonitor` and writes the resulting state to SUMO
   at the imported link indices (:func:`signalbrain.io.sumo_state.signal_state`);
4. advances SUMO one step.

The controller's and the monitor's CPU time is measured apart from SUMO's; at the end the
states are audited independently (:func:`signalbrain.control.monitor.audit`) and the trips are
summarised (:mod:`signalbrain.sim.metrics`). The ``sumo`` controller leaves SUMO's programs
alone; ``actuated`` and ``delay_based`` run SUMO's programs converted to that type
(:mod:`signalbrain.sim.baselines`).

This module checks the options and sets the run up; the simulation loop, with its checkpoints,
is in :mod:`signalbrain.sim._simulate`, the import of the SUMO network in
:mod:`signalbrain.sim._net_import`.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from signalbrain.control.base import Controller
from signalbrain.errors import InputError, Problem
from signalbrain.network import Intersection, Network
from signalbrain.sim._net_import import audit_fallback as _audit_fallback
from signalbrain.sim._net_import import import_network as _import_network
from signalbrain.sim._net_import import sumo_model as _sumo_model
from signalbrain.sim._net_import import unimported as _unimported
from signalbrain.sim._run_checks import (
    check_additional_files,
    check_numbers,
    check_period,
    check_reach,
    input_files,
    switched_off_lights,
)
from signalbrain.sim._simulate import simulate as _simulate
from signalbrain.sim.backend import load_backend, sumo_binary
from signalbrain.sim.baselines import BASELINE_TYPES, NEMA_TYPE, convert_program, write_programs
from signalbrain.sim.checkpoint import Checkpoint
from signalbrain.sim.config import (
    output_prefix,
    prefixed,
    read_sumocfg,
    split_sumo_args,
    sumo_command,
    tripinfo_path,
)
from signalbrain.sim.detectors import (
    DEFAULT_REACH_M,
    place_detectors,
    write_detectors,
)
from signalbrain.sim.loop import ObservationHook, RequestHook
from signalbrain.sim.metrics import read_tripinfo, summarize_trips
from signalbrain.sim.netxml import read_net_index, running_programs
from signalbrain.sim.progress import SimProgress
from signalbrain.sim.result import RunResult

__all__ = [
    "SUMO_CONTROLLERS",
    "ObservationHook",
    "RequestHook",
    "RunResult",
    "controller_names",
    "run_sumo",
]

log = logging.getLogger(__name__)

SUMO_CONTROLLERS: tuple[str, ...] = ("sumo", *BASELINE_TYPES)
"""Controllers run by SUMO itself: its own programs untouched, or converted to a baseline type."""


def _control_registry() -> dict[str, Any]:
    control = importlib.import_module("signalbrain.control")
    registry = getattr(control, "CONTROLLERS", None)
    return dict(registry) if registry is not None else {}


def controller_names() -> tuple[str, ...]:
    """Every name ``--controller`` accepts: SUMO's and signalbrain's controllers."""
    return (*SUMO_CONTROLLERS, *sorted(_control_registry()))


def _make_controller(name: str, network: Network, options: Mapping[str, Any]) -> Controller:
    control = importlib.import_module("signalbrain.control")
    make = getattr(control, "make_controller", None)
    if make is None:
        raise InputError(
            [
                Problem(
                    "--controller",
                    f"{name!r} is not available in this build; "
                    f"valid: {', '.join(SUMO_CONTROLLERS)}",
                )
            ]
        )
    controller: Controller = make(name, network, **options)
    return controller


_libsumo_runs = 0


def _note_libsumo_start() -> None:
    """Warn when libsumo starts a second simulation in this process: SUMO keeps state from one
    simulation to the next in a process, so the result can differ from the same run in a fresh
    process (measured: RESCO cologne1 after a generated grid, mean delay 33.9 s instead of
    31.2 s; SUMO 1.28, same config and seed; with traci, or alone, 31.2 s every time). libsumo
    has had such leaks before (eclipse-sumo/sumo#6239: a vehicle of the previous config still
    present). Fresh processes or the traci backend give reproducible runs."""
    global _libsumo_runs
    _libsumo_runs += 1
    if _libsumo_runs == 2:
        log.warning(
            "libsumo: a second simulation in this process; results can differ from a fresh "
            "process (SUMO keeps state between runs). For reproducible runs use one process "
            "per run or --backend traci."
        )


def run_sumo(
    config: str | Path,
    controller: str | Controller = "sumo",
    *,
    end_s: float | None = None,
    sumo_args: Sequence[str] = (),
    controller_options: Mapping[str, Any] | None = None,
    reach_m: float = DEFAULT_REACH_M,
    backend: str = "libsumo",
    observation_hooks: Sequence[ObservationHook] = (),
    request_hooks: Sequence[RequestHook] = (),
    network: Network | None = None,
    monitor_network: Network | None = None,
    progress: SimProgress | None = None,
    checkpoint: str | Path | None = None,
    checkpoint_every_s: float = 300.0,
) -> RunResult:
    """Run a SUMO configuration with the lights driven by ``controller`` and measure it.

    Parameters
    ----------
    config
        The ``.sumocfg``; run unchanged (its own outputs included).
    controller
        ``"sumo"``, ``"actuated"``, ``"delay_based"``, a name from signalbrain's controller
        registry (``fixed``, ``adaptive``, ``max-pressure``...) or a controller object.
    end_s
        End of the simulation [s] (SUMO's ``--end``); default the configuration's, else until
        every vehicle has arrived.
    sumo_args
        Extra SUMO arguments (``--additional-files`` are merged with signalbrain's own).
    controller_options
        Keyword options for the controller factory.
    reach_m
        Detector reach upstream of each stop line [m].
    backend
        ``"libsumo"`` (default) or ``"traci"``; the other is the fallback.
    observation_hooks, request_hooks
        Called each step, see :data:`ObservationHook` and :data:`RequestHook`.
    network
        The network model; read from the configuration's ``net-file`` when not given.
    monitor_network
        The model the conflict monitors and the safety audit use, when it differs from
        ``network``: the same intersections, movements and conflicts with phases added that only
        a request hook asks for (the escort's approach phases,
        :func:`signalbrain.escort.phases.escort_network`). Default ``network``.
    progress
        Reports simulated time, speed and time left while the run goes on (the CLI's stderr);
        None reports nothing.
    checkpoint
        A file to keep the run's checkpoint in (:mod:`signalbrain.sim.checkpoint`): written
        every ``checkpoint_every_s`` simulated seconds; when it exists at the start, the run
        resumes from it and gives the results an uninterrupted run gives. A checkpoint of
        another run (other settings or changed input files) is refused. It is left in place
        at the end (the CLI deletes it once the results are written). Controllers and hooks
        must be picklable; request hooks that drive SUMO themselves take the run's API from
        a ``bind_sumo(api)`` method, so that what they change is journaled.
    checkpoint_every_s
        Simulated time between two checkpoints [s].

    Returns
    -------
    RunResult

    Raises
    ------
    InputError
        Missing or malformed configuration, no ``net-file``, unknown controller, options SUMO
        refuses.
    """
    wall0 = time.perf_counter()
    numbers = check_numbers(end_s, reach_m, checkpoint_every_s)
    end_s, reach_m, checkpoint_every_s = numbers
    cfg = read_sumocfg(config)
    options = split_sumo_args(sumo_args)
    check_period(cfg, options, end_s)
    name = controller if isinstance(controller, str) else controller.name
    if isinstance(controller, str) and controller not in SUMO_CONTROLLERS:
        registry = _control_registry()
        if controller not in registry:
            raise InputError(
                [
                    Problem(
                        "--controller",
                        f"unknown controller {controller!r}; "
                        f"valid: {', '.join(controller_names())}",
                    )
                ]
            )
    index = read_net_index(cfg.net_file)
    # the programs SUMO runs: the network's, then those of the configuration's additional
    # files and of the user's after '--' (SUMO loads both: see sumo_command)
    programs_from = (*cfg.additional_files, *options.additional_files())
    check_additional_files(cfg, options)
    running = running_programs(index, programs_from)
    switched_off = switched_off_lights(running)
    notes: list[str] = []
    if not index.tls_ids:
        notes.append("the network has no traffic lights: nothing for the controller to drive")
    with tempfile.TemporaryDirectory(prefix="signalbrain-sumo-") as tmp:
        own: list[Path] = []
        loop_spec: tuple[Network, Controller, tuple[Intersection, ...]] | None = None
        specs: tuple[Any, ...] = ()
        audited: tuple[Intersection, ...] = ()
        if isinstance(controller, str) and name in SUMO_CONTROLLERS:
            if name in BASELINE_TYPES:
                # SUMO's NEMA controller is actuated already, and its yellow and red are phase
                # attributes (and its concurrent phases ring params) that another type ignores:
                # converted, its greens would follow one another with no yellow. SUMO runs it.
                nema = {p.tls_id for p in running if p.type == NEMA_TYPE}
                # a light switched off (programID "off") has no phases: SUMO refuses a
                # converted program without any ("has a duration of 0")
                off = {p.tls_id for p in running if not p.phases}
                programs = [convert_program(p, name) for p in running if p.tls_id not in nema | off]
                own.append(write_programs(programs, Path(tmp) / "baseline.add.xml"))
                if nema:
                    notes.append(
                        f"NEMA programs kept as SUMO runs them (not converted to {name}: their "
                        f"clearances are phase attributes the conversion would lose): "
                        f"{', '.join(sorted(nema))}"
                    )
                if off:
                    notes.append(f"traffic lights switched off, left so: {', '.join(sorted(off))}")
                if nema or off:
                    index = replace(
                        index,
                        programs=tuple(p for p in index.programs if p.tls_id not in nema | off),
                    )
            audited, why = _sumo_model(cfg.net_file, network, programs_from, switched_off)
            if why:
                notes.append(f"SUMO's displays not audited: {why}")
        else:
            net = network
            if net is None:
                net = _import_network(cfg.net_file, programs_from)
            unimported = _unimported(net)
            notes += unimported.values()
            ctrl = (
                controller
                if not isinstance(controller, str)
                else _make_controller(controller, net, controller_options or {})
            )
            tls = set(index.tls_ids)
            monitored = net if monitor_network is None else monitor_network
            isecs = tuple(
                s for s in monitored.intersections if s.sumo is not None and s.sumo.tls_id in tls
            )
            skipped = sorted(
                tls - {s.sumo.tls_id for s in isecs if s.sumo is not None} - unimported.keys()
            )
            if skipped:
                notes.append(f"left to SUMO's own program (not understood): {', '.join(skipped)}")
            # the lights left to SUMO are audited as SUMO's own controllers are
            audited, why = _audit_fallback(
                cfg.net_file, unimported.keys() & tls, switched_off, programs_from
            )
            if why:
                notes.append(f"SUMO's displays not audited: {why}")
            specs = place_detectors(
                index, [s.sumo.tls_id for s in isecs if s.sumo is not None], reach_m=reach_m
            )
            check_reach(specs, ctrl, reach_m)
            own.append(write_detectors(specs, Path(tmp) / "detectors.add.xml"))
            loop_spec = (net, ctrl, isecs)
        ck: Checkpoint | None = None
        resume: dict[str, Any] | None = None
        if checkpoint is not None:
            hooks = [*observation_hooks, *request_hooks]
            ck = Checkpoint(
                Path(checkpoint),
                every_s=checkpoint_every_s,
                parts={
                    "signalbrain": importlib.import_module("signalbrain").__version__,
                    "controller": name,
                    "controller options": sorted((controller_options or {}).items()),
                    "SUMO arguments": list(sumo_args),
                    "end": None if end_s is None else float(end_s),  # 120 and 120.0 agree
                    "reach": float(reach_m),
                    "backend": backend,
                    "hooks": [
                        (type(h).__qualname__, getattr(h, "run_settings", dict)()) for h in hooks
                    ],
                },
                files=[
                    cfg.path,
                    cfg.net_file,
                    *cfg.route_files,
                    *cfg.additional_files,
                    *input_files(sumo_args),
                ],
            )
            resume = ck.load()
            if resume is not None and loop_spec is None and request_hooks:
                raise InputError("a checkpoint cannot resume request hooks without a controller")
        # SUMO prepends the output prefix to signalbrain's own trip-info file too: a prefix
        # with a folder part ("run1/") needs that folder next to the file
        ours = prefixed(Path(tmp) / "tripinfo.xml", output_prefix(cfg, options))
        if ours.resolve().is_relative_to(Path(tmp).resolve()):
            ours.parent.mkdir(parents=True, exist_ok=True)
        cmd = sumo_command(
            cfg,
            options,
            own_additional=own,
            tripinfo_output=Path(tmp) / "tripinfo.xml",
            end_s=end_s,
        )
        sumo = load_backend(backend)
        if sumo.__name__ != backend:
            notes.append(f"{backend} is not installed: the run went over {sumo.__name__}")
        if sumo.__name__ == "traci":
            cmd[0] = sumo_binary()
        else:
            _note_libsumo_start()
        try:
            sumo.start(cmd)
        except Exception as exc:  # SUMO refuses options or files: bad input
            raise InputError(
                f"SUMO could not start with {' '.join(cmd[1:])}: {exc}", source=str(cfg.path)
            ) from None
        try:
            result = _simulate(
                sumo,
                cfg.path,
                name,
                index,
                loop_spec,
                specs,
                end_s,
                observation_hooks,
                request_hooks,
                audited,
                progress,
                ck,
                resume,
            )
        except BaseException:
            # The run's own error (Ctrl-C, SUMO stopping on bad input) is the one to report:
            # traci interrupted mid-call, or a SUMO already gone (Ctrl-C reaches it too), cannot
            # close cleanly, and its error replaced the interruption ('internal error:
            # FatalTraCIError: Connection closed by SUMO', exit 1)
            with contextlib.suppress(Exception):
                sumo.close()
            raise
        sumo.close()
        trips = read_tripinfo(tripinfo_path(cfg, options, Path(tmp) / "tripinfo.xml"))
    summary = summarize_trips(trips, result["pending_delay_s"], result["vclass"])
    return RunResult(
        controller=name,
        config=str(cfg.path),
        begin_s=result["begin_s"],
        end_s=result["end_s"],
        trips=summary,
        teleports=result["teleports"],
        safety=result["safety"],
        controller_cpu_s=result["controller_cpu_s"],
        sensing_cpu_s=result["sensing_cpu_s"],
        wall_s=time.perf_counter() - wall0,
        signals=result["signals"],
        detectors=result["detectors"],
        notes=(*notes, *result["notes"]),
        controller_failure=result["failure"],
    )
