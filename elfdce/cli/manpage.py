"""``elfdce man``: elfdce(1), a roff man page generated from the live parser.

NAME, SYNOPSIS (one line per command), DESCRIPTION, OPTIONS, COMMANDS (a subsection per command
and subcommand: its description and options), EXIT STATUS (`cli.exits.EXIT_STATUS`, then each
command's "Exit status: ..." sentence). No date: the same elfdce gives
the same bytes.
"""

from __future__ import annotations

import argparse
import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

from .common import add_command
from .completion import add_output_option, emit, parsers
from .exits import EXIT_STATUS

_EXIT_RE = re.compile(r"Exit status:\s*(.*?\.)(?=\s+[A-Z]|\s*$)", re.DOTALL)


def configure_parser(sub: argparse._SubParsersAction) -> None:
    """Add the `man` subcommand to ``sub``."""
    p = add_command(
        sub, "man", execute,
        help="print the elfdce(1) man page (roff)",
        description="Print elfdce(1), generated from elfdce's own parsers, as roff: read it "
                    "with `elfdce man | man -l -`, install it as "
                    "$PREFIX/share/man/man1/elfdce.1.",
    )
    add_output_option(p)


def escape(text: str) -> str:
    """``text`` as roff text on one line: whitespace collapsed as argparse does, backslashes
    and hyphens escaped (``\\-`` keeps options copyable), other than ASCII as ``\\[uXXXX]``
    (groff reads Latin-1 unless told otherwise), a leading control character neutralised."""
    out = []
    for ch in " ".join(text.split()):
        if ch == "\\":
            out.append("\\e")
        elif ch == "-":
            out.append("\\-")
        elif ord(ch) > 126:
            out.append(f"\\[u{ord(ch):04X}]")
        else:
            out.append(ch)
    line = "".join(out)
    return "\\&" + line if line[:1] in (".", "'") else line


def _bold(text: str) -> str:
    return f"\\fB{escape(text)}\\fR"


def _italic(text: str) -> str:
    return f"\\fI{escape(text)}\\fR"


def _metavar(action: argparse.Action) -> str:
    """What argparse's help shows for the action's value: its metavar, ``{a,b}`` of its
    choices, or its dest in capitals (positionals: the dest itself)."""
    if isinstance(action.metavar, str):
        return action.metavar
    if isinstance(action.metavar, tuple):
        return " ".join(action.metavar)
    if action.choices is not None:
        return "{" + ",".join(map(str, action.choices)) + "}"
    return action.dest if not action.option_strings else action.dest.upper()


def _values(action: argparse.Action) -> str:
    """The roff for the values an action takes, in argparse's usage notation."""
    meta = _italic(_metavar(action))
    nargs = action.nargs
    if nargs == 0:
        return ""
    if nargs is None:
        return meta
    if nargs == argparse.OPTIONAL:
        return f"[{meta}]"
    if nargs == argparse.ZERO_OR_MORE:
        return f"[{meta} ...]"
    if nargs == argparse.ONE_OR_MORE:
        return f"{meta} [{meta} ...]"
    if nargs == argparse.REMAINDER:
        return f"[{meta} ...]"
    if nargs == argparse.PARSER:
        return f"{meta} ..."
    if isinstance(nargs, int):
        return " ".join([meta] * nargs)
    return meta


def _usage_item(action: argparse.Action) -> str:
    """One action as the synopsis shows it (the first option string, as in argparse's usage)."""
    if not action.option_strings:
        return _values(action)
    values = _values(action)
    # an unbreakable space: a line break falls between items, never inside one
    return _bold(action.option_strings[0]) + (f"\\ {values}" if values else "")


def _help_text(action: argparse.Action, prog: str) -> str:
    """The action's help with argparse's ``%(...)s`` expanded, as argparse's formatter does."""
    text = action.help or ""
    if "%" not in text:
        return text
    params = {k: v for k, v in vars(action).items() if v is not argparse.SUPPRESS}
    params["prog"] = prog
    for key, value in list(params.items()):
        if hasattr(value, "__name__"):
            params[key] = value.__name__
    if params.get("choices") is not None:
        params["choices"] = ", ".join(map(str, params["choices"]))
    return text % params


def _shown(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The actions of ``parser`` its help lists (neither suppressed nor -h/--help, which the
    page documents once)."""
    return [a for a in parser._actions if a.help != argparse.SUPPRESS
            and not isinstance(a, argparse._HelpAction)]


def synopsis(parser: argparse.ArgumentParser, words: Iterable[str]) -> list[str]:
    """The roff lines (an ``.SY`` block) of ``parser``'s usage: optionals, then positionals;
    a mutually exclusive group as ``[a | b]``."""
    groups = {id(a): g for g in parser._mutually_exclusive_groups for a in g._group_actions}
    items: list[str] = []
    done: set[int] = set()
    actions = [a for a in parser._actions if a.help != argparse.SUPPRESS]
    for action in [a for a in actions if a.option_strings] + [a for a in actions
                                                              if not a.option_strings]:
        if id(action) in done:
            continue
        group = groups.get(id(action))
        if group is not None:
            members = [a for a in group._group_actions if a.help != argparse.SUPPRESS]
            done.update(id(a) for a in members)
            inner = " | ".join(_usage_item(a) for a in members)
            items.append(f"({inner})" if group.required else f"[{inner}]")
        elif action.option_strings and not action.required:
            items.append(f"[{_usage_item(action)}]")
        else:
            items.append(_usage_item(action))
    return [f'.SY "{escape(" ".join(words))}"', *items, ".YS"]


def _paragraph(parser: argparse.ArgumentParser, text: str | None) -> list[str]:
    """A description or epilog: one filled paragraph, as argparse's default formatter gives
    it; kept line by line (no fill) when the parser's formatter keeps its layout."""
    if not text:
        return []
    formatter = parser.formatter_class
    if isinstance(formatter, type) and issubclass(formatter, argparse.RawDescriptionHelpFormatter):
        return [".PP", ".nf", *(escape(line) if line.strip() else "" for line in
                                text.strip("\n").splitlines()), ".fi"]
    return [".PP", escape(text)]


def _options(actions: list[argparse.Action], prog: str) -> list[str]:
    """``.TP`` items: each action's option strings (or metavar) with its values, then its help."""
    lines = []
    for action in actions:
        if action.option_strings:
            values = _values(action)
            tag = ", ".join(_bold(s) for s in action.option_strings) + (f" {values}" if values
                                                                         else "")
        else:
            tag = _values(action)
        lines += [".TP", tag, escape(_help_text(action, prog)) or "\\&"]
    return lines


def _own_options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """`_shown` without the subcommands (a list of their own)."""
    return [a for a in _shown(parser) if not isinstance(a, argparse._SubParsersAction)]


def _commands_of(parser: argparse.ArgumentParser) -> list[tuple[str, str]]:
    """``(name, help)`` of the subcommands directly under ``parser``, as its help lists them."""
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            out += [(a.dest, a.help or "") for a in action._choices_actions
                    if a.help != argparse.SUPPRESS]
    return out


def _is_group(parser: argparse.ArgumentParser) -> bool:
    return any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)


def exit_statuses(parser: argparse.ArgumentParser) -> list[tuple[str, str]]:
    """``(command words, sentence)`` for every command one runs (a subparser without
    subcommands of its own) whose description says ``Exit status: ...`` (the sentence without
    that lead)."""
    out = []
    for words, p in parsers(parser):
        found = _EXIT_RE.search(" ".join((p.description or "").split()))
        if words and found and not _is_group(p):
            out.append((" ".join(words), found.group(1)))
    return out


def page(parser: argparse.ArgumentParser | None = None,
         statuses: Mapping[int, str] | None = None) -> str:
    """elfdce(1) as roff, from ``parser`` (default: the full elfdce parser). ``statuses``:
    exit status -> meaning for EXIT STATUS; default `exits.EXIT_STATUS` (``{}``: only each
    command's own sentence)."""
    from .. import cli

    if parser is None:
        parser = cli.build_parser()
    if statuses is None:
        statuses = EXIT_STATUS
    lines = _head(parser)
    lines += _top_options(parser)
    lines += _command_sections(parser)
    lines += _exit_status(parser, statuses)
    return "\n".join(lines) + "\n"


def _head(parser: argparse.ArgumentParser) -> list[str]:
    """The title, NAME, SYNOPSIS and DESCRIPTION (with the list of commands)."""
    from .. import __version__

    prog = parser.prog
    summary = (parser.description or prog).strip().rstrip(".")
    if summary[:2].istitle():  # "Read ..." -> "read ...", but "ELF ..." stays
        summary = summary[0].lower() + summary[1:]
    lines = [
        f'.\\" {prog}(1), generated by `{prog} man` from its argparse parsers: do not edit.',
        f'.TH {escape(prog.upper())} 1 "" "{escape(prog)} {escape(__version__)}" "User Commands"',
        ".SH NAME", f"{escape(prog)} \\- {escape(summary)}",
        ".SH SYNOPSIS",
    ]
    for words, p in parsers(parser):
        if not words or not _is_group(p):
            lines += synopsis(p, (prog, *words))
    lines += [".SH DESCRIPTION", *_paragraph(parser, parser.description)]
    commands = _commands_of(parser)
    if commands:
        lines += [".PP", "The commands:"]
        for name, text in commands:
            lines += [".TP", _bold(name), escape(text) or "\\&"]
    return lines + _paragraph(parser, parser.epilog)


def _top_options(parser: argparse.ArgumentParser) -> list[str]:
    """OPTIONS: -h/--help (which every command has) and the top-level parser's own."""
    lines = [".SH OPTIONS"]
    helps = [a for a in parser._actions if isinstance(a, argparse._HelpAction)]
    if helps:
        flags = ", ".join(_bold(s) for s in helps[0].option_strings)
        lines += [".TP", flags,
                  f"show the help of {escape(parser.prog)}, or of the command it follows, and exit"]
    return lines + _options(_own_options(parser), parser.prog)


def _command_sections(parser: argparse.ArgumentParser) -> list[str]:
    """COMMANDS: one subsection per command (nested ones too) with its options."""
    lines = [".SH COMMANDS"]
    for words, p in parsers(parser):
        if not words:
            continue
        lines += [f'.SS "{escape(" ".join((parser.prog, *words)))}"', *_paragraph(p, p.description)]
        sub = _commands_of(p)
        if sub:
            lines += [".PP", "Its commands:"]
            for name, text in sub:
                lines += [".TP", _bold(name), escape(text) or "\\&"]
        lines += _options(_own_options(p), p.prog)
        lines += _paragraph(p, p.epilog)
    return lines


def _exit_status(parser: argparse.ArgumentParser, statuses: Mapping[int, str]) -> list[str]:
    """EXIT STATUS: the one table, then each command's sentence."""
    lines = [".SH EXIT STATUS"]
    for status, meaning in sorted(statuses.items()):
        lines += [".TP", _bold(str(status)), escape(str(meaning))]
    per_command = exit_statuses(parser)
    if per_command:
        lines += [".PP", "Per command, as its help gives them:"]
        for name, text in per_command:
            lines += [".TP", _bold(f"{parser.prog} {name}"), escape(text)]
    return lines


def execute(args: argparse.Namespace) -> int:
    """Print (or write to --output) elfdce(1)."""
    return emit("man", page(), args.output)
