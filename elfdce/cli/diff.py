"""``elfdce diff OLD NEW``: exports added, removed, moved and left compat-only between two
libraries or abilists, and which of them the policy covers."""

from __future__ import annotations

import argparse
import sys

from .common import add_command, add_policy_option, fail

DIFF_SCHEMA_VERSION = 1  # elfdce/schemas/diff.schema.json


def configure_parser(sub: argparse._SubParsersAction) -> None:
    """Add the `diff` subcommand to ``sub``."""
    p = add_command(
        sub, "diff", execute,
        help="what changed between two libraries or glibc abilists",
        description="Compare the exported (name, version) pairs of OLD and NEW (each "
                    "a library or a glibc abilist file).",
    )
    p.add_argument("old", metavar="OLD")
    p.add_argument("new", metavar="NEW")
    add_policy_option(p, "say which changed names it covers (default: DCE 1.12's table)")
    p.add_argument("--json", action="store_true", help="JSON output")


def _out(line: str) -> None:
    """A line of names: one that is not UTF-8 goes out as its original bytes."""
    sys.stdout.buffer.write(line.encode("utf-8", "surrogateescape") + b"\n")


def execute(args: argparse.Namespace) -> int:
    """Print the changes; 0 when there are none, 1 when there are, 2 on bad input."""
    from ..elf import ElfError
    from ..exports.abilist import AbilistError
    from ..exports.diff import diff_exports, read_exports
    from ..fsutil import InputError
    from ..policy.host import load_policy
    from ..policy.model import PolicyError

    try:
        old = read_exports(args.old)
        new = read_exports(args.new)
        policy = load_policy(args.policy)
    except (ElfError, AbilistError, PolicyError, InputError) as err:
        return fail("diff", str(err))
    except (OSError, UnicodeDecodeError) as err:
        return fail("diff", f"{getattr(err, 'filename', None) or ''}: {err}")
    changes = diff_exports(old, new, policy)
    machines = None
    if old.machine and new.machine and old.machine != new.machine:
        machines = {"old": old.machine, "new": new.machine}
        print(f"elfdce diff: {args.old} is {old.machine}, {args.new} is {new.machine}: the "
              "exports of two machines differ by more than glibc's changes", file=sys.stderr)
    if args.json:
        from ..emit.json import dumps

        sys.stdout.write(dumps({
            "schema_version": DIFF_SCHEMA_VERSION, "old": args.old, "new": args.new,
            "defaults_compared": old.defaults_known and new.defaults_known,
            "machines_differ": machines,
            "changes": [c._asdict() for c in changes],
        }))
    else:
        for c in changes:
            covered = f"  [policy: {c.policy}]" if c.policy else "  [not in policy]"
            if c.kind == "added":
                text = c.new
            elif c.kind == "removed":
                text = c.old
            else:
                text = f"{c.old} -> {c.new}"
            _out(f"{c.kind:<11} {text}{covered}")
        counts: dict[str, int] = {}
        for c in changes:
            counts[c.kind] = counts.get(c.kind, 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in counts.items()) or "no changes"
        note = "" if old.defaults_known and new.defaults_known else (
            " (an abilist has no @/@@: GLIBC_PRIVATE and default versions not compared)")
        _out(f"{args.old} -> {args.new}: {summary}{note}")
    return 1 if changes else 0
