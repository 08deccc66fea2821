"""The ``signalbrain`` command line: a thin layer over the Python API.

Each command group lives in a module of :mod:`signalbrain._cli` that adds its sub-parser with
``register(subparsers)`` and sets ``func(args) -> int``. This module owns only the shared
contract: exit codes and error reporting.

Exit codes: 0 success; 2 bad input (one clear message, no traceback); 3 a batch finished but
skipped some inputs; 1 internal error.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence

# One OpenBLAS thread unless the user says otherwise, set before anything imports numpy: the
# commands multiply only small matrices (Kalman filters, 2-D geometry), and OpenBLAS's thread
# pool costs CPU for nothing. `signalbrain optimize --method webster` on a 1,296-signal grid:
# 0.76-0.77 s of CPU with the pool, 0.64-0.65 s without, wall time alike (2026-12-07).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from signalbrain.errors import InputError, SignalbrainError

__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERNAL", "EXIT_OK", "EXIT_SKIPPED", "main"]

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_SKIPPED = 3

# Command-group modules under signalbrain._cli, in the order `--help` lists them.
_COMMAND_MODULES: tuple[str, ...] = (
    "network",
    "demo",
    "count",
    "sumo",
    "escort",
    "optimize",
)

# Which module registers each top-level command, so that running one command imports only its
# module (numba, scipy and OpenCV take seconds to import). `--help` still imports them all.
_COMMAND_OWNER: dict[str, str] = {
    "validate": "network",
    "import-sumo": "network",
    "demo": "demo",
    "count": "count",
    "sumo": "sumo",
    "escort": "escort",
    "optimize": "optimize",
}


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on usage errors already; keep the message short and clear."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"signalbrain: error: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


class _Version(argparse.Action):
    """``--version``: like argparse's ``version`` action, but the version is looked up only when
    asked for (``signalbrain.__version__`` may read the installed package's metadata, which
    costs start-up time that no other command needs)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS) -> None:
        super().__init__(
            option_strings=option_strings,
            dest=dest,
            default=argparse.SUPPRESS,
            nargs=0,
            help="show program's version number and exit",
        )

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        import signalbrain

        sys.stdout.write(f"signalbrain {signalbrain.__version__}\n")
        parser.exit()


def build_parser(modules: Sequence[str] = _COMMAND_MODULES) -> argparse.ArgumentParser:
    """Build the argument parser with the given command-group modules (default: all)."""
    parser = _Parser(
        prog="signalbrain",
        description="signalbrain: adaptive traffic-signal control engine. Exit codes: 0 ok, "
        "2 bad input, 3 batch finished with skipped inputs, 1 internal error.",
    )
    parser.add_argument("--version", action=_Version)
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in modules:
        importlib.import_module(f"signalbrain._cli.{name}").register(sub)
    return parser


def _modules_for(argv: Sequence[str]) -> Sequence[str]:
    """Only the module of the command named first on the line; every module otherwise."""
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is None and "--version" in argv:
        return ()
    owner = _COMMAND_OWNER.get(first or "")
    return (owner,) if owner else _COMMAND_MODULES


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is: the clean-up of an interrupt runs (worker pools
    are shut down, SUMO is closed, checkpoints stay valid)."""


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """While a command runs, SIGTERM (``kill``, ``timeout``, a job scheduler) ends it like Ctrl-C
    does, instead of killing the process and leaving its worker processes behind. Only in the
    main thread (where Python delivers signals); the previous handler comes back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _debug(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "debug", False) or os.environ.get("SIGNALBRAIN_DEBUG"))


@contextlib.contextmanager
def _debug_logging(on: bool) -> Iterator[None]:
    """With ``--debug``, signalbrain's debug log (tracebacks of a failed controller or hook
    among it) goes to stderr while the command runs."""
    if not on:
        yield
        return
    logger = logging.getLogger("signalbrain")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (also used as the console script)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_modules_for(argv))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        with _terminate_as_interrupt(), _debug_logging(_debug(args)):
            return int(args.func(args))
    except _Terminated:
        sys.stderr.write("signalbrain: terminated\n")
        return 128 + signal.SIGTERM
    except InputError as exc:
        sys.stderr.write(f"signalbrain: {exc}\n")
        return EXIT_BAD_INPUT
    except SignalbrainError as exc:
        sys.stderr.write(f"signalbrain: {exc}\n")
        return EXIT_INTERNAL
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        sys.stderr.write("signalbrain: interrupted\n")
        return 130
    except Exception as exc:  # the last guard: never a bare traceback for users
        if _debug(args):
            traceback.print_exc()
        sys.stderr.write(
            f"signalbrain: internal error: {type(exc).__name__}: {exc}\n"
            "(run with --debug for the traceback)\n"
        )
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
