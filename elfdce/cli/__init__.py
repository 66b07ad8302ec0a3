"""Command line: one module per subcommand, each with ``configure_parser`` and ``execute``.

`scan` is parsed by a small matcher first and only falls back to argparse (about 6 ms to import
here, a third of readelf's whole run on libc.so.6) for help, errors and unusual spellings; both
read the same option table, so they cannot disagree.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

# subcommand -> module under elfdce.cli
COMMANDS = {
    "scan": "scan", "versions": "versions", "table": "table", "diff": "diff",
    "preflight": "preflight", "fix-pie": "fixpie", "fix-unique": "fixunique", "check-host": "checkhost",
    "shim": "shim", "run": "run", "dce": "dce", "cache": "cache", "syscalls": "syscalls",
    "completion": "completion", "man": "manpage",
}


def build_parser() -> argparse.ArgumentParser:
    """The full argparse parser for every subcommand."""
    import argparse
    import importlib

    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="elfdce",
        description="Read versioned dynamic symbols of ELF files; pre-flight ns-3 DCE.",
    )
    parser.add_argument("--version", action="version", version=f"elfdce {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS.values():
        importlib.import_module(f"elfdce.cli.{module}").configure_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (`exits.EXIT_STATUS`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] == "scan":
            from . import scan

            fast = scan.fast_parse(args[1:])
            if fast is not None:
                return scan.execute(fast)
        parser = build_parser()
        parsed, extra = parser.parse_known_args(args)
        if extra:  # argparse would show the top-level usage: show the subcommand's
            getattr(parsed, "_parser", parser).error(f"unrecognized arguments: {' '.join(extra)}")
        return int(parsed.func(parsed))
    except BrokenPipeError:
        # The reader of our output went away (`| head`): not an error of ours.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("elfdce: interrupted", file=sys.stderr)
        return 130
