"""Build the timing kernels ahead of time: ``python -m signalbrain.timing._aot``.

Compiles every kernel named in :data:`signalbrain.timing._compiled.SIGNATURES` (the timing
kernels, the XML scanner of :mod:`signalbrain.io._xml_kernels` and the route reader's
:mod:`signalbrain.io._route_kernels`), from the same source functions the numba JIT compiles
(the modules are imported in JIT mode and each kernel's ``py_func`` is exported), into one
extension module next to the timing kernels
(:data:`~signalbrain.timing._compiled.AOT_MODULE`, e.g.
``_kernels_aot.cpython-311-x86_64-linux-gnu.so``) with ``numba.pycc``; the module also exports
``source_hash()``, the :func:`~signalbrain.timing._compiled.source_hash` of the source it was
built from, so the loader never runs stale code. Needs numba and a C compiler at build time only;
the built module imports without numba.

Exit codes: 0 built (or ``--check``: current), 1 the build failed (``--check``: missing or
stale). The build writes to a temporary folder and moves the finished file into place, so a
failed build leaves the previous state (and the JIT fallback) untouched.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
import time
import types
import warnings
from pathlib import Path

from signalbrain.timing._compiled import (
    AOT_MODULE,
    KERNEL_PACKAGES,
    SIGNATURES,
    load_aot,
    source_hash,
)

__all__ = ["build", "main", "target_dir"]


def target_dir() -> Path:
    """The folder of the timing kernel modules, where the extension goes."""
    return Path(__file__).resolve().parent


def _source(name: str) -> tuple[str, Path]:
    """Dotted name and file of a kernel module named in ``SIGNATURES``."""
    package = KERNEL_PACKAGES[name]
    return f"signalbrain.{package}.{name}", target_dir().parent / package / f"{name}.py"


def _jit_module(name: str) -> types.ModuleType:
    """A fresh copy of a kernel module compiled in JIT mode (the imported one may be in AOT
    mode: a rebuild over a current extension)."""
    dotted, path = _source(name)
    spec = importlib.util.spec_from_file_location(dotted, path)
    if spec is None or spec.loader is None:  # pragma: no cover - the file is ours
        raise RuntimeError(f"cannot load {dotted}")
    module = importlib.util.module_from_spec(spec)
    saved = os.environ.get("SIGNALBRAIN_KERNELS")
    os.environ["SIGNALBRAIN_KERNELS"] = "jit"
    try:
        spec.loader.exec_module(module)
    finally:
        if saved is None:
            del os.environ["SIGNALBRAIN_KERNELS"]
        else:
            os.environ["SIGNALBRAIN_KERNELS"] = saved
    if module.MODE != "jit":  # pragma: no cover - forced above
        raise RuntimeError(f"{dotted} did not load in JIT mode")
    return module


def build(out_dir: Path | None = None, *, verbose: bool = False) -> Path:
    """Compile the extension; returns the path of the written module.

    Raises
    ------
    RuntimeError
        The compiler failed or wrote something unexpected.
    """
    digest = source_hash()
    modules = {name: _jit_module(name) for name in SIGNATURES}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba.pycc's pending-deprecation notice
        from numba.pycc import CC  # type: ignore[attr-defined]

        short = AOT_MODULE.rsplit(".", 1)[1]
        cc = CC(short)  # type: ignore[no-untyped-call]
        cc.verbose = verbose
        for name, kernels in SIGNATURES.items():
            for kernel, signature in kernels.items():
                export = cc.export(kernel, signature)  # type: ignore[no-untyped-call]
                export(getattr(modules[name], kernel).py_func)

        def hash_of_source() -> str:
            return digest

        cc.export("source_hash", "unicode_type()")(hash_of_source)  # type: ignore[no-untyped-call]
        dest = target_dir() if out_dir is None else out_dir
        with tempfile.TemporaryDirectory(prefix="signalbrain_aot_") as tmp:
            cc.output_dir = tmp
            cc.compile()
            built = [p for p in Path(tmp).iterdir() if p.name.startswith(f"{short}.")]
            if len(built) != 1:
                raise RuntimeError(f"numba.pycc wrote {[p.name for p in built]}, expected one")
            target = dest / built[0].name
            for old in dest.glob(f"{short}.*"):  # a build for another interpreter or platform
                if old.suffix in (".so", ".pyd") and old != target:
                    old.unlink()
            # a hidden name ending in .so: never importable, ignored by git like the build
            partial = dest / f".partial-{built[0].name}"
            shutil.copyfile(built[0], partial)
            os.replace(partial, target)
    return target


def main(argv: list[str] | None = None) -> int:
    """Command line: build, or with ``--check`` report whether a current build is present."""
    p = argparse.ArgumentParser(
        prog="python -m signalbrain.timing._aot",
        description=(__doc__ or "").splitlines()[0],
    )
    p.add_argument("--check", action="store_true", help="only check for a current build")
    p.add_argument("--verbose", action="store_true", help="show the compiler's steps")
    args = p.parse_args(argv)
    if args.check:
        ok = load_aot() is not None
        print(f"{AOT_MODULE}: {'current' if ok else 'missing or stale'}")
        return 0 if ok else 1
    t0 = time.process_time()
    try:
        path = build(verbose=args.verbose)
    except Exception as exc:  # report and let the caller (make) carry on with JIT kernels
        sys.stderr.write(f"signalbrain: AOT build of the timing kernels failed: {exc}\n")
        return 1
    print(f"wrote {path} ({time.process_time() - t0:.1f} s CPU)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
