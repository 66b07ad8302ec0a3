"""``elfdce scan PATH…``: the dynamic symbols of ELF files with their GNU symbol versions."""

from __future__ import annotations

import gc
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence

    from ..elf import ElfError
    from ..elf.model import ElfSymbols, Symbol

FORMATS = ("table", "readelf", "json", "abilist")

# The option table both parsers read: (flag, takes a value, choices or None, help).
OPTIONS: tuple[tuple[str, bool, tuple[str, ...] | None, str], ...] = (
    ("--format", True, FORMATS,
     "table (default): readable; readelf: exactly what `readelf --dyn-syms -W` prints; "
     "json: versioned schema (elfdce/schemas/scan.schema.json); abilist: glibc's "
     "abilist lines of the exports (filters do not apply)"),
    ("--json", False, None, "same as --format json"),
    ("--defined", False, None, "only defined symbols (version markers included)"),
    ("--undefined", False, None, "only imported symbols"),
    ("--version-node", True, None, "only symbols at version NAME (e.g. GLIBC_2.2.5)"),
)


class ScanArgs:
    """Parsed `scan` arguments (what argparse would produce for the same command line)."""

    __slots__ = ("paths", "format", "defined", "undefined", "version_node")

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.format = "table"
        self.defined = False
        self.undefined = False
        self.version_node: str | None = None


def configure_parser(sub: argparse._SubParsersAction) -> None:
    """Add the `scan` subcommand to ``sub``."""
    from .common import add_command

    p = add_command(
        sub, "scan", execute,
        help="list the versioned dynamic symbols of ELF files",
        description="List the dynamic symbols of ELF files with their GNU symbol versions.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="ELF files (directories with --tree)")
    filters = p.add_mutually_exclusive_group()
    for flag, takes_value, choices, text in OPTIONS:
        dest = flag[2:].replace("-", "_")
        target = filters if flag in ("--defined", "--undefined") else p
        if flag == "--json":
            target.add_argument(flag, dest="format", action="store_const", const="json", help=text)
        elif takes_value:
            default = "table" if flag == "--format" else None
            metavar = "NAME" if choices is None else None
            target.add_argument(flag, dest=dest, choices=choices, default=default, metavar=metavar,
                                help=text)
        else:
            target.add_argument(flag, dest=dest, action="store_true", help=text)
    from .tree import add_tree_options

    add_tree_options(p)  # argparse only: the fast parser hands --tree over


def fast_parse(argv: Sequence[str]) -> ScanArgs | None:
    """Parse the plain spellings of `scan`'s options without importing argparse.

    Returns None for anything else (help, errors, abbreviations), so argparse can answer it.
    """
    if "--" in argv:  # argparse has its own rules for "--": let it apply them
        return None
    args = ScanArgs()
    spec = {flag: (takes, choices) for flag, takes, choices, _ in OPTIONS}
    i = 0
    paths_closed = False  # argparse takes PATH... as one run: no paths after a later option
    while i < len(argv):
        a = argv[i]
        i += 1
        if not a.startswith("-") or a == "-":
            if paths_closed:
                return None
            args.paths.append(a)
            continue
        paths_closed = bool(args.paths)
        flag, eq, value = a.partition("=")
        if flag not in spec:
            return None
        takes, choices = spec[flag]
        if takes:
            if not eq:
                if i >= len(argv) or argv[i].startswith("-"):
                    return None
                value = argv[i]
                i += 1
            if choices is not None and value not in choices:
                return None
            setattr(args, flag[2:].replace("-", "_"), value)
        elif eq:
            return None
        elif flag == "--json":
            args.format = "json"
        else:
            setattr(args, flag[2:], True)
    if not args.paths or (args.defined and args.undefined):
        return None
    return args


def execute(args: argparse.Namespace | ScanArgs) -> int:
    """Scan every path; print one section per file; 0 if all were read, 2 if any was not."""
    if getattr(args, "tree", False):
        from .tree import run

        return run(args, "scan", None, "scan")  # type: ignore[arg-type]
    # Short-lived and acyclic: the cyclic collector only costs time here, in the reader's import
    # (one full collection) and while formatting; paused, `scan --format readelf` of libc.so.6
    # takes ~0.6 ms less of ~24 ms (benchmarks/run.py --only peers, with __main__'s gc.freeze).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _scan(args)
    finally:
        if collecting:
            gc.enable()


def _write(text: str) -> None:
    """Names that are not UTF-8 travel as surrogate escapes: write their original bytes."""
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))


def _scan(args: argparse.Namespace | ScanArgs) -> int:
    from ..elf import ElfError, read_elf  # imported here, the collector paused (`execute`)

    status = 0
    results: list[ElfSymbols | ElfError] = []
    for path in args.paths:
        try:
            results.append(read_elf(path, relocations=False))
        except ElfError as err:
            results.append(err)
            status = 2
    keep = None
    if args.defined or args.undefined or args.version_node is not None:
        from ..emit.summary import symbol_filter

        keep = symbol_filter(args.defined, args.undefined, args.version_node)
    sys.stdout.flush()
    for r in results:  # on stderr in every format (JSON carries the error in the document too)
        if isinstance(r, ElfError):
            print(f"elfdce: {r}", file=sys.stderr)
    _print(args, results, [r for r in results if not isinstance(r, ElfError)], keep)
    sys.stdout.flush()
    return status


def _print(args: argparse.Namespace | ScanArgs, results: list[ElfSymbols | ElfError],
           read: list[ElfSymbols], keep: Callable[[Symbol], bool] | None) -> None:
    """Write the sections of ``args.format``: ``read`` are the ``results`` that were read."""
    if args.format == "json":
        from ..emit.json import dumps, scan_document

        _write(dumps(scan_document(results, keep)))
    elif args.format == "abilist":
        from ..exports import from_elf
        from ..exports.abilist import format_abilist

        _write("".join(format_abilist(from_elf(r)) for r in read))
    elif args.format == "readelf":
        from ..emit.readelf import format_readelf

        for r in read:
            _write((f"\nFile: {r.path}\n" if len(args.paths) > 1 else "") + format_readelf(r, keep))
    else:
        from ..emit.table import format_table

        _write("\n".join([format_table(r, keep) for r in read]))
