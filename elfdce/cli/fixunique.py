"""``elfdce fix-unique IN [-o OUT | --in-place]``: STB_GNU_UNIQUE bindings made STB_GLOBAL."""

from __future__ import annotations

import argparse

from .common import add_command, add_patch_arguments, run_patch


def configure_parser(sub: argparse._SubParsersAction) -> None:
    """Add the `fix-unique` subcommand to ``sub``."""
    p = add_command(
        sub, "fix-unique", execute,
        help="rebind STB_GNU_UNIQUE dynamic symbols as STB_GLOBAL in a copy of a "
             "library",
        description="Change the binding of every STB_GNU_UNIQUE .dynsym symbol to "
                    "STB_GLOBAL (one st_info byte each; nothing else changes), so a "
                    "second copy of the library loaded into the same namespace "
                    "(DCE's loader) keeps its own definitions. Idempotent.",
    )
    add_patch_arguments(p)


def execute(args: argparse.Namespace) -> int:
    """Patch, and say how many bindings changed."""
    from ..elf.fixunique import fix_unique

    def describe(fix) -> str:  # noqa: ANN001
        n = len(fix.names)
        if not n:
            return f"{fix.output}: no STB_GNU_UNIQUE symbols; unchanged"
        return f"{fix.output}: {n} STB_GNU_UNIQUE symbol{'s' if n != 1 else ''} made STB_GLOBAL"

    return run_patch(args, "fix-unique", fix_unique, describe)
