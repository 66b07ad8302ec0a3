"""``elfdce fix-unique IN [-o OUT | --in-place]``: STB_GNU_UNIQUE bindings made STB_GLOBAL."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def configure_parser(sub: argparse._SubParsersAction) -> None:
    """Add the `fix-unique` subcommand to ``sub``."""
    p = sub.add_parser(
        "fix-unique",
        help="rebind STB_GNU_UNIQUE dynamic symbols as STB_GLOBAL in a copy of a library",
        description="Change the binding of every STB_GNU_UNIQUE .dynsym symbol to STB_GLOBAL "
        "(one st_info byte each; nothing else changes), so a second copy of the library loaded "
        "into the same namespace (DCE's loader) keeps its own definitions. Idempotent. Exit "
        "status: 0 ok, 2 bad input.",
    )
    p.add_argument("input", metavar="IN")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("-o", "--output", metavar="OUT", help="write the patched copy here")
    where.add_argument("--in-place", action="store_true", help="patch IN itself (atomically)")
    p.set_defaults(func=execute)


def execute(args: argparse.Namespace) -> int:
    """Patch, and say how many bindings changed."""
    from ..elf import ElfError
    from ..elf.patches import fix_unique

    try:
        fix = fix_unique(args.input, None if args.in_place else args.output)
    except ElfError as err:
        print(f"elfdce fix-unique: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"elfdce fix-unique: {err.filename or args.output}: {err.strerror or err}",
              file=sys.stderr)
        return 2
    n = len(fix.names)
    if n:
        print(f"{fix.output}: {n} STB_GNU_UNIQUE symbol{'s' if n != 1 else ''} made STB_GLOBAL")
    else:
        print(f"{fix.output}: no STB_GNU_UNIQUE symbols; unchanged")
    return 0
