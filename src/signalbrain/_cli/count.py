"""``signalbrain count``: batch vehicle counting of recorded video (see :mod:`signalbrain.replay`).

Exit codes: 0 every video counted; 3 finished but some videos skipped (listed in
``summary.json``); 2 bad input (camera file, no videos, unusable ``--out``, bad scheduler
address); 1 internal error; 130 interrupted (finished videos keep their checkpoints).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

_DESCRIPTION = """\
Count vehicles crossing the camera's lines and turning between its zones in recorded videos.
Writes DIR/counts.csv (video,camera,t_start_s,t_end_s,kind,id,vehicles) and DIR/summary.json.
Each finished video is checkpointed in DIR/.checkpoints: running the same command again resumes
without counting anything twice. A directory given as VIDEO stands for every video file in it.
Files that are not readable videos are listed as skipped in summary.json and are not tried again
until they change; a video whose worker crashed is tried again on the next run.
"""

_EPILOG = """\
exit codes: 0 all counted, 3 some videos skipped (see summary.json), 2 bad input, 1 internal
error. Workers default to one process per CPU (videos are independent and the counter uses about
one core each); --scheduler sends the same work to a Dask cluster whose workers must see the
videos at the same absolute paths.
"""


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number >= 1") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value}: expected a whole number >= 1")
    return value


def _path(text: str) -> Path:
    if not text:  # Path("") is the working directory
        raise argparse.ArgumentTypeError("empty; expected a path")
    return Path(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected seconds > 0") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text}: expected seconds > 0")
    return value


def register(sub: Any) -> None:
    """Add the ``count`` command."""
    p = sub.add_parser(
        "count",
        help="count vehicles in recorded videos (batch, resumable)",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("videos", nargs="+", metavar="VIDEO", help="video files or directories")
    p.add_argument(
        "--camera",
        required=True,
        type=_path,
        metavar="CAMERA.yaml",
        help="camera file (lines and zones) used for every video",
    )
    p.add_argument(
        "--out",
        required=True,
        type=_path,
        metavar="DIR",
        help="output directory (created if missing; reused to resume)",
    )
    p.add_argument(
        "--workers",
        type=_workers,
        default=None,
        metavar="N",
        help="local worker processes (default: one per CPU, at most one per video)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (needs signalbrain[dask])",
    )
    p.add_argument(
        "--model",
        type=_path,
        metavar="PATH",
        help="ONNX vehicle detector (YOLO-style outputs) instead of background subtraction",
    )
    p.add_argument(
        "--video-timeout",
        type=_seconds,
        default=None,
        metavar="S",
        help="stop and skip a video still being counted after S seconds (a decoder "
        "hung on a damaged file); it is retried on the next run",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``signalbrain count``; returns the exit code."""
    from signalbrain.replay import count_videos, summary_exit_code

    summary = count_videos(
        args.videos,
        args.camera,
        args.out,
        workers=args.workers,
        scheduler=args.scheduler,
        model=args.model,
        progress=not args.quiet,
        video_timeout_s=args.video_timeout,
    )
    return summary_exit_code(summary)
