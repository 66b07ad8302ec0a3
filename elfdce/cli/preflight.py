"""``elfdce preflight PROGRAM``: will it load under DCE, and what is missing?"""

from __future__ import annotations

import argparse
import sys

from .common import add_command, add_policy_option, fail, os_error

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..preflight import Report

PREFLIGHT_SCHEMA_VERSION = 2


def configure_parser(sub: argparse._SubParsersAction) -> None:
    """Add the `preflight` subcommand to ``sub``."""
    p = add_command(
        sub, "preflight", execute,
        help="check that a program will load under DCE, listing every import's fate",
        description="Resolve PROGRAM's libraries as the loader would, bind every "
                    "import, and class it by the policy: DCE, NATIVE, DATA, missing, "
                    "unsupported, external, weak. Also reports PIE status, COPY "
                    "relocations, an executable stack and text relocations. The "
                    "first line is the verdict.",
    )
    # one PROGRAM, or with --tree one or more directories: argparse cannot say "or"
    p.usage = ("%(prog)s [options] PROGRAM\n"
               "       %(prog)s --tree [options] DIR [DIR ...]")
    p.add_argument("paths", nargs="+", metavar="PROGRAM",
                   help="the program (with --tree: directories)")
    add_policy_option(p, "used as it is (default: DCE 1.12's table completed for this host, as "
                      "`elfdce table` prints it)")
    p.add_argument("--sysroot", metavar="DIR", help="resolve libraries under DIR")
    p.add_argument("--library-path", metavar="DIRS", default="",
                   help="colon-separated directories searched like LD_LIBRARY_PATH")
    p.add_argument("--replacements", metavar="DIR",
                   help="bind against the replacement libraries built in DIR (libc-ns3.so …, "
                   "DCE's build/lib or `elfdce shim build` output) instead of the policy alone")
    p.add_argument("--suggest", action="store_true",
                   help="print, for each missing import, the policy line (elfdce TSV) to add")
    p.add_argument("--all", action="store_true",
                   help="list every import of the libraries too, not only their problems")
    p.add_argument("--json", action="store_true",
                   help="JSON (elfdce/schemas/preflight.schema.json; tree.schema.json with --tree)")
    from .tree import add_tree_options

    add_tree_options(p)


def execute(args: argparse.Namespace) -> int:
    """Run the preflight and print it; see the exit statuses above."""
    from ..elf import ElfError
    from ..policy.host import complete_policy, host_libraries, load_policy
    from ..policy.model import PolicyError
    from ..preflight import preflight, read_replacements

    if not args.tree and len(args.paths) != 1:
        args._parser.error("one PROGRAM (or --tree DIR [DIR ...])")
    try:
        policy = load_policy(args.policy)
        if args.policy is None:
            policy = _as_prepared(complete_policy(policy, host_libraries(args.sysroot)),
                                  load_policy(None), args.sysroot)
        if args.tree:
            from .tree import run

            return run(args, "preflight", policy, "preflight")
        replacements = read_replacements(args.replacements) if args.replacements else None
        libc = _host_libc(args.sysroot)
        mismatch = _machine_mismatch(args.paths[0], libc)
        if mismatch:
            return fail("preflight", f"{mismatch}")
        report = preflight(args.paths[0], policy, sysroot=args.sysroot,
                           library_path=args.library_path.split(":"), replacements=replacements)
    except (ElfError, PolicyError) as err:
        return fail("preflight", str(err))
    except OSError as err:
        return fail("preflight", os_error(err, args.paths[0]))
    if replacements is not None and not args.json:
        print("note: under DCE, an import a replacement forwards (NATIVE, or DCE-class in "
              "name only) runs on the host, unsimulated; a missing one fails to load, or with "
              "RTLD_DEEPBIND silently binds to the host libc", file=sys.stderr)
    setting = _setting(libc, args.replacements)
    verdict = report.verdict(setting)
    if args.json:
        out = _json(report, verdict, setting.prepared)
    else:
        out = _text(report, args.all, verdict)
        if args.suggest:
            out += _suggestions(report)
    sys.stdout.buffer.write(out.encode("utf-8", "surrogateescape"))
    sys.stdout.flush()
    return verdict.exit_status


def _as_prepared(policy, table, sysroot: str | None):  # noqa: ANN001, ANN202
    """The default policy as a tree prepared by elfdce runs it (`dce.complete.prepared_policy`:
    the host's aliases of DCE-class functions and the successors it adapts are DCE's)."""
    from ..dce.complete import prepared_policy
    from ..dce.host import load_host

    return prepared_policy(policy, load_host(sysroot), table)


def _host_libc(sysroot: str | None) -> str | None:
    """The libc.so.6 the libraries are checked against (under ``sysroot``)."""
    from ..glibc.libs import locate

    return {x.library.key: x for x in locate(sysroot)}["libc"].path


def _setting(libc: str | None, replacements: str | None):  # noqa: ANN202
    """The DCE checked for: what the libc preflight binds against refuses (DF_1_PIE: >= 2.30,
    an executable stack: >= 2.41) and its release (the static TLS room), whether the tree is prepared by elfdce (unless the
    replacements are a DCE tree's build without elfdce's manifest: the default policy is the
    table a prepared tree completes), and the libc's system-call footprint."""
    import os

    from ..glibc.libs import glibc_release
    from ..preflight import Setting

    release = glibc_release(libc) if libc else None
    prepared = True
    if replacements is not None:
        tree = os.path.dirname(os.path.dirname(os.path.abspath(replacements)))
        prepared = not (os.path.isfile(os.path.join(tree, "wscript")) and not os.path.isfile(
            os.path.join(tree, "elfdce_dce", "manifest.json")))
    return Setting(True if release is None else release >= (2, 30),
                   False if release is None else release >= (2, 41), prepared, _footprint(libc),
                   release)


def _footprint(libc: str | None):  # noqa: ANN202
    """The system-call footprint of ``libc`` (cached per build-id), or None when it cannot be
    derived (the verdict then judges no forwarded import by it)."""
    if libc is None:
        return None
    from ..elf import ElfError

    try:
        from ..syscalls import libc_footprint

        return libc_footprint(libc)
    except (ElfError, OSError, ValueError):
        return None


def _machine_mismatch(program: str, libc: str | None) -> str | None:
    """One line when ``program`` is for another machine than the libraries checked against."""
    from ..elf import read_elf

    if libc is None:
        return None
    prog = read_elf(program, relocations=False).header
    lib = read_elf(libc, relocations=False).header
    if (prog.machine, prog.elf_class) != (lib.machine, lib.elf_class):
        return (f"{program}: built for {prog.machine_name} (ELF{prog.elf_class}), checked "
                f"against {lib.machine_name} (ELF{lib.elf_class}) libraries ({libc}): give "
                "--sysroot")
    return None


def _suggestions(report: Report) -> str:
    """The policy lines (elfdce TSV: name, class, macro, extra, guard, note) for the missing."""
    lines = ["# policy lines to add (elfdce TSV):"]
    data = {i.name for i in report.missing() if i.data}
    for name in sorted({i.name for i in report.missing()}):
        cls, macro = ("DATA", "") if name in data else ("NATIVE", "NATIVE")
        lines.append(f"{name}\t{cls}\t{macro}\t\t\tmissing in {report.program}")
    return "\n".join(lines) + "\n"


def _text(report: Report, everything: bool, verdict=None) -> str:  # noqa: ANN001
    info = report.info
    lines = [verdict.line] if verdict is not None else []
    lines += [f"  hazard: {h}" for h in (verdict.hazards if verdict else ())]
    lines += [f"  missing from {lib}: {', '.join(names)}"
              for lib, names in report.missing_by_library().items()]
    lines += [report.summary(), "", f"program: {report.program}", f"  {info.description}"]
    lines.append("  main: " + {"exported": "exported (DCE's dlsym finds it)",
                               "entry code": "not exported; read from the entry code (a tree "
                                             "prepared by elfdce does that)",
                               "none": "none DCE can find"}[info.main])
    if info.copy_relocations:
        lines.append("  COPY relocations (their data arrives as zero when the program is "
                     "dlopened): " + ", ".join(info.copy_relocations))
    if info.executable_stack:
        lines.append("  executable stack (glibc 2.41 refuses to dlopen it)")
    if info.textrel:
        lines.append("  text relocations")
    lines.append("libraries:")
    for o in report.closure.objects[1:]:
        where = o.path or "NOT FOUND"
        lines.append(f"  {o.needed} => {where} ({o.how}; needed by {o.needed_by})")
    for o in report.closure.loaded():
        imports = report.of(o.path or "")
        if not imports:
            continue
        shown = [i for i in imports if everything or o.path == report.program
                 or i.verdict in ("missing", "unsupported")]
        if not shown:
            continue
        lines.append(f"imports of {o.path}:")
        width = max(len(i.label) for i in shown)
        for i in shown:
            provider = i.provider or "-"
            lines.append(f"  {i.label:<{width}}  {i.verdict:<11} {provider:<22} {i.detail}"
                         .rstrip())
    return "\n".join(lines) + "\n"


def _json(report: Report, verdict, prepared: bool) -> str:  # noqa: ANN001
    from ..emit.json import dumps

    info = report.info
    return dumps({
        "schema_version": PREFLIGHT_SCHEMA_VERSION,
        "program": report.program,
        "verdict": verdict.state,
        "reason": verdict.reason,
        "hazards": list(verdict.hazards),
        "ok": report.ok,
        "summary": report.summary(),
        "pie": info.pie,
        "pie_description": info.description,
        "copy_relocations": list(info.copy_relocations),
        "executable_stack": info.executable_stack,
        "textrel": info.textrel,
        "main": info.main,
        "prepared": prepared,
        "libraries": [{"needed": o.needed, "path": o.path, "how": o.how,
                       "needed_by": o.needed_by} for o in report.closure.objects[1:]],
        "imports": [{"importer": i.importer, "name": i.name, "version": i.version,
                     "needed_from": i.needed_from, "weak": i.weak, "provider": i.provider,
                     "verdict": i.verdict, "detail": i.detail} for i in report.imports],
    })
