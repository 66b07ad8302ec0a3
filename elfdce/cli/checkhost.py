"""``elfdce check-host``: what the host glibc will do to DCE, from its binaries alone."""

from __future__ import annotations

import argparse
import sys

from .common import add_command, fail

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..glibc.hostcheck import HostReport


def configure_parser(sub: argparse._SubParsersAction) -> None:
    """Add the `check-host` subcommand to ``sub``."""
    p = add_command(
        sub, "check-host", execute,
        help="glibc's vtable validation, its _IO_init switch and the PIE refusal",
        description="Examine libc.so.6 and ld.so (disassembling only what is needed) "
                    "for the libio vtable validation, the _IO_init switch that turns "
                    "it off, and the dlopen refusal of PIEs; give a verdict and the "
                    "fix per DCE mechanism. --probe confirms by experiment.",
    )
    p.add_argument("--libc", metavar="PATH", help="the libc.so.6 to examine")
    p.add_argument("--ld-so", metavar="PATH", help="the dynamic loader to examine")
    p.add_argument("--sysroot", metavar="DIR", help="find both under DIR")
    p.add_argument("--probe", action="store_true",
                   help="confirm by experiment in subprocesses, through the examined ld.so "
                   "(programs of this machine's architecture; needs gcc)")
    p.add_argument("--json", action="store_true", help="JSON output")


def execute(args: argparse.Namespace) -> int:
    """Print the report (and the probe's observations)."""
    from ..elf import ElfError
    from ..glibc.hostcheck import check_host

    try:
        report = check_host(args.libc, args.ld_so, args.sysroot)
    except ElfError as err:
        return fail("check-host", str(err))
    probes = None
    if args.probe:
        from ..glibc.probe import ProbeError, probe

        try:
            probes = probe(report)
        except ProbeError as err:
            return fail("check-host", f"probe: {err}")
    if args.json:
        from ..emit.json import dumps

        doc = {"schema_version": 1, **_as_dict(report)}
        if probes is not None:
            doc["probes"] = [p._asdict() for p in probes]
        sys.stdout.write(dumps(doc))
    else:
        sys.stdout.write(_text(report))
        for p in probes or ():
            mark = "ok" if p.agrees else "DISAGREES"
            print(f"probe {p.name}: predicted {p.predicted}; observed {p.observed} [{mark}]")
    return 1 if probes and not all(p.agrees for p in probes) else 0


def _as_dict(r: HostReport) -> dict[str, object]:
    return {
        "libc": r.libc, "ld_so": r.ld_so, "machine": r.machine, "glibc_version": r.glibc_version,
        "build_id": r.build_id, "merged_stubs": list(r.merged_stubs),
        "vtable_check": r.vtable_check._asdict(), "vtable_layout": r.vtable_layout,
        "stdio_switch": r.stdio_switch._asdict(),
        "pie_refusal": r.pie_refusal._asdict(),
        "verdicts": [{"mechanism": m, "result": v} for m, v in r.verdicts],
    }


def _text(r: HostReport) -> str:
    lines = [
        f"libc: {r.libc}", f"ld.so: {r.ld_so or 'not found'}",
        f"glibc {r.glibc_version or '?'} on {r.machine}; build-id {r.build_id or '?'}",
        "merged stubs (>= 2.34): " + (", ".join(r.merged_stubs) or "none"),
        f"libio vtable validation: {r.vtable_check.summary} [{r.vtable_check.state}]",
        f"  vtables: {r.vtable_layout}",
    ]
    lines += [f"  {e}" for e in r.vtable_check.evidence]
    lines.append("  a libc copy loaded in a namespace other than the base one (dlmopen "
                 "LM_ID_NEWLM) accepts foreign vtables even when stock")
    lines.append(f"stdio switch (_IO_init): {r.stdio_switch.summary} [{r.stdio_switch.state}]")
    lines += [f"  {e}" for e in r.stdio_switch.evidence]
    lines.append(f"dlopen PIE refusal: {r.pie_refusal.summary} [{r.pie_refusal.state}]")
    lines += [f"  {e}" for e in r.pie_refusal.evidence]
    lines += [f"verdict: {m}: {v}" for m, v in r.verdicts]
    fixes = []
    if r.pie_refusal.state == "stock":
        fixes.append("fix: `elfdce fix-pie` each PIE DCE loads (`elfdce dce prepare` makes DCE's "
                     "loader clear DF_1_PIE in its copies)")
    if r.vtable_check.state == "stock" and r.stdio_switch.state == "present":
        fixes.append("fix: call _IO_init(scratch, 0) once in the simulator before the first "
                     "process (`elfdce dce prepare` adds it to libns3-dce)")
    lines += fixes
    return "\n".join(lines) + "\n"
