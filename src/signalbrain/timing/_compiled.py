"""Compiled timing kernels: the ahead-of-time extension when it is current, numba JIT otherwise.

The kernel modules (:mod:`signalbrain.timing._kernels`, :mod:`signalbrain.timing._kernels_coord`)
hold plain Python functions marked ``@kernel`` and end with ``compile_kernels(globals())``, which
replaces them, in place, by compiled ones:

* **AOT**: when the extension module :data:`AOT_MODULE` (built by ``python -m
  signalbrain.timing._aot`` from the same source functions with the signatures in
  :data:`SIGNATURES`) exists and was built from the current source (its ``source_hash()`` equals
  :func:`source_hash` of the kernel files and this one), each kernel named in :data:`SIGNATURES`
  becomes an :class:`AotKernel`. numba is not imported: a process that only runs these kernels
  saves its import and the set-up of its compiler (about 0.7 s of CPU, most of what
  ``signalbrain optimize`` spends on a 1,300-signal network).
* **JIT**: otherwise (no extension, a stale one, ``SIGNALBRAIN_KERNELS=jit`` or
  ``NUMBA_DISABLE_JIT=1``), every marked function becomes ``numba.njit(cache=True)`` of itself,
  exactly what decorating each one with it would give.

The extension has one signature per kernel, the one the timing engine calls it with (contiguous
``float64``/``int64``/``int32``/``int8`` arrays, ``float64``/``int64``/``bool`` scalars). Unlike
a numba dispatcher, an AOT function does not check the types it is given, so :class:`AotKernel`
checks them and hands any other call to the JIT version of the kernel (compiled on first need):
the results never depend on which path ran, only the speed does.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import types
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "AOT_MODULE",
    "SIGNATURES",
    "AotKernel",
    "compile_kernels",
    "jit_namespace",
    "kernel",
    "load_aot",
    "source_hash",
]

AOT_MODULE = "signalbrain.timing._kernels_aot"
"""The extension module written by ``python -m signalbrain.timing._aot``."""

KERNEL_PACKAGES: dict[str, str] = {
    "_kernels": "timing",
    "_kernels_coord": "timing",
    "_xml_kernels": "io",
    "_route_kernels": "io",
}
"""Kernel module (file stem) -> its subpackage of ``signalbrain``."""

KERNEL_FILES = (
    "timing/_kernels.py",
    "timing/_kernels_coord.py",
    "io/_xml_kernels.py",
    "io/_route_kernels.py",
    "timing/_compiled.py",
)
"""Files (relative to the ``signalbrain`` package) whose bytes :func:`source_hash` covers: the
kernels and the signatures (this file)."""

SIGNATURES: dict[str, dict[str, str]] = {
    "_kernels": {
        "_fill": "i8(f8[::1], f8[::1], f8[::1], f8[::1], f8, f8[::1])",
        "movement_sat_kernel": "void(f8[::1], f8[::1], f8[::1], i4[::1], i4[::1], f8[::1])",
        "phase_ratio_kernel": "void(f8[::1], f8[::1], f8[::1], i4[::1], i4[::1], i4[::1], "
        "f8[::1], f8[::1], f8[::1])",
        "isolated_kernel": "void(f8[::1], i4[::1], i4[::1], i4[::1], i4[::1], f8[::1], f8[::1], "
        "f8[::1], f8[::1], f8[::1], f8[::1], f8[::1], f8[::1], f8[::1], i8[::1])",
    },
    "_kernels_coord": {
        "green_mask_kernel": "void(f8[::1], f8[::1], f8[::1], i4[::1], i4[::1], i4[::1], "
        "i4[::1], i4[::1], i4[::1], i1[::1], i4[::1], f8[::1], f8[::1], f8, f8, f8[:, ::1])",
        "red_start_kernel": "void(f8[:, ::1], i8[::1])",
        "queue_kernel": "void(f8[:, ::1], f8[:, ::1], i8[::1], f8[:, ::1], f8[:, ::1], f8[::1], "
        "f8[::1])",
        "arc_profile_kernel": "void(f8[:, ::1], f8[:, ::1], i4[::1], i4[::1], f8[::1], f8[::1], "
        "f8, f8, f8[:, ::1])",
        "arc_table_kernel": "void(f8[:, ::1], i4[::1], i4[::1], i4[::1], f8[::1], f8[:, ::1], "
        "i8[::1], f8[::1], f8, f8[:, ::1])",
        "arrivals_kernel": "void(f8[:, ::1], i8[::1], i4[::1], i4[::1], i4[::1], i4[::1], "
        "i4[::1], i4[::1], i4[::1], f8[::1], f8[::1], f8[:, ::1])",
        "offset_search_kernel": "i8(f8[:, ::1], i4[::1], i4[::1], i4[::1], i4[::1], i4[::1], "
        "i4[::1], i8[::1], i4[::1], i8[::1], b1, i8)",
    },
    "_xml_kernels": {
        "scan_tags_kernel": "i8(u1[::1], u1[::1], i8[::1], i8[::1], i8[::1], i4[::1], i4[::1], "
        "i4[:, ::1])",
        "token_ids_kernel": "i8(u1[::1], i8[::1], i8[::1], u1[::1], i8[::1], i8[::1], i8[::1])",
        "intern_spans_kernel": "i8(u1[::1], i8[::1], i8[::1], i8[::1], i8[::1])",
        "count_byte_kernel": "i8(u1[::1], i8)",
    },
    "_route_kernels": {
        "pair_count_kernel": "void(i8[::1], i8[::1], i8[::1], i8[::1], i8[::1], i8, f8[::1], "
        "b1[::1], f8[::1], f8[::1], i8[::1], i8[::1])",
    },
}
"""Kernel module -> kernel name -> numba signature of its AOT export (arrays ``[::1]`` and
``[:, ::1]`` are C-contiguous)."""

_DTYPES = {
    "f8": np.float64,
    "i8": np.int64,
    "i4": np.int32,
    "i1": np.int8,
    "u1": np.uint8,
    "b1": np.bool_,
}
_ARG = re.compile(r"(f8|i8|i4|i1|u1|b1)(\[[^\]]*\])?")
_SCALARS = (int, float, np.integer, np.floating, np.bool_)


def parse_signature(signature: str) -> tuple[tuple[np.dtype[Any], int], ...]:
    """``(dtype, ndim)`` of each argument of a signature in :data:`SIGNATURES` (ndim 0: a
    scalar)."""
    args = signature[signature.index("(") + 1 : signature.rindex(")")]
    return tuple(
        (np.dtype(_DTYPES[base]), dims.count(",") + 1 if dims else 0)
        for base, dims in _ARG.findall(args)
    )


def source_hash() -> str:
    """SHA-256 of the kernel source files and the signatures (:data:`KERNEL_FILES`)."""
    digest = hashlib.sha256()
    package = Path(__file__).parent.parent
    for name in KERNEL_FILES:
        digest.update(name.encode())
        digest.update((package / name).read_bytes())
    return digest.hexdigest()


def _mode() -> str:
    forced = os.environ.get("SIGNALBRAIN_KERNELS", "").strip().lower()
    if forced in ("jit", "aot"):
        return forced
    if os.environ.get("NUMBA_DISABLE_JIT", "0").strip() not in ("", "0"):
        return "jit"  # plain Python kernels (coverage runs): never the compiled extension
    return "auto"


_AOT_CACHE: dict[str, types.ModuleType | None] = {}


def load_aot(expected_hash: str | None = None, module: str = AOT_MODULE) -> types.ModuleType | None:
    """The AOT extension if it is importable and was built from the current source
    (``expected_hash``, default :func:`source_hash`), else None."""
    if _mode() == "jit":
        return None
    key = f"{module}:{expected_hash}"
    if key in _AOT_CACHE:
        return _AOT_CACHE[key]
    found: types.ModuleType | None = None
    try:
        ext = importlib.import_module(module)
        built = str(ext.source_hash())
    except Exception:  # missing, not loadable here (other numpy ABI, ...) or no hash: not ours
        built = ""
    else:
        if built == (source_hash() if expected_hash is None else expected_hash):
            found = ext
    _AOT_CACHE[key] = found
    return found


class AotKernel:
    """An AOT-compiled kernel that checks its arguments against its signature.

    A call whose arguments match (C-contiguous, aligned, writeable ``numpy.ndarray`` of the
    signature's dtype and rank; a number for a scalar) runs the AOT code; any other call runs the
    numba JIT version of the same kernel, compiled on first need (as a dispatcher would for a new
    signature), so a wrong type never reaches machine code that assumes it."""

    def __init__(
        self,
        py_func: types.FunctionType,
        aot: Callable[..., Any],
        signature: str,
        fallback: Callable[[], Callable[..., Any]],
    ) -> None:
        self.__name__ = py_func.__name__
        self.__doc__ = py_func.__doc__
        self.py_func = py_func
        """The plain Python source function (as on a numba dispatcher)."""
        self.signature = signature
        self.aot = aot
        """The extension's function: no argument checks."""
        self._args = parse_signature(signature)
        self._fallback = fallback
        self._jit: Callable[..., Any] | None = None

    def accepts(self, args: tuple[Any, ...]) -> bool:
        """Whether the AOT code may run on ``args``."""
        if len(args) != len(self._args):
            return False
        for value, (dtype, ndim) in zip(args, self._args, strict=True):
            if ndim == 0:
                if not isinstance(value, _SCALARS):
                    return False
            elif not (
                type(value) is np.ndarray
                and value.dtype == dtype
                and value.ndim == ndim
                and value.flags.c_contiguous
                and value.flags.aligned
                and value.flags.writeable
            ):
                return False
        return True

    def jit(self) -> Callable[..., Any]:
        """The numba JIT version of the kernel (compiled on first use)."""
        if self._jit is None:
            self._jit = self._fallback()
        return self._jit

    def __call__(self, *args: Any) -> Any:
        if self.accepts(args):
            return self.aot(*args)
        return self.jit()(*args)

    def __repr__(self) -> str:
        return f"<AOT kernel {self.__name__} {self.signature}>"


_MARK = "__signalbrain_kernel__"


def kernel(func: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a function of a kernel module for :func:`compile_kernels` (the decorator returns the
    plain function itself: compiling happens once, for the whole module, at its end)."""
    setattr(func, _MARK, True)
    return func


def _marked(ns: MutableMapping[str, Any]) -> dict[str, types.FunctionType]:
    return {
        name: value
        for name, value in ns.items()
        if isinstance(value, types.FunctionType) and getattr(value, _MARK, False)
    }


def jit_namespace(
    plain: dict[str, types.FunctionType], ns: MutableMapping[str, Any]
) -> dict[str, Any]:
    """A copy of the module namespace ``ns`` in which each function of ``plain`` is
    ``numba.njit(cache=True)`` of itself (its globals are the copy, so kernels call the JIT
    versions of the helpers)."""
    from numba import njit

    out = dict(ns)
    for name, func in plain.items():
        copy = types.FunctionType(
            func.__code__, out, func.__name__, func.__defaults__, func.__closure__
        )
        copy.__qualname__ = func.__qualname__
        copy.__module__ = func.__module__
        copy.__doc__ = func.__doc__
        out[name] = njit(cache=True)(copy)
    return out


def compile_kernels(ns: MutableMapping[str, Any]) -> str:
    """Replace the :func:`kernel` functions of a kernel module (its ``globals()``) by compiled
    ones, in place; returns ``"aot"`` or ``"jit"``."""
    module = Path(ns["__file__"]).stem
    plain = _marked(ns)
    aot = load_aot()
    if aot is None:
        from numba import njit

        for name, func in plain.items():
            ns[name] = njit(cache=True)(func)  # globals are ns: helpers resolve to JIT versions
        return "jit"
    jit: dict[str, Any] = {}

    def fallback(name: str) -> Callable[[], Callable[..., Any]]:
        def get() -> Callable[..., Any]:
            if not jit:
                jit.update(jit_namespace(plain, {**ns, **plain}))
            return jit[name]  # type: ignore[no-any-return]

        return get

    for name, signature in SIGNATURES[module].items():
        ns[name] = AotKernel(plain[name], getattr(aot, name), signature, fallback(name))
    return "aot"
