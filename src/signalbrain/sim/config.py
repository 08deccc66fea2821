"""SUMO configuration files and the command line signalbrain hands to SUMO.

This module owns two things: reading the handful of options signalbrain needs from a
``.sumocfg`` (:func:`read_sumocfg`), and building SUMO's argument list so that the configuration
runs *unchanged* (its own outputs included) while signalbrain adds what it needs
(:func:`sumo_command`). SUMO refuses an option given twice on its command line, and an option on
the command line replaces the configuration's value, so files signalbrain adds (detectors,
converted programs) are merged with the configuration's own ``additional-files`` and with any
``--additional-files`` the user passed after ``--`` into one option.

References
----------
Eclipse SUMO documentation, "Basics/Using the Command Line Applications" (configuration files,
option precedence) and "sumo" (option names and abbreviations).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from signalbrain.errors import InputError, Problem

__all__ = [
    "SumoConfig",
    "SumoOptions",
    "output_prefix",
    "parse_time",
    "prefixed",
    "read_sumocfg",
    "split_sumo_args",
    "sumo_command",
    "tripinfo_path",
]

# Long option names and their one-letter abbreviations that signalbrain reads or merges.
_ABBREVIATIONS = {
    "n": "net-file",
    "r": "route-files",
    "a": "additional-files",
    "b": "begin",
    "e": "end",
    "c": "configuration-file",
}
# Options signalbrain itself decides when they are not given (never passed twice).
_OWN_DEFAULTS: tuple[tuple[str, str], ...] = (
    ("no-step-log", "true"),
    ("tripinfo-output.write-unfinished", "true"),
)


def parse_time(text: str, where: str, source: str) -> float:
    """SUMO times are seconds or ``H:M:S`` / ``D:H:M:S`` clock strings."""
    try:
        parts = [float(p) for p in text.split(":")]
    except ValueError:
        parts = []
    if not parts or len(parts) > 4:
        raise InputError(
            [Problem(where, f"time {text!r} is not a number of seconds or H:M:S", source)]
        )
    factors = (86400.0, 3600.0, 60.0, 1.0)[-len(parts) :]
    return sum(f * p for f, p in zip(factors, parts, strict=True))


@dataclass(frozen=True, slots=True)
class SumoConfig:
    """What signalbrain reads from a ``.sumocfg``; every path is absolute.

    ``begin_s``/``end_s`` are ``None`` when the configuration leaves them to SUMO's defaults
    (begin 0, no end; a negative ``end``, SUMO's default -1, is "no end" as well);
    ``tripinfo_output`` is the configuration's own trip-info file, if any; ``output_prefix`` its
    ``output-prefix`` (SUMO prepends it to every output file's name); ``output_files`` the
    files of its ``*-output`` and ``*-dump`` options with their option names, as named (without
    the prefix).
    """

    path: Path
    net_file: Path
    route_files: tuple[Path, ...] = ()
    additional_files: tuple[Path, ...] = ()
    begin_s: float | None = None
    end_s: float | None = None
    step_length_s: float | None = None
    tripinfo_output: Path | None = None
    output_prefix: str | None = None
    output_files: tuple[tuple[str, Path], ...] = ()


def read_sumocfg(path: str | Path) -> SumoConfig:
    """Read a SUMO configuration file.

    Parameters
    ----------
    path
        The ``.sumocfg`` file.

    Returns
    -------
    SumoConfig
        With paths resolved against the configuration's folder, as SUMO does.

    Raises
    ------
    InputError
        The file is missing or unreadable, is not XML, or names no ``net-file``.
    """
    source = str(path)
    cfg_path = Path(path)
    if not cfg_path.is_file():
        raise InputError(f"SUMO configuration not found: {source}")
    try:
        root = ET.parse(cfg_path).getroot()
    except ET.ParseError as exc:
        raise InputError(
            [Problem("", f"not a SUMO configuration (malformed XML: {exc})", source)]
        ) from None
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc}") from None
    if root.tag not in ("configuration", "sumoConfiguration"):
        raise InputError(
            [Problem("", f"root element is <{root.tag}>, expected <configuration>", source)]
        )
    values: dict[str, tuple[str, str]] = {}
    for section in root:
        items = list(section) if len(section) else [section]
        for item in items:
            value = item.get("value", item.get("v"))  # SUMO takes both
            if value is None:
                continue
            name = _ABBREVIATIONS.get(item.tag, item.tag)
            values[name] = (value, f"{section.tag}.{item.tag}" if item is not section else item.tag)
    base = cfg_path.resolve().parent

    def files(name: str) -> tuple[Path, ...]:
        if name not in values:
            return ()
        text = values[name][0]
        return tuple(base / p.strip() for p in text.replace(";", ",").split(",") if p.strip())

    nets = files("net-file")
    if not nets:
        raise InputError(
            [
                Problem(
                    "input.net-file",
                    "missing: signalbrain needs the network "
                    '(<net-file value="NAME.net.xml"/>) to control its lights',
                    source,
                )
            ]
        )
    if not nets[0].is_file():
        raise InputError(
            [Problem(values["net-file"][1], f"network file not found: {nets[0]}", source)]
        )

    def time(name: str) -> float | None:
        if name not in values:
            return None
        text, where = values[name]
        return parse_time(text, where, source)

    tripinfo = files("tripinfo-output")
    return SumoConfig(
        path=cfg_path.resolve(),
        net_file=nets[0],
        route_files=files("route-files"),
        additional_files=files("additional-files"),
        begin_s=time("begin"),
        end_s=_no_end_is_none(time("end")),
        step_length_s=time("step-length"),
        tripinfo_output=tripinfo[0] if tripinfo else None,
        output_prefix=values["output-prefix"][0] if "output-prefix" in values else None,
        output_files=tuple(
            (name, p) for name in values if name.endswith(("-output", "-dump")) for p in files(name)
        ),
    )


def _no_end_is_none(end_s: float | None) -> float | None:
    """SUMO's ``end`` with its "no end" (any negative value, -1 by default) as None."""
    return None if end_s is not None and end_s < 0 else end_s


@dataclass(frozen=True, slots=True)
class SumoOptions:
    """The user's extra SUMO arguments (after ``--``), split into what signalbrain must know.

    ``values`` maps long option names to their value (``"true"`` for bare flags) for the options
    signalbrain reads; ``rest`` keeps every other argument verbatim and in order.
    """

    values: tuple[tuple[str, str], ...]
    rest: tuple[str, ...]

    def get(self, name: str) -> str | None:
        """The value of a long option name, if the user gave it."""
        for key, value in self.values:
            if key == name:
                return value
        return None

    def additional_files(self) -> tuple[Path, ...]:
        """The user's ``--additional-files``, resolved against the working folder as SUMO
        reads them, in order (SUMO takes ``,`` or ``;`` between them)."""
        given = self.get("additional-files") or ""
        return tuple(
            Path(p.strip()).resolve() for p in given.replace(";", ",").split(",") if p.strip()
        )


# Options whose value signalbrain must see (merged, or read to find outputs and times).
_WATCHED = frozenset(
    {
        "additional-files",
        "tripinfo-output",
        "end",
        "begin",
        "net-file",
        "configuration-file",
        "tripinfo-output.write-unfinished",
        "no-step-log",
        "time-to-teleport",
        "seed",
        "step-length",
        "output-prefix",
    }
)
_FLAGS = frozenset({"tripinfo-output.write-unfinished", "no-step-log"})
_FALSE = frozenset({"false", "0", "off", "no"})  # how SUMO options say no


def split_sumo_args(args: Sequence[str]) -> SumoOptions:
    """Split extra SUMO arguments into watched options and the verbatim rest.

    Raises
    ------
    InputError
        A watched option is given twice, lacks its value, is one signalbrain owns
        (``--net-file``, ``-c``: the configuration decides them), or turns off what the
        metrics need (``--tripinfo-output.write-unfinished false``).
    """
    values: list[tuple[str, str]] = []
    rest: list[str] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    i = 0
    while i < len(args):
        arg = args[i]
        name: str | None = None
        inline: str | None = None
        if arg.startswith("--"):
            name, _, inline_text = arg[2:].partition("=")
            inline = inline_text if "=" in arg else None
        elif arg.startswith("-") and len(arg) == 2 and arg[1] in _ABBREVIATIONS:
            name = _ABBREVIATIONS[arg[1]]
        if name is None or name not in _WATCHED:
            rest.append(arg)
            i += 1
            continue
        if name in ("net-file", "configuration-file"):
            problems.append(
                Problem(
                    "SUMO_ARGS",
                    f"--{name} cannot be given after '--': the "
                    "configuration CONFIG.sumocfg decides it",
                )
            )
        if name in seen:
            problems.append(Problem("SUMO_ARGS", f"--{name} is given twice (SUMO refuses that)"))
        seen.add(name)
        if inline is not None:
            value = inline
            i += 1
        elif name in _FLAGS and (i + 1 >= len(args) or args[i + 1] not in ("true", "false")):
            value = "true"
            i += 1
        elif i + 1 < len(args):
            value = args[i + 1]
            i += 2
        else:
            problems.append(Problem("SUMO_ARGS", f"--{name} needs a value"))
            i += 1
            continue
        if name == "tripinfo-output.write-unfinished" and value.lower() in _FALSE:
            problems.append(
                Problem(
                    "SUMO_ARGS",
                    f"--{name} {value}: signalbrain needs the trips of the vehicles still "
                    "driving at the end (the departed count, mean_delay_all_s); leave it out",
                )
            )
        values.append((name, value))
    if problems:
        raise InputError(problems)
    return SumoOptions(values=tuple(values), rest=tuple(rest))


def sumo_command(
    config: SumoConfig,
    options: SumoOptions,
    *,
    own_additional: Sequence[Path] = (),
    tripinfo_output: Path | None = None,
    end_s: float | None = None,
    binary: str = "sumo",
) -> list[str]:
    """SUMO's full argument list for a closed-loop run.

    Parameters
    ----------
    config
        The configuration, passed with ``-c`` and otherwise untouched.
    options
        The user's extra arguments (after ``--``).
    own_additional
        Files signalbrain adds (detectors, converted programs); merged with the configuration's
        and the user's ``additional-files`` into one option, in that order.
    tripinfo_output
        Where SUMO writes trip information when neither the configuration nor the user set it.
    end_s
        The ``--end`` of signalbrain's ``--end S``; refused when the user also gave ``--end``.
    binary
        ``argv[0]`` (libsumo ignores it).

    Raises
    ------
    InputError
        ``--end`` is given both to signalbrain and after ``--``.
    """
    cmd = [binary, "-c", str(config.path)]
    additional = [str(p) for p in config.additional_files]
    user_additional = options.additional_files()
    additional += [str(p) for p in user_additional]
    additional += [str(p) for p in own_additional]
    if additional and (own_additional or user_additional):
        cmd += ["--additional-files", ",".join(additional)]
    if end_s is not None and options.get("end") is not None:
        raise InputError(
            [Problem("--end", "given both to signalbrain and after '--'; give it once")]
        )
    for name, value in options.values:
        if name != "additional-files":
            cmd += [f"--{name}", value]
    if end_s is not None:
        cmd += ["--end", f"{end_s:g}"]
    if (
        tripinfo_output is not None
        and options.get("tripinfo-output") is None
        and config.tripinfo_output is None
    ):
        cmd += ["--tripinfo-output", str(tripinfo_output)]
    for name, value in _OWN_DEFAULTS:
        if options.get(name) is None:
            cmd += [f"--{name}", value]
    cmd += list(options.rest)
    return cmd


def tripinfo_path(config: SumoConfig, options: SumoOptions, fallback: Path) -> Path:
    """Where SUMO wrote trip information: the user's ``--tripinfo-output`` (relative to the
    working folder), else the configuration's own (relative to its folder), else ``fallback``;
    in each case with the ``output-prefix`` in force (the user's, else the configuration's)
    prepended to the file's name, as SUMO does. SUMO replaces ``TIME`` in the prefix by the time
    it started: call this after the run, when the file is there to be found.
    """
    user = options.get("tripinfo-output")
    if user:
        path = Path(user).resolve()
    elif config.tripinfo_output is not None:
        path = config.tripinfo_output
    else:
        path = fallback
    prefix = output_prefix(config, options)
    if not prefix:
        return path
    if "TIME" not in prefix:
        return prefixed(path, prefix)
    # TIME: SUMO's start time as YYYY-MM-DD-HH-MM-SS; the newest such file is this run's
    pattern = prefix.replace("TIME", "????-??-??-??-??-??") + path.name
    found = sorted(path.parent.glob(pattern), key=lambda f: f.stat().st_mtime)
    return found[-1] if found else prefixed(path, prefix)


def prefixed(path: Path, prefix: str) -> Path:
    """``path`` with ``prefix`` prepended to its file name as SUMO does it, as text: a prefix
    with a folder part (``run1/``, even ``/abs/``) names a file in a subfolder of ``path``'s."""
    return Path(f"{path.parent}/{prefix}{path.name}")


def output_prefix(config: SumoConfig, options: SumoOptions) -> str:
    """The ``output-prefix`` in force: the user's after ``--``, else the configuration's, else
    ``""``."""
    prefix = options.get("output-prefix")
    if prefix is None:
        prefix = config.output_prefix
    return prefix or ""
