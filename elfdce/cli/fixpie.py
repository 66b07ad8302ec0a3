"""``elfdce fix-pie IN [-o OUT | --in-place]``: clear DF_1_PIE so glibc will dlopen the PIE."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def configure_parser(sub: argparse._SubParsersAction) -> None:
    """Add the `fix-pie` subcommand to ``sub``."""
    p = sub.add_parser(
        "fix-pie",
        help="clear DF_1_PIE in a copy of a PIE, so glibc >= 2.30 dlopens it",
        description="Patch exactly one dynamic entry (DT_FLAGS_1) of a PIE: glibc >= 2.30 "
        "refuses to dlopen an object with DF_1_PIE. Idempotent. Exit status: 0 ok, 2 bad input.",
    )
    p.add_argument("input", metavar="IN")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("-o", "--output", metavar="OUT", help="write the patched copy here")
    where.add_argument("--in-place", action="store_true", help="patch IN itself (atomically)")
    p.set_defaults(func=execute)


def execute(args: argparse.Namespace) -> int:
    """Patch, and say which bytes changed."""
    from ..elf import ElfError
    from ..fixpie import fix_pie

    try:
        fix = fix_pie(args.input, None if args.in_place else args.output)
    except ElfError as err:
        print(f"elfdce fix-pie: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"elfdce fix-pie: {err.filename or args.output}: {err.strerror or err}",
              file=sys.stderr)
        return 2
    if fix.changed:
        print(f"{fix.output}: cleared DF_1_PIE: DT_FLAGS_1 at file offset {fix.offset:#x} "
              f"({fix.size} bytes) {fix.old:#x} -> {fix.new:#x}")
    else:
        print(f"{fix.output}: DF_1_PIE already clear (DT_FLAGS_1 {fix.old:#x} at {fix.offset:#x}); "
              "unchanged")
    return 0
