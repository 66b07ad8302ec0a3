"""Options several subcommands share."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def add_library_options(p: argparse.ArgumentParser) -> None:
    """``--sysroot DIR`` and ``--lib NAME=PATH``: where the five glibc libraries come from."""
    p.add_argument("--sysroot", metavar="DIR",
                   help="find the libraries under DIR (a cross sysroot, a chroot)")
    p.add_argument("--lib", action="append", default=[], metavar="NAME=PATH",
                   help="use PATH for NAME (libc, libpthread, librt, libm, libdl or a soname)")


def library_overrides(specs: list[str]) -> dict[str, str]:
    """``--lib`` values as {name: path}; ValueError naming a bad one."""
    from ..glibc.libs import BY_KEY

    out = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or name not in BY_KEY or not path:
            raise ValueError(f"--lib {spec!r}: expected NAME=PATH with NAME one of "
                             "libc, libpthread, librt, libm, libdl (or their sonames)")
        out[name] = path
    return out
