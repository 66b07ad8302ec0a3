"""``elfdce table``: the NATIVE/DCE table for this host, and what in a policy has gone stale."""

from __future__ import annotations

import argparse
import sys

from ..emit.words import count
from .common import add_command, add_library_options, add_policy_option, fail, library_overrides

TABLE_SCHEMA_VERSION = 1


def configure_parser(sub: argparse._SubParsersAction) -> None:
    """Add the `table` subcommand to ``sub``."""
    p = add_command(
        sub, "table", execute,
        help="the NATIVE/DCE table for this host, from a policy",
        description="Complete a policy (default: DCE 1.12's table) with every other "
                    "export of the host's five libraries, print it, and report the "
                    "policy's entries the host no longer has as they were (on "
                    "stderr).",
    )
    add_policy_option(p, "completed for the host (default: DCE 1.12's table)")
    p.add_argument("--format", choices=("tsv", "xmacro", "json"), default="tsv",
                   help="tsv (default): elfdce's policy file; xmacro: a libc-ns3.h; json")
    add_library_options(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write here (atomically), not stdout")


def execute(args: argparse.Namespace) -> int:
    """Print (or write) the completed table; report stale entries on stderr."""
    from ..elf import ElfError
    from ..policy.host import complete_policy, host_libraries, load_policy, staleness
    from ..policy.model import PolicyError

    try:
        base = load_policy(args.policy)
        libraries = host_libraries(args.sysroot, library_overrides(args.lib))
    except (PolicyError, ElfError, ValueError) as err:
        return fail("table", str(err))
    if not libraries:
        return fail("table", "none of the five libraries was found")
    policy = complete_policy(base, libraries)
    findings = staleness(base, libraries)
    text = _formatted(policy, findings, libraries, args.format)
    data = text.encode("utf-8", "surrogateescape")
    if args.output:
        from ..fsutil import write_atomic

        try:
            write_atomic(args.output, data)
        except OSError as err:
            return fail("table", f"cannot write {args.output}: {err.strerror or err}")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    counts: dict[str, int] = {}
    for e in policy.entries:
        counts[e.cls] = counts.get(e.cls, 0) + 1
    print(f"elfdce table: {count(len(policy.entries), 'entry')} ("
          + ", ".join(f"{n} {c}" for c, n in counts.items()) + f"); {len(base.table())} from "
          f"the policy, {len(findings)} of them stale on this host", file=sys.stderr)
    for f in findings:
        print(f"  {f.kind}: {f.name}: {f.detail}", file=sys.stderr)
    return 0


def _formatted(policy, findings, libraries, form: str) -> str:  # noqa: ANN001
    """The completed table as TSV, a DCE-style X-macro header, or JSON (table.schema.json)."""
    if form == "tsv":
        from ..policy.tsv import format_tsv

        return format_tsv(policy)
    if form == "xmacro":
        from ..policy.xmacro import format_xmacro

        return format_xmacro(policy, "the NATIVE/DCE table for " + ", ".join(
            lib.located.path or "" for lib in libraries))
    from ..emit.json import dumps

    return dumps({
        "schema_version": TABLE_SCHEMA_VERSION,
        "libraries": {lib.located.library.soname: lib.located.path for lib in libraries},
        "entries": [{"name": e.name, "class": e.cls, "macro": e.macro or None,
                     "extra": list(e.extra), "guard": e.guard, "note": e.note}
                    for e in policy.entries],
        "stale": [{"name": f.name, "kind": f.kind, "detail": f.detail} for f in findings],
    })
