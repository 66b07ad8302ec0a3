"""The default `scan` output: a header describing the file, then one row per symbol."""

from __future__ import annotations

from ..elf.constants import SHN_UNDEF
from .summary import count

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from ..elf.model import ElfSymbols, Symbol


def describe(elf: ElfSymbols) -> list[str]:
    """Header lines: soname, class, machine, endianness, counts per kind and per version node."""
    h = elf.header
    c = count(elf)
    soname = elf.soname or "(no soname)"
    lines = [
        f"{elf.path}: {soname}, ELF{h.elf_class} {h.endianness}-endian {h.machine_name} "
        f"{h.type_name}, {c.total} dynamic symbols"
        + ("" if elf.symbols_from != "dynamic" else " (from PT_DYNAMIC: no section headers)"),
        f"  {c.defined} defined ({c.default} @@, {c.compat} @, {c.unversioned} unversioned), "
        f"{c.undefined} undefined, {c.markers} version markers",
    ]
    if c.types:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(c.types.items(), key=lambda kv: -kv[1]))
        lines.append(f"  kinds: {kinds}")
    if c.versions:
        nodes = ", ".join(
            f"{name} {a}" + (f"+{b}@" if b else "") for name, (a, b) in c.versions.items()
        )
        lines.append(f"  version nodes: {nodes}")
    for need in elf.version_needs:
        names = ", ".join(v.name for v in need.versions)
        lines.append(f"  needs from {need.file}: {names}")
    if elf.needed:
        lines.append(f"  DT_NEEDED: {', '.join(elf.needed)}")
    return lines


def format_table(elf: ElfSymbols, keep: Callable[[Symbol], bool] | None = None) -> str:
    """The readable `scan` table for ``elf`` (symbols passing ``keep``; the null entry never)."""
    rows = []
    for s in elf.symbols:
        if s.index == 0 or (keep is not None and not keep(s)):
            continue
        v = s.version
        if v is None:
            ver = ""
        elif v.needed_from is not None:
            ver = f"@{v.name} ({v.needed_from})"
        else:
            ver = f"{'@' if v.hidden else '@@'}{v.name}"
        kind = "MARKER" if s.is_version_marker else s.type_name
        where = "UND" if s.shndx == SHN_UNDEF else ""
        rows.append((s.name, ver, kind, s.bind_name, str(s.size), where))
    out = describe(elf)
    if rows:
        w0 = max(len(r[0]) for r in rows)
        w1 = max(len(r[1]) for r in rows)
        out.append("")
        out.append(f"{'NAME':<{w0}}  {'VERSION':<{w1}}  {'TYPE':<9} {'BIND':<6} {'SIZE':>7}")
        out.extend(
            f"{a:<{w0}}  {b:<{w1}}  {c:<9} {d:<6} {e:>7} {f}".rstrip() for a, b, c, d, e, f in rows
        )
    return "\n".join(out) + "\n"
