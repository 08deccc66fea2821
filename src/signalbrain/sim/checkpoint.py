"""Checkpoints of a closed-loop SUMO run, so that a crashed or interrupted run resumes.

SUMO can save and reload its own state (``--save-state.*``), but a reloaded simulation does not
continue as the original would: vehicles still to be loaded draw their speed factors from a
random stream the reload puts elsewhere, and positions are rounded (on the Hangzhou bc-tyc hour
split at 1800 s, 35 of the 812 trips ending after the split came out as before, even with
``--save-state.rng`` and ten digits). A resumed run must give the numbers an uninterrupted one
gives, so signalbrain does not use it. Instead:

* Everything signalbrain asks SUMO to change (signal states, the escort's routes: every call of
  a SUMO API domain that is not a getter or a subscription) goes through :class:`JournaledApi`,
  which writes it into a :class:`Journal` under the step it was made in.
* Every ``every_s`` simulated seconds a :class:`Checkpoint` stores that journal and a pickle of
  signalbrain's side of the run (controller, conflict monitors, detector reader, request hooks,
  the audit's states, counters), atomically.
* To resume, SUMO is started again with the same inputs and the journal is replayed into it up
  to the checkpoint's step, without sensing or deciding (SUMO is deterministic given the same
  inputs and commands, so it reaches the same state, which a digest of every vehicle's
  position checks); then the pickled side is restored and the run goes on.

Replaying costs SUMO's own time up to the checkpoint (a third to a half of a closed-loop run's
time on the bundled scenarios, sensing and control being the rest). The checkpoint file is a
Python pickle: load only checkpoints you wrote.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import pickle
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from signalbrain._files import atomic_write_bytes
from signalbrain.errors import InputError, Problem

__all__ = [
    "Checkpoint",
    "Journal",
    "JournaledApi",
    "adopt",
    "fingerprint",
    "state_digest",
]

FORMAT = 1
_MAGIC = "signalbrain-sumo-checkpoint"
# Domain methods that only read or manage subscriptions: not journaled.
_READ_PREFIXES = ("get", "subscribe", "unsubscribe")


@dataclass(slots=True)
class Journal:
    """Every SUMO-changing call of a run: ``(step, domain, method, args, kwargs)`` in order."""

    step: int = 0
    entries: list[tuple[int, str, str, tuple[Any, ...], dict[str, Any]]] = field(
        default_factory=list
    )

    def replay(self, sumo: ModuleType, step: int, start: int = 0) -> int:
        """Make in ``sumo`` the calls recorded for ``step``, from entry ``start`` on; returns
        the index of the first entry of a later step."""
        k = start
        entries = self.entries
        while k < len(entries) and entries[k][0] == step:
            _, domain, method, args, kwargs = entries[k]
            getattr(getattr(sumo, domain), method)(*args, **kwargs)
            k += 1
        return k


class _JournaledDomain:
    """One SUMO API domain (``trafficlight``, ``vehicle``...) whose changing calls are
    journaled; every attribute is looked up once, then served from the instance."""

    def __init__(self, domain: Any, name: str, journal: Journal) -> None:
        self._domain = domain
        self._name = name
        self._journal = journal

    def __getattr__(self, method: str) -> Any:
        attr = getattr(self._domain, method)
        if (
            not callable(attr)
            or method.startswith(_READ_PREFIXES)
            or "Subscription" in method
            or method.startswith("_")
        ):
            object.__setattr__(self, method, attr)
            return attr
        journal, domain = self._journal, self._name

        def journaled(*args: Any, **kwargs: Any) -> Any:
            # journaled once made: a call SUMO refuses (the caller goes on) changed nothing,
            # and made again on resume it would raise where nobody catches it
            out = attr(*args, **kwargs)
            journal.entries.append((journal.step, domain, method, args, dict(kwargs)))
            return out

        object.__setattr__(self, method, journaled)
        return journaled


class JournaledApi:
    """The ``libsumo``/``traci`` module as signalbrain's controllers and hooks see it: the same
    functions, with every call that changes the simulation journaled (module-level functions
    such as ``simulationStep`` are the run loop's own and pass through)."""

    def __init__(self, sumo: ModuleType, journal: Journal) -> None:
        self.__name__ = sumo.__name__
        self._sumo = sumo
        self._journal = journal

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._sumo, name)
        # A domain is a lower-case class in libsumo (static methods; the capitalised classes
        # are data types) and an object in traci.
        if (isinstance(attr, type) and name[:1].islower()) or (
            not isinstance(attr, type) and hasattr(attr, "getSubscriptionResults")
        ):
            attr = _JournaledDomain(attr, name, self._journal)
        object.__setattr__(self, name, attr)
        return attr


def fingerprint(parts: Mapping[str, Any], files: Iterable[Path]) -> dict[str, str]:
    """What must be the same for a checkpoint to resume a run: the run's settings (``parts``,
    compared by ``repr``) and the content of its input files (SHA-256)."""
    out = {k: repr(v) for k, v in sorted(parts.items())}
    for path in files:
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
        except OSError:
            out[f"file {path}"] = "unreadable"
            continue
        out[f"file {path}"] = digest.hexdigest()
    return out


def state_digest(sumo: ModuleType) -> str:
    """A digest of the simulation's state: time, every vehicle's lane, position and speed."""
    digest = hashlib.sha256()
    digest.update(repr(float(sumo.simulation.getTime())).encode())
    vehicle = sumo.vehicle
    for vid in sorted(vehicle.getIDList()):
        digest.update(
            f"{vid}|{vehicle.getLaneID(vid)}|{float(vehicle.getLanePosition(vid))!r}|"
            f"{float(vehicle.getSpeed(vid))!r};".encode()
        )
    return digest.hexdigest()


# While a checkpoint is restored: the API that references to the run's API are bound to.
_restoring_api: list[object] = []


def _bound_api() -> object:
    return _restoring_api[-1]


def _dumps(state: object, api: object) -> bytes:
    """Pickle a run's objects; modules (the SUMO API among them) are stored by name and the
    run's API as a reference bound again on restore. (A dispatch table rather than
    ``persistent_id``: that is a Python call for every object, twice the cost here.)"""
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)

    def module(m: ModuleType) -> tuple[Any, tuple[str, ...]]:
        return (_bound_api, ()) if m is api else (importlib.import_module, (m.__name__,))

    pickler.dispatch_table = {
        ModuleType: module,
        JournaledApi: lambda _a: (_bound_api, ()),
    }
    pickler.dump(state)
    return buf.getvalue()


def _loads(data: bytes, api: object) -> Any:
    _restoring_api.append(api)
    try:
        return pickle.loads(data)
    finally:
        _restoring_api.pop()


def adopt(live: object, restored: object) -> None:
    """Give ``live`` the state of ``restored`` (same type): objects the caller holds, such as
    a request hook whose summary is read after the run, stay the caller's objects."""
    if live is restored:
        return
    if type(live) is not type(restored):
        raise TypeError(f"cannot restore a {type(live).__name__} from a {type(restored).__name__}")
    if hasattr(restored, "__dict__"):
        vars(live).clear()
        vars(live).update(vars(restored))
    for klass in type(restored).__mro__:
        for slot in getattr(klass, "__slots__", ()):
            if slot in ("__dict__", "__weakref__"):
                continue
            if hasattr(restored, slot):
                setattr(live, slot, getattr(restored, slot))


@dataclass(slots=True)
class Checkpoint:
    """A run's checkpoint file: written every ``every_s`` simulated seconds, read to resume.

    Parameters
    ----------
    path
        The file (a pickle, replaced atomically at each write).
    every_s
        Simulated time between two writes [s].
    parts
        The run's settings that must match to resume (see :func:`fingerprint`).
    files
        The run's input files, whose content must match to resume.
    """

    path: Path
    every_s: float = 300.0
    parts: Mapping[str, Any] = field(default_factory=dict)
    files: Sequence[Path] = ()
    writes: int = 0
    _identity: dict[str, str] | None = None

    @property
    def identity(self) -> dict[str, str]:
        """The run's fingerprint (computed once)."""
        if self._identity is None:
            self._identity = fingerprint(self.parts, self.files)
        return self._identity

    def load(self) -> dict[str, Any] | None:
        """The stored checkpoint, None when there is none; a checkpoint of another run, or a
        file that is not one, is refused naming what differs."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise InputError(
                [Problem("--checkpoint", f"cannot read it: {exc.strerror}", str(self.path))]
            ) from None
        try:
            data = pickle.loads(raw)
            ok = isinstance(data, dict) and data.get("magic") == _MAGIC
        except Exception:  # anything but a checkpoint: say so, never a traceback
            ok = False
        if not ok:
            raise InputError(
                [
                    Problem(
                        "--checkpoint",
                        "not a signalbrain sumo run checkpoint (or a damaged one); name another "
                        "file, or delete it to start the run anew",
                        str(self.path),
                    )
                ]
            )
        if data.get("format") != FORMAT:
            raise InputError(
                [
                    Problem(
                        "--checkpoint",
                        f"written in checkpoint format {data.get('format')!r}, this signalbrain "
                        f"reads {FORMAT}; delete it to start the run anew",
                        str(self.path),
                    )
                ]
            )
        stored: dict[str, str] = data["fingerprint"]
        mine = self.identity
        differ = sorted(k for k in set(stored) | set(mine) if stored.get(k) != mine.get(k))
        if differ:
            what = "; ".join(
                f"{k}: {stored.get(k, 'absent')} then, {mine.get(k, 'absent')} now"
                if not k.startswith("file ")
                else f"{k[5:]} changed"
                for k in differ[:4]
            )
            raise InputError(
                [
                    Problem(
                        "--checkpoint",
                        f"written by another run ({what}); run as then to resume, or name "
                        "another file, or delete it to start anew",
                        str(self.path),
                    )
                ]
            )
        out: dict[str, Any] = data
        return out

    def restore(self, data: Mapping[str, Any], api: object) -> Any:
        """The run's objects stored in ``data``, with SUMO API references bound to ``api``;
        state this signalbrain cannot rebuild is refused naming the file."""
        try:
            return _loads(data["state"], api)
        except Exception as exc:  # classes changed since it was written, or damage
            raise InputError(
                [
                    Problem(
                        "--checkpoint",
                        f"the run's state cannot be restored ({type(exc).__name__}: {exc}); "
                        "delete it to start the run anew",
                        str(self.path),
                    )
                ]
            ) from None

    def save(
        self,
        *,
        step: int,
        t_s: float,
        digest: str,
        journal: Journal,
        state: object,
        api: object,
    ) -> None:
        """Write the checkpoint at ``step`` (time ``t_s``) atomically."""
        state_bytes = _dumps(state, api)
        data = {
            "magic": _MAGIC,
            "format": FORMAT,
            "fingerprint": self.identity,
            "step": step,
            "t_s": t_s,
            "digest": digest,
            "journal": journal.entries,
            "state": state_bytes,
        }
        atomic_write_bytes(self.path, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
        self.writes += 1
