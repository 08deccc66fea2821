"""The simulation loop of :func:`signalbrain.sim.run.run_sumo`: SUMO started, the run stepped
to its end with signalbrain's control loop (or SUMO's programs, their displays recorded for the
audit), checkpoints written on the way (:func:`_save`) or a run resumed from one (:func:`_resume`:
the journal replayed, the state checked and signalbrain's side restored), and the figures of the
run collected for its :class:`~signalbrain.sim.result.RunResult`."""

from __future__ import annotations

import math
import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from signalbrain.control.base import Controller, SafetyCounts
from signalbrain.errors import InputError, Problem
from signalbrain.network import Intersection, Network
from signalbrain.sim.baselines import BASELINE_TYPES
from signalbrain.sim.checkpoint import Checkpoint, Journal, JournaledApi, adopt, state_digest
from signalbrain.sim.loop import ControlLoop, ObservationHook, RequestHook, StateRecorder
from signalbrain.sim.progress import SimProgress
from signalbrain.sim.sensing import DetectorReader, link_map

__all__ = ["simulate"]


def simulate(
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
    """Step the started simulation to its end (``end_s``, else SUMO's, else until no vehicle
    is left) and return the run's figures: notes, begin and end [s], teleports, the depart
    delays of vehicles still waiting, vehicle classes, safety counts, CPU times, signal and
    detector counts and the controller's failure. ``loop_spec`` is ``(network, controller,
    intersections)`` for signalbrain's controllers, ``None`` when SUMO's programs run;
    ``audited`` are the intersections whose SUMO displays are recorded and audited (every
    light then; with ``loop_spec``, those left to SUMO's programs)."""
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
        left = "" if loop_spec is None else " left to SUMO's programs"
        notes.append(
            f"safety: SUMO's displays at {len(recorder.intersections)} traffic lights{left} "
            "audited by signalbrain's rules (conflicts, minimum green, yellow, all-red of the "
            "imported model)"
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
        if recorder is not None:
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
        faults = getattr(loop.controller, "fault_summary", None)
        summary = faults() if callable(faults) else {}
        if summary:
            shown = ", ".join(
                f"{i}: {n} episode{'s' * (n != 1)}, {s:g} s"
                for i, (n, s) in sorted(summary.items())[:10]
            )
            more = f" and {len(summary) - 10} more" if len(summary) > 10 else ""
            notes.append(
                f"detector faults: {len(summary)} signal{'s' * (len(summary) != 1)} ran their "
                f"fixed plan while their detectors read implausibly or not at all ({shown}{more})"
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
            (loop.audit() if loop is not None else SafetyCounts())
            + (recorder.audit() if recorder is not None else SafetyCounts())
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
