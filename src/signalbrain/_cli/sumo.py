"""``signalbrain sumo run``: a SUMO configuration with signalbrain driving the lights."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from signalbrain._cli._outputs import output_problems
from signalbrain._files import atomic_write_text
from signalbrain.errors import InputError, Problem


def _split_parser(base: type[argparse.ArgumentParser]) -> type[argparse.ArgumentParser]:
    """A parser class that keeps everything after the first ``--`` verbatim in ``sumo_args``
    (argparse alone cannot mix a positional CONFIG with a trailing free-form list)."""

    class SplitParser(base):  # type: ignore[valid-type,misc]
        def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
            items = list(args) if args is not None else []
            tail: list[str] = []
            if "--" in items:
                cut = items.index("--")
                items, tail = items[:cut], items[cut + 1 :]
            ns, extras = super().parse_known_args(items, namespace)
            ns.sumo_args = tail
            return ns, extras

    return SplitParser


def register(sub: Any) -> None:
    """Add the ``sumo`` command group."""
    group = sub.add_parser(
        "sumo",
        help="closed-loop runs in Eclipse SUMO",
        description="Closed-loop runs in Eclipse SUMO.",
    )
    inner = group.add_subparsers(
        dest="sumo_command", metavar="SUBCOMMAND", parser_class=_split_parser(type(group))
    )
    p = inner.add_parser(
        "run",
        help="run a .sumocfg with a signalbrain or SUMO controller and measure it",
        description="Run CONFIG.sumocfg unchanged (its own outputs included) with every traffic "
        "light signalbrain understands driven by --controller, and write metrics as "
        "JSON. Anything after '--' is passed to SUMO; --additional-files given there "
        "are merged with the configuration's and signalbrain's own.",
        epilog="controllers: sumo (SUMO's programs untouched), actuated and delay_based (SUMO's "
        "programs converted to that type), and signalbrain's: fixed, adaptive, "
        "max-pressure. Example: signalbrain sumo run city.sumocfg --controller adaptive "
        "--json out.json -- --seed 42 --time-to-teleport -1",
    )
    p.add_argument(
        "config",
        type=Path,
        metavar="CONFIG.sumocfg",
        help="SUMO configuration; end with '-- SUMO_ARGS...' to pass options to SUMO",
    )
    p.add_argument(
        "--controller",
        required=True,
        metavar="NAME",
        help="sumo, actuated, delay_based, fixed, adaptive, max-pressure, ...",
    )
    p.add_argument(
        "--end",
        type=float,
        default=None,
        metavar="S",
        help="end of the simulation [s] (default: the configuration's)",
    )
    p.add_argument("--json", type=Path, required=True, metavar="OUT", help="metrics JSON to write")
    p.add_argument(
        "--reach",
        type=float,
        default=None,
        metavar="M",
        help="detector reach upstream of each stop line [m] (default 120)",
    )
    p.add_argument(
        "--backend",
        choices=("libsumo", "traci"),
        default="libsumo",
        help="SUMO API (the other is the fallback; default libsumo)",
    )
    p.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        metavar="FILE",
        help="keep a checkpoint in FILE so that a crashed or interrupted run resumes: when FILE "
        "exists the run resumes from it (re-run the same command), with the results an "
        "uninterrupted run gives; deleted once the results are written",
    )
    p.add_argument(
        "--checkpoint-every",
        type=float,
        default=300.0,
        metavar="S",
        help="simulated time between two checkpoints [s] (default 300)",
    )
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress on stderr (simulated time, speed against real time, time left)",
    )
    # --- one-key escort (signalbrain.escort.sumo, maintained with the escort) ---
    p.add_argument(
        "--escort",
        choices=("auto", "naive"),
        default=None,
        help="auto: every vClass 'emergency' vehicle becomes a one-key escort from its departure "
        "to its arrival edge; naive: distance-triggered preemption within 250 m (baseline)",
    )
    p.add_argument(
        "--escort-lead",
        type=float,
        default=None,
        metavar="S",
        help="with --escort auto: request each escort S seconds before the vehicle's departure "
        "(the crew's turnout time; default 60; 0: when it departs)",
    )
    p.add_argument(
        "--escort-events",
        type=Path,
        default=None,
        metavar="OUT.csv",
        help="with --escort: write the preemption audit log (ATSPM hi-res event CSV; JSON "
        "when OUT ends in .json)",
    )
    # --- end escort ---
    p.set_defaults(func=_run)
    group.set_defaults(func=lambda _args: _usage(group))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _checkpoint_clashes(
    checkpoint: Path | None, args: argparse.Namespace, sumo_args: list[str]
) -> list[Problem]:
    """The options that name the checkpoint's file as an output: one would destroy the other
    (and the checkpoint is deleted at the end)."""
    if checkpoint is None:
        return []
    mine = checkpoint.resolve()
    named = [
        option
        for option, path in (("--json", args.json), ("--escort-events", args.escort_events))
        if path is not None and path.resolve() == mine
    ]
    # SUMO's outputs: --tripinfo-output FILE, --fcd-output=FILE...
    named += ["SUMO_ARGS" for a in sumo_args if _names(a, checkpoint)]
    return [
        Problem(option, f"names the checkpoint's file {checkpoint}; give them different files")
        for option in named
    ]


def _names(sumo_arg: str, path: Path) -> bool:
    """Whether a SUMO argument (``FILE`` or ``--option=FILE``) names the file ``path``."""
    value = sumo_arg.partition("=")[2] if "=" in sumo_arg else sumo_arg
    return bool(value) and Path(value).resolve() == path.resolve()


def _config_output_clashes(
    config: Path, sumo_args: list[str], args: argparse.Namespace
) -> list[Problem]:
    """The options naming a file the configuration has SUMO write (``<summary-output>``...,
    with the output prefix in force) or read (its network, routes, additional files): the
    results, the escort log or the checkpoint would overwrite SUMO's output, or SUMO theirs,
    or destroy an input of the run."""
    from signalbrain.sim.config import output_prefix, prefixed, read_sumocfg, split_sumo_args

    if not config.is_file():
        return []  # run_sumo says what is wrong with it
    cfg = read_sumocfg(config)
    prefix = output_prefix(cfg, split_sumo_args(sumo_args))
    # an output option given after '--' replaces the configuration's
    given = {a[2:].partition("=")[0] for a in sumo_args if a.startswith("--")}
    written = {
        prefixed(p, prefix).resolve(): p for name, p in cfg.output_files if name not in given
    }
    read = {p.resolve(): p for p in (cfg.net_file, *cfg.route_files, *cfg.additional_files)}
    problems = []
    for option, path in (
        ("--json", args.json),
        ("--escort-events", args.escort_events),
        ("--checkpoint", args.checkpoint),
    ):
        if path is None:
            continue
        named = written.get(path.resolve())
        if named is not None:
            problems.append(
                Problem(
                    option,
                    f"{path} is also an output SUMO writes for the configuration ({named}); "
                    "expected another file",
                )
            )
        named = read.get(path.resolve())
        if named is not None:
            problems.append(
                Problem(
                    option,
                    f"{path} is an input of the configuration ({named}); expected another file",
                )
            )
    return problems


def _run(args: argparse.Namespace) -> int:
    from signalbrain.sim.detectors import DEFAULT_REACH_M
    from signalbrain.sim.progress import SimProgress
    from signalbrain.sim.run import run_sumo

    extra = list(getattr(args, "sumo_args", []))
    if args.end is not None and not (math.isfinite(args.end) and args.end > 0):
        raise InputError([Problem("--end", f"{args.end:g}: must be a time > 0 [s]")])
    reach = DEFAULT_REACH_M if args.reach is None else float(args.reach)
    if not (math.isfinite(reach) and reach > 0):
        raise InputError([Problem("--reach", f"{reach:g}: must be a distance > 0 [m]")])
    every = float(args.checkpoint_every)
    if not (math.isfinite(every) and every > 0):
        raise InputError([Problem("--checkpoint-every", f"{every:g}: must be a time > 0 [s]")])
    problems = output_problems("--json", args.json)
    problems += output_problems("--checkpoint", args.checkpoint)
    problems += output_problems("--escort-events", args.escort_events, suffixes=(".csv", ".json"))
    if args.escort_events is not None and args.escort is None:
        problems.append(Problem("--escort-events", "needs --escort auto or --escort naive"))
    elif (
        args.escort_events is not None
        and args.json is not None
        and args.escort_events.resolve() == args.json.resolve()
    ):  # written first, then overwritten by the run's JSON
        problems.append(
            Problem(
                "--escort-events",
                f"{args.escort_events} is also the --json file; expected another file",
            )
        )
    config = Path(args.config)
    for option, path in (
        ("--json", args.json),
        ("--escort-events", args.escort_events),
        ("--checkpoint", args.checkpoint),
    ):  # the run would overwrite the configuration it ran
        if path is not None and config.is_file() and path.resolve() == config.resolve():
            problems.append(Problem(option, f"{path} is the CONFIG file; expected another file"))
    for option, path in (("--json", args.json), ("--escort-events", args.escort_events)):
        # a file SUMO writes (or reads) would be overwritten at the end of the run
        clash = next((a for a in extra if path is not None and _names(a, path)), None)
        if clash is not None:
            problems.append(
                Problem(option, f"{path} is also given to SUMO ({clash}); expected another file")
            )
    problems += _config_output_clashes(config, extra, args)
    if args.escort_lead is not None and args.escort != "auto":
        # only the one-key escort requests ahead of departure; without it the lead did nothing
        problems.append(Problem("--escort-lead", "needs --escort auto"))
    problems += _checkpoint_clashes(args.checkpoint, args, extra)
    if problems:
        raise InputError(problems)
    # --- one-key escort (signalbrain.escort.sumo, maintained with the escort) ---
    escort: Any = None
    escort_options: dict[str, Any] = {}
    if getattr(args, "escort", None) is not None:
        from signalbrain.escort.sumo import DISPATCH_LEAD_S, prepare_escort

        escort, escort_options = prepare_escort(
            args.escort,
            args.config,
            args.controller,
            backend=args.backend,
            dispatch_lead_s=DISPATCH_LEAD_S if args.escort_lead is None else args.escort_lead,
        )
    # --- end escort ---
    try:
        result = run_sumo(
            args.config,
            escort_options.pop("controller", args.controller),
            end_s=args.end,
            sumo_args=extra,
            reach_m=reach,
            backend=args.backend,
            progress=None if args.quiet else SimProgress(label=f"sumo run {args.controller}"),
            checkpoint=args.checkpoint,
            checkpoint_every_s=every,
            **escort_options,
        )
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: say how to go on, then exit as interrupted
        if args.checkpoint is not None and args.checkpoint.exists():
            print(
                f"signalbrain: the run so far is kept in {args.checkpoint}; the same command "
                "resumes it from there",
                file=sys.stderr,
            )
        raise
    data = result.to_json()
    option = "--escort-events"
    try:
        # --- one-key escort ---
        if escort is not None:
            data["escort"] = escort.summary()
            if args.escort_events is not None:
                from signalbrain.io.atspm import write_events_csv, write_events_json

                json_out = args.escort_events.name.lower().endswith(".json")
                write = write_events_json if json_out else write_events_csv
                write(escort.events, args.escort_events)
        # --- end escort ---
        option = "--json"
        atomic_write_text(args.json, json.dumps(data, indent=2) + "\n")
    except OSError as exc:  # disk full, folder gone...: the checkpoint still holds the run
        kept = (
            f"; the run is kept in {args.checkpoint}: the same command (with another {option} "
            "if need be) finishes it from there"
            if args.checkpoint is not None and args.checkpoint.exists()
            else ""
        )
        target = args.json if option == "--json" else args.escort_events
        raise InputError(
            [Problem(option, f"cannot write {target}: {exc.strerror or exc}{kept}")]
        ) from None
    if args.checkpoint is not None:  # the results are safe: a re-run starts anew
        args.checkpoint.unlink(missing_ok=True)
    v = data["vehicles"]
    print(
        f"{data['controller']}: {v['departed']} departed, {v['arrived']} arrived, "
        + (f"{v['removed']} removed by SUMO, " if v["removed"] else "")
        + f"mean delay {data['mean_delay_s']} s (all vehicles {data['mean_delay_all_s']} s), "
        f"travel time {data['mean_travel_time_s']} s; safety {data['safety']}; "
        f"wrote {args.json}"
    )
    if result.controller_failure is not None:  # a bug: the run finished, but not as asked
        print(
            f"signalbrain: internal error in the {args.controller} run at "
            f"{result.controller_failure}; the run went on safely (the notes in {args.json} "
            "say how) and its metrics include that part",
            file=sys.stderr,
        )
        return 1
    return 0
