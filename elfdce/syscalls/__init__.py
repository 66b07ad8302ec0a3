"""The system calls each exported function of glibc can make, derived from its machine code.

    from elfdce.syscalls import libc_footprint
    lib = libc_footprint("/lib/x86_64-linux-gnu/libc.so.6")
    lib.lookup("clock_nanosleep")   # Footprint(syscalls=('clock_nanosleep', …), classes=…)
    lib.lookup("strlen").is_pure    # True

`footprint` derives them (the method is in its docstring), `classes` names what DCE
virtualises, `cache` keeps them per build-id under ``~/.cache/elfdce/syscalls``.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .classes import CLASSES, class_of
    from .footprint import Footprint, FootprintError, LibraryFootprint


def libc_footprint(path: str, *, use_cache: bool = True) -> LibraryFootprint:
    """The footprint of every exported function of the glibc library at ``path``
    (libc.so.6; libm.so.6 and ld.so are taken too), kept per build-id unless
    ``use_cache=False``. Raises `elfdce.ElfError` (one line naming the file) for a file that
    is not an x86_64 or aarch64 glibc library."""
    from .footprint import library_footprint

    return library_footprint(path, use_cache=use_cache)


def __getattr__(name: str) -> object:
    if name in ("Footprint", "FootprintError", "LibraryFootprint"):
        from . import footprint

        return getattr(footprint, name)
    if name in ("CLASSES", "class_of"):
        from . import classes

        return getattr(classes, name)
    raise AttributeError(f"module 'elfdce.syscalls' has no attribute {name!r}")


__all__ = ["CLASSES", "Footprint", "FootprintError", "LibraryFootprint", "class_of",
           "libc_footprint"]
