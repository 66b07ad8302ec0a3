"""`--format readelf`: the lines GNU readelf 2.40 prints for ``--dyn-syms -W``, byte for byte.

The rules are those of binutils/readelf.c (print_dynamic_symbol, get_symbol_type,
get_symbol_binding, get_symbol_other, get_symbol_index_type, get_symbol_version_string,
print_symbol). The differential test compares this output with the real readelf over every ELF
file of the system and the Debian cross libcs.
"""

from __future__ import annotations

from ..elf import constants as C

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ..elf.model import ElfSymbols, Symbol, SymbolVersion

_TYPES = {0: "NOTYPE", 1: "OBJECT", 2: "FUNC", 3: "SECTION", 4: "FILE", 5: "COMMON", 6: "TLS",
          8: "RELC", 9: "SRELC"}
_BINDS = {0: "LOCAL", 1: "GLOBAL", 2: "WEAK"}
_VIS = ("DEFAULT", "INTERNAL", "HIDDEN", "PROTECTED")


def _type_name(t: int, machine: int, osabi: int) -> str:
    name = _TYPES.get(t)
    if name is not None:
        return name
    if 13 <= t <= 15:  # STT_LOPROC .. STT_HIPROC
        if machine == C.EM_ARM and t == 13:
            return "THUMB_FUNC"
        if machine == C.EM_SPARCV9 and t == 13:
            return "REGISTER"
        if machine == C.EM_PARISC and t == 13:
            return "PARISC_MILLI"
        return f"<processor specific>: {t}"
    if 10 <= t <= 12:  # STT_LOOS .. STT_HIOS
        if machine == C.EM_PARISC:
            if t == 11:
                return "HP_OPAQUE"
            if t == 12:
                return "HP_STUB"
        if t == C.STT_GNU_IFUNC and osabi in (C.ELFOSABI_GNU, C.ELFOSABI_FREEBSD):
            return "IFUNC"
        return f"<OS specific>: {t}"
    return f"<unknown>: {t}"


def _bind_name(b: int, osabi: int) -> str:
    name = _BINDS.get(b)
    if name is not None:
        return name
    if 13 <= b <= 15:
        return f"<processor specific>: {b}"
    if 10 <= b <= 12:
        if b == C.STB_GNU_UNIQUE and osabi == C.ELFOSABI_GNU:
            return "UNIQUE"
        return f"<OS specific>: {b}"
    return f"<unknown>: {b}"


_MIPS_OTHER = {
    0x04: "OPTIONAL", 0x08: "MIPS PLT", 0x20: "MIPS PIC", 0x80: "MICROMIPS",
    0xA0: "MICROMIPS, MIPS PIC", 0xF0: "MIPS16",
}
_SOLARIS_VIS = {0: "DEFAULT", 1: "INTERNAL", 2: "HIDDEN", 3: "PROTECTED", 4: "EXPORTED",
                5: "SINGLETON", 6: "ELIMINATE"}


def _other_name(o: int, machine: int) -> str:
    """get_symbol_other for st_other with the visibility bits cleared (never 0 here)."""
    if machine == C.EM_AARCH64 and o & 0x80:
        return "VARIANT_PCS" if o == 0x80 else f"VARIANT_PCS | {o & ~0x80:x}"
    if machine == C.EM_RISCV:
        # binutils overwrites " VARIANT_CC" with " %x" when other bits remain.
        return "VARIANT_CC" if o == 0x80 else f"{o & ~0x80:x}"
    if machine == C.EM_MIPS and o in _MIPS_OTHER:
        return _MIPS_OTHER[o]
    if machine == C.EM_PPC64 and not o & ~0xE0 and o >> 5 != 7:
        v = o >> 5
        return f"<localentry>: {v if v < 2 else ((1 << v) >> 2) << 2}"
    if machine == C.EM_ALPHA:
        return {0x80: "NOPV", 0x88: "STD GPLOAD"}.get(o, "<unknown>")
    return f"<other>: {o:x}"


def _index_name(shndx: int, machine: int, shnum: int) -> str:
    if shndx == C.SHN_UNDEF:
        return "UND"
    if shndx == C.SHN_ABS:
        return "ABS"
    if shndx == C.SHN_COMMON:
        return "COM"
    if machine == C.EM_IA_64 and shndx == 0xFF00:
        return "ANSI_COM"
    if machine == C.EM_X86_64 and shndx == 0xFF02:  # SHN_X86_64_LCOMMON
        return "LARGE_COM"
    if machine == C.EM_MIPS and shndx == 0xFF03:  # SHN_MIPS_SCOMMON
        return "SCOM"
    if machine == C.EM_MIPS and shndx == 0xFF04:  # SHN_MIPS_SUNDEFINED
        return "SUND"
    if C.SHN_LOPROC <= shndx <= C.SHN_HIPROC:
        return f"PRC[0x{shndx:04x}]"
    if C.SHN_LOOS <= shndx <= C.SHN_HIOS:
        return f"OS [0x{shndx:04x}]"
    if shndx >= C.SHN_LORESERVE:
        return f"RSV[0x{shndx:04x}]"
    if shnum and shndx >= shnum:
        return f"bad section index[{shndx:3d}]"
    return f"{shndx:3d}"


def _printable(label: str) -> str:
    """print_symbol with -W in the C locale: control bytes as ^X, other bytes unchanged.

    DEL becomes '^' and the raw byte 0xBF (binutils prints c + 0x40). Bytes that are not UTF-8
    travel as surrogate escapes and are written back raw.
    """
    out = bytearray()
    for c in label.encode("utf-8", "surrogateescape"):
        if c < 0x20 or c == 0x7F:
            out += b"^"
            out.append(c + 0x40)
        else:
            out.append(c)
    return out.decode("utf-8", "surrogateescape")


def _section_label(name: str) -> str:
    """printable_section_name: control bytes as ^X, bytes >= 0x80 as <XX>, at most 256 chars."""
    if name.isascii() and name.isprintable():
        return name[:256]
    out = []
    for c in name.encode("utf-8", "surrogateescape"):
        if c < 0x20 or c == 0x7F:
            out.append("^" + chr(c + 0x40) if c != 0x7F else "^?")
        elif c >= 0x80:
            out.append(f"<{c:02X}>")
        else:
            out.append(chr(c))
    return "".join(out)[:256]


def format_readelf(elf: ElfSymbols, keep: Callable[[Symbol], bool] | None = None) -> str:
    """The text readelf --dyn-syms -W prints for this file (no ``File:`` line).

    With ``keep``, only the lines of the symbols it accepts (numbers and heading unchanged).
    """
    if elf.symbols_from != "sections":  # readelf --dyn-syms reads only the section headers
        return ""
    symbols = elf.symbols if keep is None else [s for s in elf.symbols if keep(s)]
    lines = _heading(elf)
    lines += _symbol_lines(elf, symbols)
    return "\n".join(lines) + "\n"


def _heading(elf: ElfSymbols) -> list[str]:
    """The blank line, the table's title and the column names."""
    n = len(elf.symbols)
    title = (f"\nSymbol table '{_section_label(elf.dynsym_name)}' contains {n} "
             f"{'entry' if n == 1 else 'entries'}:")
    if elf.header.elf_class == 64:
        return [title, "   Num:    Value          Size Type    Bind   Vis      Ndx Name"]
    return [title, "   Num:    Value  Size Type    Bind   Vis      Ndx Name"]


def _symbol_lines(elf: ElfSymbols, symbols: Sequence[Symbol]) -> list[str]:
    """One line per symbol: the hot loop of `scan --format readelf`.

    A file has few distinct (st_info, st_other, st_shndx) triples and versions, so their
    columns are formatted once each; the symbols are tuples, and unpacking them beats
    attribute access.
    """
    h = elf.header
    machine, osabi, shnum, sections = h.machine, h.osabi, len(elf.sections), elf.sections
    # print_vma: LONG_HEX for the value; DEC_5 for the size, which turns to 0x%x above 99999.
    if h.elf_class == 64:
        line, line_big = "%6d: %016x %5d %s %s", "%6d: %016x 0x%x %s %s"
    else:
        line, line_big = "%6d: %08x %5d %s %s", "%6d: %08x 0x%x %s %s"
    middles: dict[tuple[int, int, int], str] = {}
    suffixes: dict[SymbolVersion, tuple[str, str | None]] = {}
    lines: list[str] = []
    append = lines.append
    for index, name, value, size, info, other, shndx, version in symbols:
        key = (info, other, shndx)
        middle = middles.get(key)
        if middle is None:
            middle = middles[key] = _middle(info, other, shndx, machine, osabi, shnum)
        if not name and info & 0xF == C.STT_SECTION and shndx < shnum:
            name = sections[shndx].name
        if version is None:
            label = name
        else:
            suffix = suffixes.get(version)
            if suffix is None:
                suffix = suffixes[version] = _version_suffix(version)
            label = name if name == suffix[1] else name + suffix[0]
        if not label.isprintable():
            label = _printable(label)
        append((line if size <= 99999 else line_big) % (index, value, size, middle, label))
    return lines


def _middle(info: int, other: int, shndx: int, machine: int, osabi: int, shnum: int) -> str:
    """The Type, Bind, Vis and Ndx columns."""
    if osabi == C.ELFOSABI_SOLARIS:
        vis = _SOLARIS_VIS.get(other, "<unknown>")
    else:
        vis = _VIS[other & 3]
        if other & ~3:
            vis = f"{vis:<7} [{_other_name(other & ~3, machine)}] "
    return "%-7s %-6s %-7s %4s" % (
        _type_name(info & 0xF, machine, osabi), _bind_name(info >> 4, osabi), vis,
        _index_name(shndx, machine, shnum),
    )


def _version_suffix(version: SymbolVersion) -> tuple[str, str | None]:
    """What follows the name (``@@V``, ``@V``, ``@V (index)`` for a needed version), and the
    name printed bare: a version node's marker, whose name is the node's own."""
    vindex, vname, hidden, needed_from = version
    if needed_from is not None:
        return f"@{vname} ({vindex})", None
    return ("@" if hidden else "@@") + vname, vname
