"""``elfdce table``: the NATIVE/DCE table for this host, and what in a policy has gone stale."""

from __future__ import annotations

import sys

from .common import add_library_options, library_overrides

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

TABLE_SCHEMA_VERSION = 1


def configure_parser(sub: argparse._SubParsersAction) -> None:
    """Add the `table` subcommand to ``sub``."""
    p = sub.add_parser(
        "table",
        help="the NATIVE/DCE table for this host, from a policy",
        description="Complete a policy (default: DCE 1.12's table) with every other export of "
        "the host's five libraries, print it, and report the policy's entries the host no "
        "longer has as they were (on stderr). Exit status: 0 ok, 2 bad input.",
    )
    p.add_argument("--policy", metavar="FILE",
                   help="elfdce policy TSV or a DCE libc-ns3.h (default: DCE 1.12's table)")
    p.add_argument("--format", choices=("tsv", "xmacro", "json"), default="tsv",
                   help="tsv (default): elfdce's policy file; xmacro: a libc-ns3.h; json")
    add_library_options(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write here (atomically), not stdout")
    p.set_defaults(func=execute)


def execute(args: argparse.Namespace) -> int:
    """Print (or write) the completed table; report stale entries on stderr."""
    from ..elf import ElfError
    from ..policy.host import complete_policy, host_libraries, load_policy, staleness
    from ..policy.model import PolicyError

    try:
        base = load_policy(args.policy)
        libraries = host_libraries(args.sysroot, library_overrides(args.lib))
    except (PolicyError, ElfError, ValueError) as err:
        print(f"elfdce table: {err}", file=sys.stderr)
        return 2
    if not libraries:
        print("elfdce table: none of the five libraries was found", file=sys.stderr)
        return 2
    policy = complete_policy(base, libraries)
    findings = staleness(base, libraries)
    if args.format == "tsv":
        from ..policy.tsv import format_tsv

        text = format_tsv(policy)
    elif args.format == "xmacro":
        from ..policy.xmacro import format_xmacro

        text = format_xmacro(policy, "the NATIVE/DCE table for " + ", ".join(
            lib.located.path or "" for lib in libraries))
    else:
        from ..emit.json import dumps

        text = dumps({
            "schema_version": TABLE_SCHEMA_VERSION,
            "libraries": {lib.located.library.soname: lib.located.path for lib in libraries},
            "entries": [{"name": e.name, "class": e.cls, "macro": e.macro or None,
                         "extra": list(e.extra), "guard": e.guard, "note": e.note}
                        for e in policy.entries],
            "stale": [{"name": f.name, "kind": f.kind, "detail": f.detail} for f in findings],
        })
    data = text.encode("utf-8", "surrogateescape")
    if args.output:
        from ..fsutil import write_atomic

        try:
            write_atomic(args.output, data)
        except OSError as err:
            print(f"elfdce table: cannot write {args.output}: {err.strerror or err}",
                  file=sys.stderr)
            return 2
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    counts: dict[str, int] = {}
    for e in policy.entries:
        counts[e.cls] = counts.get(e.cls, 0) + 1
    print(f"elfdce table: {len(policy.entries)} entries ("
          + ", ".join(f"{n} {c}" for c, n in counts.items()) + f"); {len(base.table())} from "
          f"the policy, {len(findings)} of them stale on this host", file=sys.stderr)
    for f in findings:
        print(f"  {f.kind}: {f.name}: {f.detail}", file=sys.stderr)
    return 0
