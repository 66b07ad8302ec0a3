"""The process ``elfdce run`` starts: shims into a fresh namespace, the program after them,
then the program's ``main``. Run as ``python -m elfdce.shim.runner``; `elfdce.cli.run` is the
user-facing side (timeout, exit status).

Before ``main`` is called, ``ready`` is written to ``--status-fd``: a child that exits without
having written it failed while setting up (its message is on stderr), after it the exit status
is the program's. ``main``'s return value goes to the host's ``exit``, as ``__libc_start_main``
does: atexit handlers run and the stdio buffers the NATIVE functions wrote into are flushed.
"""

from __future__ import annotations

import argparse
import os
import sys

from ..glibc.libs import FIVE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .runtime import Session


def shim_files(directory: str) -> list[str]:
    """The shims in ``directory`` (``<key>-ns3.so``), libc's first; ValueError without it."""
    found = [os.path.join(directory, f"{lib.key}-ns3.so") for lib in FIVE]
    found = [p for p in found if os.path.isfile(p)]
    if not found or not found[0].endswith("/libc-ns3.so"):
        raise ValueError(f"{directory}: no libc-ns3.so (build one with `elfdce shim build`)")
    return found


def main(argv: list[str] | None = None) -> int:
    """Run ``program`` with the shims of ``--shim`` in a fresh namespace; the exit status is
    its (2: it could not be set up)."""
    a = _parser().parse_args(argv)

    from ..elf import ElfError
    from .runtime import ShimLoadError

    try:
        session, main_address = _set_up(a)
    except (ElfError, ShimLoadError, ValueError, OSError) as err:
        print(f"elfdce run: {err}", file=sys.stderr)
        return 2
    session.set_program_name(a.program)
    if a.status_fd is not None:
        os.write(a.status_fd, b"ready\n")
        os.close(a.status_fd)
    sys.stdout.flush()
    sys.stderr.flush()
    status = session.call_main(main_address, [a.program, *a.args])
    session.flush()
    session.C.exit(status)
    return status  # not reached


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="elfdce.shim.runner")
    p.add_argument("--shim", required=True)
    p.add_argument("--overrides", default="elfdce.shim.demo")
    p.add_argument("--strict", action="store_true")
    p.add_argument("--status-fd", type=int)
    p.add_argument("--verbose", action="store_true")
    p.add_argument("program")
    p.add_argument("args", nargs=argparse.REMAINDER)
    return p


def _set_up(a: argparse.Namespace) -> tuple[Session, int]:
    """The session with its shims filled and the program loaded; the address of its ``main``."""
    from .program import find_main, loadable_copy
    from .runtime import load_overrides

    overrides, cdef = load_overrides(a.overrides) if a.overrides else ({}, "")
    session = _session(cdef, a.overrides)
    _load_shims(session, a, overrides)
    main_fn = find_main(a.program)
    copy = loadable_copy(a.program)
    handle, base = session.load_program(copy, shown=a.program)
    redone = session.redo_copies(copy, handle, base)
    if a.verbose and redone:
        print(f"elfdce run: {redone} COPY relocations redone from the libraries",
              file=sys.stderr)
    if a.verbose:
        print(f"elfdce run: main at base {base:#x} + {main_fn.address:#x} ({main_fn.how})",
              file=sys.stderr)
    return session, base + main_fn.address


def _session(cdef: str, overrides: str) -> Session:
    """A `Session` with the overrides' ``CDEF``; ShimLoadError when cffi refuses it."""
    from .runtime import Session, ShimLoadError

    try:
        return Session(cdef)
    except Exception as err:  # cffi's CDefError for a bad CDEF
        detail = " ".join(str(err).split())
        raise ShimLoadError(f"overrides {overrides}: CDEF: {type(err).__name__}: "
                            f"{detail}") from None


def _load_shims(session: Session, a: argparse.Namespace,
                overrides: dict[str, tuple[str, Callable[..., Any]]]) -> None:
    """Load and fill the shims of ``--shim``, libc's first; ShimLoadError for an override no
    shim exports."""
    from .runtime import ShimLoadError

    for path in shim_files(a.shim):
        shim = session.load_shim(path)
        report = session.fill(shim, overrides, strict=a.strict, argv0=a.program)
        if a.verbose:
            print(f"elfdce run: {os.path.basename(path)}: {len(shim.slots)} slots: "
                  f"{report.native} host, {report.overridden} Python, {report.dce_on_host} DCE "
                  f"on the host, {report.trapped} trap; {report.data} data objects",
                  file=sys.stderr)
    known = {s.name for shim in session.shims for s in shim.slots}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ShimLoadError(f"overrides {a.overrides}: no shim exports "
                            f"{', '.join(unknown)} (misspelt?)")


if __name__ == "__main__":
    sys.exit(main())
