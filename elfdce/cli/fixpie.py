"""``elfdce fix-pie IN [-o OUT | --in-place]``: clear DF_1_PIE so glibc will dlopen the PIE."""

from __future__ import annotations

import argparse

from .common import add_command, add_patch_arguments, run_patch


def configure_parser(sub: argparse._SubParsersAction) -> None:
    """Add the `fix-pie` subcommand to ``sub``."""
    p = add_command(
        sub, "fix-pie", execute,
        help="clear DF_1_PIE in a copy of a PIE, so glibc >= 2.30 dlopens it",
        description="Patch exactly one dynamic entry (DT_FLAGS_1) of a PIE: glibc >= "
                    "2.30 refuses to dlopen an object with DF_1_PIE. Idempotent.",
    )
    add_patch_arguments(p)


def execute(args: argparse.Namespace) -> int:
    """Patch, and say which bytes changed."""
    from ..elf.fixpie import fix_pie

    def describe(fix) -> str:  # noqa: ANN001
        if fix.changed:
            return (f"{fix.output}: cleared DF_1_PIE: DT_FLAGS_1 at file offset {fix.offset:#x} "
                    f"({fix.size} bytes) {fix.old:#x} -> {fix.new:#x}")
        if fix.offset is None:
            return f"{fix.output}: no DT_FLAGS_1, so no DF_1_PIE: dlopen accepts it; unchanged"
        return (f"{fix.output}: DF_1_PIE already clear (DT_FLAGS_1 {fix.old:#x} at "
                f"{fix.offset:#x}); unchanged")

    return run_patch(args, "fix-pie", fix_pie, describe)
