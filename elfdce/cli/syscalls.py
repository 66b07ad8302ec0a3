"""``elfdce syscalls``: the system calls each exported glibc function can make, derived from
its machine code (`elfdce.syscalls`), and how they changed between two releases."""

from __future__ import annotations

import argparse
import sys

from .common import add_command, fail, os_error

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..syscalls.footprint import Footprint, LibraryFootprint

SYSCALLS_SCHEMA_VERSION = 1  # elfdce/schemas/syscalls.schema.json


def configure_parser(sub: argparse._SubParsersAction) -> None:
    """Add the `syscalls` subcommand to ``sub``."""
    p = add_command(
        sub, "syscalls", execute,
        help="the system calls each exported glibc function can make (its footprint)",
        description="Derive from libc.so.6's machine code (libm.so.6 and ld.so are taken "
                    "too) which system calls each exported function can make, directly or "
                    "through what it calls in the library and its ld.so, and their classes "
                    "(fd, socket, time, sleep, signal, process, memory, identity, other; "
                    "unknown when an indirect call cannot be followed). With NAMEs, each "
                    "one's footprint; else (or with --summary) the counts. Footprints are "
                    "kept per build-id under ~/.cache/elfdce/syscalls.",
    )
    p.add_argument("names", nargs="*", metavar="NAME[@VERSION]",
                   help="exported functions (NAME alone: its default version)")
    p.add_argument("--libc", metavar="PATH",
                   help="the glibc library to examine (default: this machine's libc.so.6)")
    p.add_argument("--diff", metavar="OLD",
                   help="compare with the footprints of the library OLD (an older release): "
                        "what changed from OLD to --libc's, per NAME@VERSION")
    p.add_argument("--summary", action="store_true",
                   help="counts: pure, per class, unknown, vDSO (the default without NAMEs)")
    p.add_argument("--no-cache", action="store_true",
                   help="derive the footprints again, neither reading nor writing the cache")
    p.add_argument("--json", action="store_true",
                   help="JSON output (elfdce/schemas/syscalls.schema.json)")


def _library(path: str | None, use_cache: bool) -> LibraryFootprint:
    from ..syscalls import libc_footprint

    if path is None:
        from ..glibc.libs import locate

        path = next((loc.path for loc in locate(None) if loc.library.key == "libc"), None)
        if path is None:
            raise FileNotFoundError("no libc.so.6 found on this machine (give --libc PATH)")
    return libc_footprint(path, use_cache=use_cache)


def execute(args: argparse.Namespace) -> int:
    """Print footprints, the summary or the changes; 2 on bad input."""
    from ..elf import ElfError

    try:
        lib = _library(args.libc, not args.no_cache)
        old = _library(args.diff, not args.no_cache) if args.diff else None
    except ElfError as err:
        return fail("syscalls", str(err))
    except OSError as err:
        return fail("syscalls", os_error(err) if err.filename else str(err))
    try:
        pairs = _select(lib, args.names) if args.names else None
    except LookupError as err:
        return fail("syscalls", str(err.args[0]))
    if old is not None:
        return _diff(old, lib, args)
    if args.json:
        from ..emit.json import dumps

        if pairs is None and not args.summary:
            pairs = sorted(lib.by_pair, key=_order)
        sys.stdout.write(dumps({
            "schema_version": SYSCALLS_SCHEMA_VERSION, "library": _library_dict(lib),
            "summary": summary(lib),
            "functions": [_function_dict(lib, pair) for pair in pairs or ()],
        }))
        return 0
    if pairs is not None:
        for pair in pairs:
            sys.stdout.write(_text(lib, pair))
    if pairs is None or args.summary:
        sys.stdout.write(_summary_text(lib))
    return 0


def _order(pair: tuple[str, str | None]) -> tuple[str, str]:
    return pair[0], pair[1] or ""


def _select(lib: LibraryFootprint, names: list[str]) -> list[tuple[str, str | None]]:
    """The pairs NAME[@[@]VERSION] names; LookupError naming one the library does not
    export as a function."""
    out: list[tuple[str, str | None]] = []
    for spec in names:
        name, _, version = spec.replace("@@", "@").partition("@")
        if version:
            if (name, version) not in lib.by_pair:
                raise LookupError(f"{lib.path}: exports no function {name}@{version}")
            out.append((name, version))
        elif name in lib.defaults:
            out.append((name, lib.defaults[name]))
        else:  # compat versions only: every pair of the name
            found = sorted((p for p in lib.by_pair if p[0] == name), key=_order)
            if not found:
                raise LookupError(f"{lib.path}: exports no function {name}")
            out += found
    return out


def _label(lib: LibraryFootprint, pair: tuple[str, str | None]) -> str:
    name, version = pair
    if version is None:
        return name
    return f"{name}{'@@' if lib.defaults.get(name, 0) == version else '@'}{version}"


def _text(lib: LibraryFootprint, pair: tuple[str, str | None]) -> str:
    fp = lib.by_pair[pair]
    head = "pure" if fp.is_pure else ", ".join(fp.classes) or "no syscall"
    lines = [f"{_label(lib, pair)}: {head}" + (" (vDSO)" if fp.vdso else "")]
    if fp.syscalls:
        lines.append("  syscalls: " + ", ".join(fp.syscalls))
    lines += [f"  unknown: {r}" for r in fp.unknown]
    if fp.exceptional:
        lines.append("  not listed: what its abort() or thread-cancellation paths do")
    return "\n".join(lines) + "\n"


def summary(lib: LibraryFootprint) -> dict[str, int]:
    """Counts over the exported (name, version) pairs: functions, pure ("none"), per class,
    unknown, vdso, exceptional."""
    from ..syscalls.classes import CLASSES, NONE, UNKNOWN

    out = {"functions": len(lib.by_pair), NONE: 0}
    out.update({c: 0 for c in CLASSES})
    out.update({UNKNOWN: 0, "vdso": 0, "exceptional": 0})
    for fp in lib.by_pair.values():
        if fp.is_pure:
            out[NONE] += 1
        for c in fp.classes:
            out[c] += 1
        out["vdso"] += fp.vdso
        out["exceptional"] += fp.exceptional
    return out


def _summary_text(lib: LibraryFootprint) -> str:
    from ..emit.words import count

    s = summary(lib)
    lines = [f"{lib.path} ({lib.machine}, build-id {lib.build_id or 'none'}): "
             f"{count(s['functions'], 'exported function')} (name@version pairs)",
             f"  pure: {s['none']}"]
    for key in list(s)[2:]:
        what = {"unknown": "unknown (a call that cannot be followed)",
                "vdso": "vdso (may call into the vDSO)",
                "exceptional": "exceptional (abort() or cancellation paths left out)"}.get(key, key)
        lines.append(f"  {what}: {s[key]}")
    return "\n".join(lines) + "\n"


def _footprint_dict(fp: Footprint) -> dict[str, object]:
    return {"syscalls": list(fp.syscalls), "classes": list(fp.classes), "vdso": fp.vdso,
            "unknown": list(fp.unknown), "exceptional": fp.exceptional, "pure": fp.is_pure}


def _function_dict(lib: LibraryFootprint, pair: tuple[str, str | None]) -> dict[str, object]:
    return {"name": pair[0], "version": pair[1],
            "default": pair[1] is None or lib.defaults.get(pair[0], 0) == pair[1],
            **_footprint_dict(lib.by_pair[pair])}


def _library_dict(lib: LibraryFootprint) -> dict[str, object]:
    return {"path": lib.path, "soname": lib.soname, "machine": lib.machine,
            "build_id": lib.build_id}


def changes(old: LibraryFootprint, new: LibraryFootprint,
            names: list[str] | None = None) -> list[dict[str, Any]]:
    """Per pair, what changed from ``old`` to ``new``: added, removed, or changed (syscalls,
    vDSO, unknown or exceptional; the unknown reasons' addresses are not compared); only the
    pairs of ``names`` when given."""
    wanted = None if names is None else set(names)
    out: list[dict[str, Any]] = []
    for pair in sorted(set(old.by_pair) | set(new.by_pair), key=_order):
        if wanted is not None and pair[0] not in wanted:
            continue
        a, b = old.by_pair.get(pair), new.by_pair.get(pair)
        if a is None or b is None:
            kind = "added" if a is None else "removed"
        elif (a.syscalls, a.vdso, bool(a.unknown), a.exceptional) != (
                b.syscalls, b.vdso, bool(b.unknown), b.exceptional):
            kind = "changed"
        else:
            continue
        out.append({
            "name": pair[0], "version": pair[1], "kind": kind,
            "old": None if a is None else _footprint_dict(a),
            "new": None if b is None else _footprint_dict(b),
            "added_syscalls": sorted(set(b.syscalls) - set(a.syscalls)) if a and b else [],
            "removed_syscalls": sorted(set(a.syscalls) - set(b.syscalls)) if a and b else [],
        })
    return out


def _diff(old: LibraryFootprint, new: LibraryFootprint, args: argparse.Namespace) -> int:
    names = [n.split("@", 1)[0] for n in args.names] if args.names else None
    found = changes(old, new, names)
    if old.machine != new.machine:
        print(f"elfdce syscalls: {old.path} is {old.machine}, {new.path} is {new.machine}: "
              "the footprints of two machines differ by more than glibc's changes",
              file=sys.stderr)
    if args.json:
        from ..emit.json import dumps

        sys.stdout.write(dumps({
            "schema_version": SYSCALLS_SCHEMA_VERSION, "old": _library_dict(old),
            "new": _library_dict(new), "changes": found,
        }))
        return 1 if found else 0
    counts: dict[str, int] = {}
    for c in found:
        counts[str(c["kind"])] = counts.get(str(c["kind"]), 0) + 1
        label = _label(old if c["kind"] == "removed" else new, (c["name"], c["version"]))
        if c["kind"] == "changed":
            a, b = c["old"], c["new"]
            parts = [f"+{s}" for s in c["added_syscalls"]] + [
                f"-{s}" for s in c["removed_syscalls"]]
            for key in ("vdso", "exceptional"):
                if a[key] != b[key]:
                    parts.append(f"{key} {str(a[key]).lower()} -> {str(b[key]).lower()}")
            if bool(a["unknown"]) != bool(b["unknown"]):
                parts.append("unknown " + ("gone" if a["unknown"] else "appears"))
            print(f"changed  {label}: {' '.join(parts)}")
        else:
            fp = c["new"] if c["kind"] == "added" else c["old"]
            print(f"{c['kind']:<8} {label}: {', '.join(fp['classes']) or 'pure'}")
    summary_text = ", ".join(f"{n} {k}" for k, n in counts.items()) or "no changes"
    print(f"{old.path} -> {new.path}: {summary_text}")
    return 1 if found else 0
