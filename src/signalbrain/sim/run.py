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
"""

from __future__ import annotations

import importlib
import logging
import math
import pickle
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from signalbrain.control.base import Controller, SafetyCounts
from signalbrain.errors import InputError, Problem, format_path
from signalbrain.network import Intersection, Network
from signalbrain.sim.backend import load_backend, sumo_binary
from signalbrain.sim.baselines import BASELINE_TYPES, convert_program, write_programs
from signalbrain.sim.checkpoint import Checkpoint, Journal, JournaledApi, adopt, state_digest
from signalbrain.sim.config import (
    parse_time,
    read_sumocfg,
    split_sumo_args,
    sumo_command,
    tripinfo_path,
)
from signalbrain.sim.detectors import DEFAULT_REACH_M, place_detectors, write_detectors
from signalbrain.sim.loop import ControlLoop, ObservationHook, RequestHook, StateRecorder
from signalbrain.sim.metrics import read_tripinfo, summarize_trips
from signalbrain.sim.netxml import read_net_index
from signalbrain.sim.progress import SimProgress
from signalbrain.sim.result import RunResult
from signalbrain.sim.sensing import DetectorReader, link_map

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


def _import_network(net_file: Path, tls_ids: Sequence[str]) -> tuple[Network, dict[str, str]]:
    """signalbrain's model of the network without the traffic lights whose import fails (SUMO
    accepts programs signalbrain has no phases for: all red, off, one all-green phase...): the
    model, and why each light was left out. Those lights run SUMO's own programs.

    Raises
    ------
    InputError
        The import fails for a reason that no single traffic light explains.
    """
    read_sumo_net = importlib.import_module("signalbrain.io.sumo_net").read_sumo_net
    left: dict[str, str] = {}
    while True:
        try:
            network: Network = read_sumo_net(net_file, skip_tls=frozenset(left))
        except InputError as exc:
            bad: dict[str, str] = {}
            for problem in exc.problems:
                for tls in tls_ids:
                    base = format_path("intersections", tls)
                    if problem.path == base or problem.path.startswith((f"{base}.", f"{base}[")):
                        where = problem.path.removeprefix(base).lstrip(".")
                        bad.setdefault(tls, f"{where}: {problem.message}".lstrip(": "))
            if not bad or bad.keys() <= left.keys():
                raise
            left.update(bad)
        else:
            return network, left


def _unimported_notes(left: Mapping[str, str]) -> list[str]:
    return [
        f"traffic light {tls} left to SUMO's own program: signalbrain cannot import it ({why})"
        for tls, why in sorted(left.items())
    ]


def _sumo_model(
    net_file: Path, network: Network | None, tls_ids: Sequence[str]
) -> tuple[tuple[Intersection, ...], str]:
    """The imported intersections whose SUMO displays can be audited, or why none can."""
    why = ""
    try:
        if network is None:
            network, left = _import_network(net_file, tls_ids)
            if left:
                why = f"{', '.join(sorted(left))} (signalbrain cannot import them)"
    except InputError as exc:
        return (), f"the network could not be imported ({exc})"
    return tuple(s for s in network.intersections if s.sumo is not None), why


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
    cfg = read_sumocfg(config)
    options = split_sumo_args(sumo_args)
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
    name = controller if isinstance(controller, str) else controller.name
    if not (math.isfinite(checkpoint_every_s) and checkpoint_every_s > 0):
        raise InputError(
            [Problem("--checkpoint-every", f"{checkpoint_every_s:g}: must be a time > 0 [s]")]
        )
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
                programs = [convert_program(p, name) for p in index.programs]
                own.append(write_programs(programs, Path(tmp) / "baseline.add.xml"))
            audited, why = _sumo_model(cfg.net_file, network, index.tls_ids)
            if why:
                notes.append(f"SUMO's displays not audited: {why}")
        else:
            net = network
            unimported: dict[str, str] = {}
            if net is None:
                net, unimported = _import_network(cfg.net_file, index.tls_ids)
                notes += _unimported_notes(unimported)
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
            specs = place_detectors(
                index, [s.sumo.tls_id for s in isecs if s.sumo is not None], reach_m=reach_m
            )
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
                    *_input_files(sumo_args),
                ],
            )
            resume = ck.load()
            if resume is not None and loop_spec is None and request_hooks:
                raise InputError("a checkpoint cannot resume request hooks without a controller")
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
        finally:
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


def _input_files(sumo_args: Sequence[str]) -> list[Path]:
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


def _simulate(
    sumo: ModuleType,
    cfg_path: Path,
    name: str,
    index: Any,
    loop_spec: tuple[Network, Controller, tuple[Intersection, ...]] | None,
    specs: Sequence[Any],
    end_s: float | None,
    observation_hooks: Sequence[ObservationHook],
    request_hooks: Sequence[RequestHook],
    audited: tuple[Intersection, ...],
    progress: SimProgress | None,
    ck: Checkpoint | None = None,
    resume: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    sim = sumo.simulation
    begin = float(sim.getTime())
    dt = float(sim.getDeltaT())
    end = float(sim.getEndTime()) if end_s is None else float(end_s)
    if end < 0:
        end = math.inf
    notes: list[str] = []
    if name in BASELINE_TYPES:
        for prog in index.programs:
            sumo.trafficlight.setProgram(prog.tls_id, f"signalbrain_{name}")
        active = [
            p.tls_id
            for p in index.programs
            if sumo.trafficlight.getProgram(p.tls_id) == f"signalbrain_{name}"
        ]
        notes.append(
            f"SUMO programs converted to {name}: {len(active)} of "
            f"{len(index.programs)} traffic lights"
        )
    recorder = StateRecorder(sumo, audited) if audited else None
    if recorder is not None:
        notes.append(
            f"safety: SUMO's displays at {len(recorder.intersections)} traffic lights audited "
            "by signalbrain's rules (conflicts, minimum green, yellow, all-red of the imported "
            "model)"
        )
    # With a checkpoint, everything the loop and the hooks change in SUMO is journaled.
    journal = Journal()
    api: Any = sumo if ck is None else JournaledApi(sumo, journal)
    for hook in request_hooks:
        bind = getattr(hook, "bind_sumo", None)
        if bind is not None:
            bind(api)
    loop: ControlLoop | None = None
    if loop_spec is not None:
        net, ctrl, isecs = loop_spec
        reader = DetectorReader(sumo, specs, [link_map(s, index) for s in isecs], index)
        loop = ControlLoop(api, net, ctrl, isecs, reader, observation_hooks, request_hooks)
        loop.start(begin)
    teleports = 0
    t = begin
    step = 0
    if progress is not None:
        progress.start(begin, end)
    if ck is not None and resume is not None:
        loop, recorder, teleports, step = _resume(
            sumo, api, journal, ck, resume, loop, progress, end
        )
        t = float(sim.getTime())
        notes.append(
            f"resumed from the checkpoint at t = {resume['t_s']:g} s ({ck.path}): the "
            "simulation was replayed to there and signalbrain's state restored"
        )
    elif ck is not None:
        _save(ck, sumo, api, journal, step, t, loop, recorder, teleports)
    next_ck = math.inf if ck is None else t + ck.every_s
    while t < end - 1e-9:
        if math.isinf(end) and sim.getMinExpectedNumber() <= 0:
            break
        if loop is not None:
            loop.step(t, dt)
        elif recorder is not None:
            recorder.record(t)
        try:
            sumo.simulationStep()
        except Exception as exc:  # SUMO found bad input mid-run (a route, a vehicle type...)
            cause = str(exc) or type(exc).__name__
            raise InputError(
                f"SUMO stopped at t = {t:g} s: {cause} (SUMO's own message, if any, is above)",
                source=str(cfg_path),
            ) from None
        teleports += int(sim.getStartingTeleportNumber())
        t = float(sim.getTime())
        step += 1
        journal.step = step
        if progress is not None:
            progress.step(t, sumo.vehicle.getIDCount)
        if t >= next_ck - 1e-9 and ck is not None:
            _save(ck, sumo, api, journal, step, t, loop, recorder, teleports)
            next_ck = t + ck.every_s
    if progress is not None:
        progress.finish(t)
    for closing in (loop, recorder):
        if closing is not None:
            closing.finish(t)
    if loop is not None and loop.failure is not None:
        notes.append(
            f"controller failed at {loop.failure}; every signal ran its backup plan from then on"
        )
    if loop is not None:
        notes.extend(
            f"request hook {k + 1} (e.g. the escort) failed at {why}; the run went on without it"
            for k, why in sorted(loop.failed_hooks.items())
        )
    if ck is not None:
        notes.append(f"checkpoints written to {ck.path}: {ck.writes}")
    pending = [float(sumo.vehicle.getDepartDelay(v)) for v in sim.getPendingVehicles()]
    vclass = {vt: sumo.vehicletype.getVehicleClass(vt) for vt in sumo.vehicletype.getIDList()}
    return {
        "notes": notes,
        "begin_s": begin,
        "end_s": t,
        "teleports": teleports,
        "pending_delay_s": pending,
        "vclass": vclass,
        "safety": (
            loop.audit()
            if loop is not None
            else recorder.audit()
            if recorder is not None
            else SafetyCounts()
        ),
        "controller_cpu_s": loop.controller_cpu_s if loop is not None else 0.0,
        "sensing_cpu_s": loop.sensing_cpu_s if loop is not None else 0.0,
        "signals": len(loop.intersections) if loop is not None else len(index.tls_ids),
        "detectors": loop.reader.detector_count if loop is not None else 0,
        "failure": (
            None
            if loop is None
            else loop.failure
            or next(
                (f"{why} (in a request hook)" for _, why in sorted(loop.failed_hooks.items())),
                None,
            )
        ),
    }


def _save(
    ck: Checkpoint,
    sumo: ModuleType,
    api: Any,
    journal: Journal,
    step: int,
    t_s: float,
    loop: ControlLoop | None,
    recorder: StateRecorder | None,
    teleports: int,
) -> None:
    """Write the run's checkpoint at ``step`` (before that step's sensing and control)."""
    try:
        ck.save(
            step=step,
            t_s=t_s,
            digest=state_digest(sumo),
            journal=journal,
            state={"loop": loop, "recorder": recorder, "teleports": teleports},
            api=api,
        )
    except OSError as exc:
        raise InputError(
            [Problem("--checkpoint", f"cannot write it: {exc.strerror or exc}", str(ck.path))]
        ) from None
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise InputError(
            [
                Problem(
                    "--checkpoint",
                    f"the run's state cannot be saved ({exc}): checkpoints need a picklable "
                    "controller and hooks",
                    str(ck.path),
                )
            ]
        ) from None


def _resume(
    sumo: ModuleType,
    api: Any,
    journal: Journal,
    ck: Checkpoint,
    data: Mapping[str, Any],
    loop: ControlLoop | None,
    progress: SimProgress | None,
    end_s: float,
) -> tuple[ControlLoop | None, StateRecorder | None, int, int]:
    """Replay the checkpoint's journal into the fresh SUMO up to its step, check that the
    simulation got where it was, and restore signalbrain's side of the run."""
    steps = int(data["step"])
    t_ck = float(data["t_s"])
    journal.entries = list(data["journal"])
    if progress is not None:
        progress.say(f"resuming from {ck.path}: replaying the simulation to t = {t_ck:g} s")
        # the replay reports its own progress, then the run its own (speed, time left)
        progress.start(float(sumo.simulation.getTime()), t_ck)
    k = 0
    try:
        for i in range(steps):
            k = journal.replay(sumo, i, k)
            sumo.simulationStep()
            if progress is not None:
                progress.step(float(sumo.simulation.getTime()), sumo.vehicle.getIDCount)
        diverged = state_digest(sumo) != data["digest"]
    except Exception as exc:  # SUMO refused a recorded call or stopped: not the same run
        diverged, why = True, f"; SUMO said: {str(exc) or type(exc).__name__}"
    else:
        why = ""
    journal.step = steps
    if diverged:
        raise InputError(
            [
                Problem(
                    "--checkpoint",
                    f"replayed to t = {t_ck:g} s, the simulation is not where it was (a "
                    "different SUMO, or an input file the checkpoint does not check changed"
                    f"{why}); delete the checkpoint to start the run anew",
                    str(ck.path),
                )
            ]
        )
    if progress is not None:
        progress.start(t_ck, end_s)
    state = ck.restore(data, api)
    restored: ControlLoop | None = state["loop"]
    if loop is not None and restored is not None:
        # The caller's objects (a controller object, an escort hook whose summary is read
        # after the run) stay the caller's, with the restored state.
        adopt(loop.controller, restored.controller)
        restored.controller = loop.controller
        for live, old in zip(
            (*loop.observation_hooks, *loop.request_hooks),
            (*restored.observation_hooks, *restored.request_hooks),
            strict=True,
        ):
            adopt(live, old)
        restored.observation_hooks = loop.observation_hooks
        restored.request_hooks = loop.request_hooks
        restored.reader.resubscribe()
    return restored, state["recorder"], int(state["teleports"]), steps
