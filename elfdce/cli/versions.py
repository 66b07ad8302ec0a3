"""``elfdce versions``: write the five ``.version`` maps (the replacement for dcemakeversion)."""

from __future__ import annotations

import argparse
import os

from ..emit.words import count
from .common import add_command, add_library_options, fail, library_overrides

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..glibc.libs import LocatedLibrary
    from ..versionmaps import VersionMap


def configure_parser(sub: argparse._SubParsersAction) -> None:
    """Add the `versions` subcommand to ``sub``."""
    p = add_command(
        sub, "versions", execute,
        help="write the version maps of DCE's five replacement libraries",
        description="Write libc.version, libpthread.version, librt.version, "
                    "libm.version and libdl.version (and, in exact style, the "
                    ".symver headers) from the host libraries or a sysroot.",
    )
    p.add_argument("--out-dir", default=".", metavar="DIR", help="where to write (default: .)")
    p.add_argument("--prefix-dir", metavar="DIR",
                   help="directory of the NS3 prefix maps (<lib>-ns3.version); default: elfdce's")
    p.add_argument("--style", choices=("exact", "dce"), default="exact",
                   help="exact (default): export exactly the host's pairs, with a .symver header "
                   "for compat pairs; dce: the bytes DCE's dcemakeversion writes")
    add_library_options(p)
    p.add_argument("--no-private", dest="private", action="store_false",
                   help="exact style: leave out GLIBC_PRIVATE")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if a file differs from what would be written")
    p.add_argument("--summary", action="store_true",
                   help="write nothing; print what each map covers, and what dce style loses")


def execute(args: argparse.Namespace) -> int:
    """Locate the five libraries, build their maps, and write, check or summarise them."""
    from ..glibc.libs import locate

    try:
        located = locate(args.sysroot, library_overrides(args.lib))
    except ValueError as err:
        return fail("versions", str(err))
    try:
        built, status, unusable = _build_all(located, args)
    except _PrefixError as err:
        return fail("versions", str(err))
    if unusable and not args.summary and not args.check:
        return fail("versions", "nothing written (a library could not be used)")
    if args.summary:
        _print_summary(built, args.style)
        return status
    # Everything is generated before anything is written: no half-updated set of maps.
    outputs = [(loc, vmap, _files(loc.library.key, vmap, args.out_dir)) for loc, vmap, _ in built]
    if args.check:
        return max(status, _check(outputs, args.style))
    return _write(outputs, args.out_dir) or status


class _PrefixError(Exception):
    """A prefix map that cannot be read: nothing can be built."""


def _build_all(located: list[LocatedLibrary], args: argparse.Namespace) -> tuple[
        list[tuple[LocatedLibrary, VersionMap, VersionMap | None]], int, bool]:
    """The map of each library (and, for --summary, its other style's), the exit status so
    far, and whether a library was unusable; each problem said on stderr."""
    from ..elf import ElfError, read_elf
    from ..fsutil import InputError
    from ..glibc.libs import require_glibc_library
    from ..versionmaps import build_map, read_prefix

    status, unusable = 0, False
    built: list[tuple[LocatedLibrary, VersionMap, VersionMap | None]] = []
    for loc in located:
        if loc.path is None:
            status = fail("versions", f"{loc.library.soname}: {loc.how}")
            continue
        try:
            prefix = read_prefix(loc.library, args.prefix_dir)
        except (InputError, OSError, UnicodeDecodeError) as err:
            raise _PrefixError(f"prefix map for {loc.library.soname}: {err}") from None
        try:
            elf = read_elf(loc.path, relocations=False)
            require_glibc_library(elf, loc.library.key)
            vmap = build_map(elf, style=args.style, prefix=prefix, private=args.private)
            other = None
            if args.summary:
                other = build_map(elf, style="dce" if args.style == "exact" else "exact",
                                  prefix=prefix, private=args.private)
        except (ElfError, ValueError) as err:
            status = fail("versions", f"{loc.path}: {err}" if isinstance(err, ValueError)
                          else str(err))
            unusable = True
            continue
        built.append((loc, vmap, other))
    return built, status, unusable


def _check(outputs: list, style: str) -> int:
    """1 when a file differs from what would be written (each named), else 0."""
    status = 0
    for loc, _vmap, files in outputs:
        for path, data in files:
            if _read(path) != data:
                print(f"{path}: differs from {loc.path} ({style} style)")
                status = 1
    return status


def _write(outputs: list, out_dir: str) -> int:
    """Write every map as one set, then report each; 2 (nothing written) on an OSError."""
    from ..fsutil import write_set

    try:
        os.makedirs(out_dir, exist_ok=True)
        write_set([f for _loc, _vmap, files in outputs for f in files])
    except OSError as err:
        return fail("versions", f"cannot write to {out_dir}: {err.strerror or err} "
                    "(nothing written)")
    for loc, vmap, files in outputs:
        _report(loc, vmap, [p for p, _ in files])
    return 0


def _files(key: str, vmap: VersionMap, out_dir: str) -> list[tuple[str, bytes]]:
    # surrogateescape: a name that is not UTF-8 is written back as its original bytes
    files = [(os.path.join(out_dir, f"{key}.version"),
              vmap.script.encode("utf-8", "surrogateescape"))]
    if vmap.style == "exact":
        from ..versionmaps.script import symver_header

        header = symver_header(vmap.symver, os.path.basename(vmap.source))
        files.append((os.path.join(out_dir, f"{key}.symver.h"),
                      header.encode("utf-8", "surrogateescape")))
    return files


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _report(loc: LocatedLibrary, vmap: VersionMap, written: list[str]) -> None:
    e = vmap.exports
    compat = sum(1 for p in e.pairs if not p.default)
    print(f"{loc.library.soname}: from {loc.path} ({loc.how}) -> {', '.join(written)}")
    print(f"  {count(len(e.nodes), 'version node')}, {count(len(e.pairs), 'pair')} ({len(e.pairs) - compat} @@, "
          f"{compat} @); {len(vmap.symver)} through .symver; {len(vmap.missing)} not exported "
          f"by this map")
    if vmap.stub:
        print(f"  glibc >= 2.34 stub: the map defines its {len(e.nodes)} version nodes (the "
              "loader checks them here); its functions are compat pairs of libc.so.6's map")
    if e.unversioned:
        print(f"  warning: {len(e.unversioned)} unversioned exports cannot be kept with local: *")


def _print_summary(built: list[tuple[LocatedLibrary, VersionMap, VersionMap | None]],
                   style: str) -> None:
    head = ("library", "nodes", "empty", "pairs", "@@", "@", "private", ".symver", "dce lists",
            "dce loses")
    rows = []
    for loc, vmap, other in built:
        exact = vmap if style == "exact" else other
        dce = other if style == "exact" else vmap
        assert exact is not None and dce is not None
        e = exact.exports
        used = {p.version for p in e.pairs}
        compat = sum(1 for p in e.pairs if not p.default)
        private = sum(1 for p in e.pairs if p.version == "GLIBC_PRIVATE")
        rows.append((loc.library.soname, len(e.nodes), sum(1 for n in e.nodes if n.name not in used),
                     len(e.pairs), len(e.pairs) - compat, compat, private, len(exact.symver),
                     len(dce.listed), len(dce.missing)))
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                        for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    for loc, _vmap, _ in built:
        print(f"{loc.library.soname}: {loc.path} ({loc.how})")
    for loc, vmap, other in built:
        dce = other if style == "exact" else vmap
        assert dce is not None
        lost = dce.missing
        if lost:
            compat = sum(1 for p in lost if not p.default)
            zero = len(lost) - compat

            print(f"dce style loses in {loc.library.soname}: {count(compat, 'compat pair')}"
                  + (f", {count(zero, 'default pair')} with st_value 0 (e.g. "
                     f"{next(p.label for p in lost if p.default)})" if zero else ""))
