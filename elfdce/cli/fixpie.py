"""``elfdce fix-pie IN [-o OUT | --in-place]``: clear DF_1_PIE so glibc will dlopen the PIE."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def configure_parser(sub: argparse._SubParsersAction) -> None:
    """Add the `fix-pie` subcommand to ``sub``."""
    from .common import add_patch_arguments

    p = sub.add_parser(
        "fix-pie",
        help="clear DF_1_PIE in a copy of a PIE, so glibc >= 2.30 dlopens it",
        description="Patch exactly one dynamic entry (DT_FLAGS_1) of a PIE: glibc >= 2.30 "
        "refuses to dlopen an object with DF_1_PIE. Idempotent. Exit status: 0 ok, 2 bad input.",
    )
    add_patch_arguments(p)
    p.set_defaults(func=execute)


def execute(args: argparse.Namespace) -> int:
    """Patch, and say which bytes changed."""
    from ..elf.fixpie import fix_pie
    from .common import run_patch

    def describe(fix) -> str:  # noqa: ANN001
        if fix.changed:
            return (f"{fix.output}: cleared DF_1_PIE: DT_FLAGS_1 at file offset {fix.offset:#x} "
                    f"({fix.size} bytes) {fix.old:#x} -> {fix.new:#x}")
        if fix.offset is None:
            return f"{fix.output}: no DT_FLAGS_1, so no DF_1_PIE: dlopen accepts it; unchanged"
        return (f"{fix.output}: DF_1_PIE already clear (DT_FLAGS_1 {fix.old:#x} at "
                f"{fix.offset:#x}); unchanged")

    return run_patch(args, "fix-pie", fix_pie, describe)
