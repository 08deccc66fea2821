"""A job module that takes seconds to import: the fork server preloads it before it forks the
first worker, which holds the coordinator in ``Process.start`` that long."""

from __future__ import annotations

import time
from typing import Any

from replay_jobs import brightness_job

time.sleep(3.0)


def slow_import_job(path: str, progress: Any, **kwargs: Any) -> dict[str, Any]:
    """``brightness_job`` from a module that is slow to import."""
    return brightness_job(path, progress, **kwargs)
