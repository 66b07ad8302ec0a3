"""``elfdce cache [--clear]``: what elfdce keeps in its cache directory, and clearing it."""

from __future__ import annotations

import argparse
import os

from .common import add_command, fail


def configure_parser(sub: argparse._SubParsersAction) -> None:
    """Add the `cache` subcommand to ``sub``."""
    p = add_command(
        sub, "cache", execute,
        help="show (or --clear) what elfdce keeps under ~/.cache/elfdce",
        description="elfdce keeps `run`'s fix-pie'd program copies (run/), `--tree "
                    "--cache` results (tree/), the system-call footprints of `syscalls` "
                    "and `preflight` per libc build-id (syscalls/) and the fetched glibcs of "
                    "scripts/fetch-glibcs (glibcs/) under $XDG_CACHE_HOME/elfdce "
                    "(default ~/.cache/elfdce).",
    )
    p.add_argument("--clear", action="store_true", help="remove the directory and all in it")


def _usage(path: str) -> tuple[int, int]:
    files = size = 0
    for d, _dirs, names in os.walk(path):
        for n in names:
            try:
                size += os.lstat(os.path.join(d, n)).st_blocks * 512
                files += 1
            except OSError:
                pass
    return files, size


def execute(args: argparse.Namespace) -> int:
    """Print the cache's parts with their sizes, or clear it."""
    import shutil

    from ..emit.words import count
    from ..fsutil import cache_dir

    root = cache_dir()
    if not os.path.isdir(root):
        print(f"{root}: empty (nothing kept)")
        return 0
    if args.clear:
        files, size = _usage(root)
        try:
            shutil.rmtree(root)
        except OSError as err:
            return fail("cache", f"{err.filename or root}: {err.strerror or err}")
        print(f"{root}: removed ({count(files, 'file')}, {size / 1e6:.1f} MB)")
        return 0
    print(root)
    for part in sorted(os.listdir(root)):
        files, size = _usage(os.path.join(root, part))
        print(f"  {part}: {count(files, 'file')}, {size / 1e6:.1f} MB")
    return 0
