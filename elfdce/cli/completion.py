"""``elfdce completion {bash,zsh}``: a shell completion script generated from the live parser.

The script comes from shtab (imported here only, when the command runs): every subcommand, its
options and argparse's choices; arguments whose metavar names a file or a directory complete
as such. Nothing depends on the clock or the terminal, so the same elfdce gives the same bytes.
"""

from __future__ import annotations

import argparse
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

SHELLS = ("bash", "zsh")

# argparse has no notion of a path, so the metavar (what --help shows the user) decides
# (MODULE: `run --overrides` takes a .py path as well as a dotted name).
# An argument a module already gave shtab's `complete` attribute keeps it.
FILE_METAVARS = frozenset({"PATH", "FILE", "IN", "OUT", "PROGRAM", "OLD", "NEW", "ARGS", "MODULE"})
DIRECTORY_METAVARS = frozenset({"DIR", "DIRS", "DCE_SRC"})

def configure_parser(sub: argparse._SubParsersAction) -> None:
    """Add the `completion` subcommand to ``sub``."""
    from .common import add_command

    p = add_command(
        sub, "completion", execute,
        help="print a bash or zsh completion script",
        description="Print a completion script for SHELL, generated from elfdce's own parsers "
                    "(every command, its options and their choices; files and directories "
                    "where an argument names one). bash: save it as "
                    "~/.local/share/bash-completion/completions/elfdce (or source it from "
                    "~/.bashrc); zsh: save it as _elfdce in a directory of $fpath before "
                    "compinit runs.",
    )
    p.add_argument("shell", choices=SHELLS, metavar="SHELL", help=" or ".join(SHELLS))
    add_output_option(p)


def add_output_option(p: argparse.ArgumentParser) -> None:
    """``-o/--output FILE``: write there (atomically) instead of standard output."""
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write to FILE instead of standard output: atomically, and not at all "
                        "when FILE already holds the same bytes (its mtime stays)")


def parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
            ) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """``(command words, parser)`` of ``parser`` and every subparser under it, depth first in
    the order they were added; an alias is not listed twice, a subcommand whose help is
    suppressed not at all."""
    yield path, parser
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        hidden = {a.dest for a in action._choices_actions if a.help == argparse.SUPPRESS}
        seen: set[int] = set()
        for name, child in action.choices.items():
            if id(child) in seen or name in hidden:
                continue
            seen.add(id(child))
            yield from parsers(child, (*path, name))


def mark_paths(parser: argparse.ArgumentParser) -> None:
    """Give every file or directory argument of ``parser`` and its subparsers shtab's
    ``complete`` attribute (by metavar: `FILE_METAVARS`, `DIRECTORY_METAVARS`)."""
    import shtab

    for _, p in parsers(parser):
        for action in p._actions:
            if (action.nargs == 0 or action.choices is not None or hasattr(action, "complete")
                    or isinstance(action, argparse._SubParsersAction)):
                continue
            metavar = action.metavar if action.metavar is not None else action.dest.upper()
            # setattr: `complete` is shtab's attribute, unknown to argparse's type stubs
            if metavar in FILE_METAVARS:
                setattr(action, "complete", shtab.FILE)
            elif metavar in DIRECTORY_METAVARS:
                setattr(action, "complete", shtab.DIRECTORY)


def script(shell: str, parser: argparse.ArgumentParser | None = None) -> str:
    """The completion script for ``shell`` (one of `SHELLS`), from ``parser`` (default: the
    full elfdce parser)."""
    import shtab

    from . import build_parser

    if shell not in SHELLS:
        raise ValueError(f"no completion for {shell!r}: one of {', '.join(SHELLS)}")
    parser = build_parser() if parser is None else parser
    mark_paths(parser)
    return shtab.complete(parser, shell)


def emit(command: str, text: str, output: str | None) -> int:
    """Write ``text`` to standard output, or to the file ``output`` (atomically, left alone
    when it already holds it); the exit status."""
    from .common import fail, os_error

    data = text.encode("utf-8", "surrogateescape")
    if output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    from ..fsutil import check_output, write_if_changed

    try:
        check_output(output)
        write_if_changed(output, data)
    except OSError as err:
        return fail(command, os_error(err, output))
    return 0


def execute(args: argparse.Namespace) -> int:
    """Print (or write to --output) the completion script for ``args.shell``."""
    return emit("completion", script(args.shell), args.output)
