"""Parse the dynamic-linking data of an ELF file: bytes in, records out.

Every offset, size and count read from the file is checked against the file before it is used,
so a corrupt or hostile file gives one `ElfError` and never a hang, a huge allocation or another
exception. Only the regions that are needed are copied out of the mapping.
"""

from __future__ import annotations

import _struct as struct  # the C module itself: struct.py only re-exports it (~0.2 ms a start)
import gc
import mmap
import os
import stat
import sys
from itertools import repeat

from . import constants as C
from .errors import ElfError
from .model import (
    Dynamic,
    DynamicEntry,
    ElfHeader,
    ElfSymbols,
    Relocations,
    Section,
    Segment,
    Symbol,
    SymbolVersion,
    VersionDef,
    VersionNeed,
    VersionNeedAux,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from array import array
    from collections.abc import Iterator
    from typing import Literal

# Records built by position, without a call of Record.__new__ (benchmarks/run.py --only
# inprocess): the symbols of `_build_symbols` 0.65 ms of 2.55 on libc.so.6; the others 5-13% of
# a small library's parse (libpthread, librt, libdl: 0.01-0.03 ms of ~0.2 ms).
_new = tuple.__new__

# What decoding raises only through a bug of ours (every read is bounds-checked first). The C
# module defines `error`; typeshed declares it in struct.pyi only.
_BUGS = (
    struct.error,  # type: ignore[attr-defined]
    IndexError, KeyError, ValueError, OverflowError, MemoryError,
)

INTERNAL_ERROR = "elfdce could not parse this file (internal error, please report it)"


class _Layout:
    """Struct formats for one ELF class and byte order."""

    __slots__ = (
        "bo", "is64", "ehdr", "shdr", "phdr", "dyn", "sym", "rel", "rela", "word", "half",
        "shdr_size", "phdr_size", "dyn_size", "sym_size", "rel_size", "rela_size", "addr_size",
        "sym_columns",
    )

    def __init__(self, is64: bool, little: bool) -> None:
        bo = "<" if little else ">"
        self.bo = bo
        self.is64 = is64
        if is64:
            self.ehdr = struct.Struct(bo + "HHIQQQIHHHHHH")
            self.shdr = struct.Struct(bo + "IIQQQQIIQQ")
            self.phdr = struct.Struct(bo + "IIQQQQQQ")  # type flags offset vaddr paddr filesz memsz align
            self.dyn = struct.Struct(bo + "qQ")
            self.sym = struct.Struct(bo + "IBBHQQ")  # name info other shndx value size
            self.rel = struct.Struct(bo + "QQ")
            self.rela = struct.Struct(bo + "QQq")
            self.addr_size = 8
            # (code, first, step) of name, value, size, info, other, shndx in a 24-byte entry
            self.sym_columns: tuple[tuple[Literal["B", "H", "I", "Q"], int, int], ...] = (
                ("I", 0, 6), ("Q", 1, 3), ("Q", 2, 3), ("B", 4, 24), ("B", 5, 24), ("H", 3, 12))
        else:
            self.ehdr = struct.Struct(bo + "HHIIIIIHHHHHH")
            self.shdr = struct.Struct(bo + "IIIIIIIIII")
            self.phdr = struct.Struct(bo + "IIIIIIII")  # type offset vaddr paddr filesz memsz flags align
            self.dyn = struct.Struct(bo + "iI")
            self.sym = struct.Struct(bo + "IIIBBH")  # name value size info other shndx
            self.rel = struct.Struct(bo + "II")
            self.rela = struct.Struct(bo + "IIi")
            self.addr_size = 4
            self.sym_columns = (("I", 0, 4), ("I", 1, 4), ("I", 2, 4), ("B", 12, 16),
                                ("B", 13, 16), ("H", 7, 8))  # of a 16-byte entry
        self.word = struct.Struct(bo + "I")
        self.half = struct.Struct(bo + "H")
        self.shdr_size = self.shdr.size
        self.phdr_size = self.phdr.size
        self.dyn_size = self.dyn.size
        self.sym_size = self.sym.size
        self.rel_size = self.rel.size
        self.rela_size = self.rela.size


_LAYOUTS: dict[tuple[bool, bool], _Layout] = {}


def _layout(is64: bool, little: bool) -> _Layout:
    key = (is64, little)
    lay = _LAYOUTS.get(key)
    if lay is None:
        lay = _LAYOUTS[key] = _Layout(is64, little)
    return lay


class _File:
    """A mapped file and the checks every read goes through."""

    __slots__ = ("path", "data", "size")

    def __init__(self, path: str, data: bytes | mmap.mmap, size: int) -> None:
        self.path = path
        self.data = data
        self.size = size

    def fail(self, problem: str) -> ElfError:
        return ElfError(self.path, problem)

    def close(self) -> None:
        """Unmap the file (bytes read instead of mapped need nothing)."""
        if isinstance(self.data, mmap.mmap):
            self.data.close()

    def check(self, offset: int, size: int, what: str) -> None:
        if offset < 0 or size < 0 or offset + size > self.size:
            raise self.fail(
                f"{what} (offset {offset:#x}, size {size:#x}) runs past the end of the file "
                f"({self.size:#x} bytes)"
            )

    def bytes_at(self, offset: int, size: int, what: str) -> bytes:
        self.check(offset, size, what)
        return self.data[offset : offset + size]


READ_LIMIT = 256 << 20  # bytes read when a file cannot be mapped


def _open(path: str) -> _File:
    """Map ``path`` read-only; only regular files, so a FIFO or device can never block us."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ElfError(path, "no such file") from None
    except PermissionError:
        raise ElfError(path, "permission denied") from None
    except OSError as exc:
        raise ElfError(path, f"cannot open: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ElfError(path, "is a directory, not an ELF file")
        if not stat.S_ISREG(st.st_mode):
            raise ElfError(path, "not a regular file")
        size = st.st_size
        if size == 0:
            raise ElfError(path, "empty file, not an ELF file")
        try:
            data: bytes | mmap.mmap = mmap.mmap(fd, 0, prot=mmap.PROT_READ)
        except (OSError, ValueError) as exc:
            # no mapping (an address-space limit, a file system without mmap): read it, but
            # only a size a real library has, not a crafted sparse giant
            if size > READ_LIMIT:
                raise ElfError(path, f"cannot be mapped ({getattr(exc, 'strerror', None) or exc}) "
                               f"and is too large to read ({size} bytes)") from None
            data = os.read(fd, size)
            size = len(data)
        return _File(path, data, size)
    finally:
        os.close(fd)


def read_elf(path: str | os.PathLike[str], *, relocations: bool = True) -> ElfSymbols:
    """Read the dynamic symbols, versions, dynamic section and headers of the ELF file ``path``.

    ``relocations=False`` skips decoding the dynamic relocations (the result then holds None).
    Raises `ElfError` (naming the file and the problem) for anything that is not a readable ELF.
    """
    f = _open(os.fsdecode(path))
    try:
        return _parse(f, relocations)
    finally:
        f.close()


def read_elf_bytes(data: bytes, path: str = "<bytes>", *, relocations: bool = True) -> ElfSymbols:
    """`read_elf` for an image already in memory; ``path`` only names it in errors and results."""
    if not data:
        raise ElfError(path, "empty file, not an ELF file")
    return _parse(_File(path, bytes(data), len(data)), relocations)


def read_header(path: str | os.PathLike[str]) -> ElfHeader:
    """The ELF header of ``path`` alone (class, encoding, type, machine…), without parsing the
    rest: what choosing among files by architecture needs. Raises `ElfError` like `read_elf`."""
    f = _open(os.fsdecode(path))
    try:
        return _Parser(f)._header()
    finally:
        f.close()


def read_static_symbols(path: str | os.PathLike[str]) -> tuple[Symbol, ...]:
    """The symbols of ``path``'s ``.symtab`` (SHT_SYMTAB, the link-time table a stripped file
    lacks), unversioned; empty when there is none. Raises `ElfError` like `read_elf`."""
    return read_static_symbols_and_sections(path)[0]


def read_static_symbols_and_sections(
        path: str | os.PathLike[str]) -> tuple[tuple[Symbol, ...], tuple[Section, ...]]:
    """`read_static_symbols`, with the file's section headers (a symbol's ``shndx`` indexes
    them)."""
    f = _open(os.fsdecode(path))
    try:
        p = _Parser(f)
        h = p.header = p._header()
        p.sections = p._sections(h)
        symtab = next((s for s in p.sections if s.type == C.SHT_SYMTAB), None)
        if symtab is None:
            return (), tuple(p.sections)
        if symtab.entsize not in (0, p.lay.sym_size) or symtab.size % p.lay.sym_size:
            raise f.fail(f"{symtab.name}: entry size {symtab.entsize}, size {symtab.size:#x}")
        data = p._section_bytes(symtab, "symbol table")
        strtab = p._section_bytes(p._linked(symtab), "string table")
        symbols = p._build_symbols(data, len(data) // p.lay.sym_size, strtab, None, (), ())
        return symbols, tuple(p.sections)
    except _BUGS as exc:
        raise f.fail(f"{INTERNAL_ERROR} ({type(exc).__name__}: {exc})") from None
    finally:
        f.close()


def _parse(f: _File, relocations: bool) -> ElfSymbols:
    # The parse allocates thousands of small acyclic tuples; pausing the cyclic collector
    # meanwhile (its passes find nothing here) saves ~0.34 ms of ~2.15 ms on libc.so.6 and
    # ~0.87 ms of ~5.5 ms on libstdc++ (benchmarks/run.py --only inprocess).
    collecting = gc.isenabled()
    if collecting:
        gc.disable()
    try:
        return _Parser(f).parse(relocations)
    except _BUGS as exc:
        # Every read is bounds-checked first, so this is a bug of ours: still one clean line for
        # the user, and the fuzz tests fail on this wording.
        raise f.fail(f"{INTERNAL_ERROR} ({type(exc).__name__}: {exc})") from None
    finally:
        if collecting:
            gc.enable()


class _Parser:
    # tags: the first value of each dynamic tag, for every lookup after `_dynamic` built it
    __slots__ = ("f", "lay", "header", "sections", "segments", "tags")

    def __init__(self, f: _File) -> None:
        self.f = f

    # -- headers ---------------------------------------------------------------------------

    def parse(self, want_relocations: bool) -> ElfSymbols:
        f = self.f
        header = self.header = self._header()
        sections = self.sections = self._sections(header)
        segments = self.segments = self._segments(header)  # PN_XNUM needs the sections
        dynamic, dynstr_for_dynamic = self._dynamic()
        symbols: tuple[Symbol, ...] = ()
        verdefs: tuple[VersionDef, ...] = ()
        verneeds: tuple[VersionNeed, ...] = ()
        dynsym_name = ""
        if sections:
            source = "none"
            dynsym = next((s for s in sections if s.type == C.SHT_DYNSYM), None)
            if dynsym is not None:
                source = "sections"
                dynsym_name = dynsym.name
                symbols, verdefs, verneeds = self._symbols_from_sections(dynsym)
        elif C.DT_SYMTAB in self.tags:
            source = "dynamic"
            symbols, verdefs, verneeds = self._symbols_from_dynamic(dynstr_for_dynamic)
        else:
            source = "none"
        relocs = None
        if want_relocations:
            relocs = self._relocations(len(symbols))
        return _new(ElfSymbols, (
            f.path, header, sections, segments, dynamic, symbols, verdefs, verneeds, relocs,
            source, dynsym_name,
        ))

    def _header(self) -> ElfHeader:
        f = self.f
        ident = f.data[:16]
        if len(ident) < 4 or ident[:4] != C.ELFMAG:
            raise f.fail("not an ELF file (no \\x7fELF magic)")
        if len(ident) < 16:
            raise f.fail(f"truncated ELF identification ({f.size} bytes)")
        ei_class, ei_data = ident[4], ident[5]
        if ei_class not in (C.ELFCLASS32, C.ELFCLASS64):
            raise f.fail(f"unknown ELF class {ei_class}")
        if ei_data not in (C.ELFDATA2LSB, C.ELFDATA2MSB):
            raise f.fail(f"unknown ELF data encoding {ei_data}")
        lay = self.lay = _layout(ei_class == C.ELFCLASS64, ei_data == C.ELFDATA2LSB)
        f.check(16, lay.ehdr.size, "ELF header")
        (e_type, e_machine, e_version, e_entry, e_phoff, e_shoff, e_flags, e_ehsize,
         e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx) = lay.ehdr.unpack_from(f.data, 16)
        return _new(ElfHeader, (
            64 if lay.is64 else 32, ei_data == C.ELFDATA2LSB, ident[7], ident[8], e_type,
            e_machine, e_version, e_entry, e_phoff, e_shoff, e_flags, e_ehsize, e_phentsize,
            e_phnum, e_shentsize, e_shnum, e_shstrndx,
        ))

    def _sections(self, h: ElfHeader) -> tuple[Section, ...]:
        f, lay = self.f, self.lay
        if h.shoff == 0:
            return ()
        if h.shentsize != lay.shdr_size:
            raise f.fail(f"section header size {h.shentsize} (expected {lay.shdr_size})")
        count = h.shnum
        f.check(h.shoff, lay.shdr_size, "section header table")
        first = lay.shdr.unpack_from(f.data, h.shoff)
        if count == 0:  # extended numbering: the count is in section 0's sh_size
            count = first[5]
        if count == 0:
            return ()
        if count > (f.size - h.shoff) // lay.shdr_size:
            raise f.fail(
                f"section header table ({count} entries at offset {h.shoff:#x}) runs past the "
                f"end of the file ({f.size:#x} bytes)"
            )
        raw = [lay.shdr.unpack_from(f.data, h.shoff + i * lay.shdr_size) for i in range(count)]
        shstrndx = h.shstrndx
        if shstrndx == C.SHN_XINDEX:
            shstrndx = first[6]
        names: bytes = b""
        if shstrndx != C.SHN_UNDEF:
            if shstrndx >= count:
                raise f.fail(f"section name table index {shstrndx} out of range ({count} sections)")
            s = raw[shstrndx]
            if s[1] != C.SHT_NOBITS:
                names = f.bytes_at(s[4], s[5], "section name table")
        out = []
        decoded: dict[int, str] = {}  # one decode per offset, however many sections share it
        for i, (name, typ, flags, addr, off, size, link, info, align, entsize) in enumerate(raw):
            text = decoded.get(name)
            if text is None:
                text = decoded[name] = _cstr_or_empty(names, name)
            out.append(
                _new(Section, (i, text, typ, flags, addr, off, size, link, info, align, entsize))
            )
        return tuple(out)

    def _segments(self, h: ElfHeader) -> tuple[Segment, ...]:
        f, lay = self.f, self.lay
        count = h.phnum
        if h.phoff == 0 or count == 0:
            return ()
        if count == C.PN_XNUM and self.sections:  # the count is in section 0's sh_info
            count = self.sections[0].info
        if h.phentsize != lay.phdr_size:
            raise f.fail(f"program header size {h.phentsize} (expected {lay.phdr_size})")
        f.check(h.phoff, count * lay.phdr_size, f"program header table ({count} entries)")
        out = []
        for i in range(count):
            p = lay.phdr.unpack_from(f.data, h.phoff + i * lay.phdr_size)
            if lay.is64:
                typ, flags, off, vaddr, paddr, filesz, memsz, align = p
            else:
                typ, off, vaddr, paddr, filesz, memsz, flags, align = p
            out.append(_new(Segment, (typ, flags, off, vaddr, paddr, filesz, memsz, align)))
        return tuple(out)

    def _vaddr_to_offset(self, addr: int, what: str) -> int:
        for p in self.segments:
            if p.type == C.PT_LOAD and p.vaddr <= addr < p.vaddr + p.filesz:
                return p.offset + (addr - p.vaddr)
        raise self.f.fail(f"{what} address {addr:#x} is not in any loadable segment")

    def _section_bytes(self, sec: Section, what: str) -> bytes:
        if sec.type == C.SHT_NOBITS:
            raise self.f.fail(f"{what} section {sec.name or sec.index} has no data (SHT_NOBITS)")
        return self.f.bytes_at(sec.offset, sec.size, f"{what} section {sec.name or sec.index}")

    def _linked(self, sec: Section) -> Section:
        if not 0 < sec.link < len(self.sections):
            raise self.f.fail(f"{sec.name or sec.index}: sh_link {sec.link} names no section")
        return self.sections[sec.link]

    # -- dynamic section -------------------------------------------------------------------

    def _dynamic(self) -> tuple[Dynamic | None, bytes | None]:
        """Entries from PT_DYNAMIC (what the loader reads), else from the SHT_DYNAMIC section."""
        f, lay = self.f, self.lay
        tags: dict[int, int] = {}
        self.tags = tags
        pt = next((p for p in self.segments if p.type == C.PT_DYNAMIC), None)
        sec = next((s for s in self.sections if s.type == C.SHT_DYNAMIC), None)
        if pt is not None:
            off, size = pt.offset, pt.filesz
        elif sec is not None:
            if sec.type == C.SHT_NOBITS:
                return None, None
            off, size = sec.offset, sec.size
        else:
            return None, None
        f.check(off, size, "dynamic section")
        entries = []
        n = size // lay.dyn_size
        for i in range(n):
            tag, val = lay.dyn.unpack_from(f.data, off + i * lay.dyn_size)
            entries.append(_new(DynamicEntry, (tag, val)))
            tags.setdefault(tag, val)
            if tag == C.DT_NULL:
                break
        strtab: bytes | None = None
        if sec is not None and sec.type == C.SHT_DYNAMIC and 0 < sec.link < len(self.sections):
            link = self.sections[sec.link]
            if link.type == C.SHT_STRTAB:
                strtab = self._section_bytes(link, "dynamic string table")
        if strtab is None and C.DT_STRTAB in tags and C.DT_STRSZ in tags:
            soff = self._vaddr_to_offset(tags[C.DT_STRTAB], "DT_STRTAB")
            strtab = f.bytes_at(soff, tags[C.DT_STRSZ], "dynamic string table (DT_STRSZ)")

        strings = None if strtab is None else _StringCache(f, strtab, "dynamic string table")

        def string(tag: int, value: int) -> str:
            if strings is None:
                raise f.fail(f"DT_{C.DT_NAMES.get(tag, tag)} without a string table")
            return strings.get(value)

        needed = tuple(string(e.tag, e.value) for e in entries if e.tag == C.DT_NEEDED)
        soname = string(C.DT_SONAME, tags[C.DT_SONAME]) if C.DT_SONAME in tags else None
        rpath = string(C.DT_RPATH, tags[C.DT_RPATH]) if C.DT_RPATH in tags else None
        runpath = string(C.DT_RUNPATH, tags[C.DT_RUNPATH]) if C.DT_RUNPATH in tags else None
        dyn = _new(Dynamic, (tuple(entries), soname, needed, rpath, runpath,
                             tags.get(C.DT_FLAGS, 0), tags.get(C.DT_FLAGS_1, 0)))
        return dyn, strtab

    # -- symbols ---------------------------------------------------------------------------

    def _symbols_from_sections(
        self, dynsym: Section
    ) -> tuple[tuple[Symbol, ...], tuple[VersionDef, ...], tuple[VersionNeed, ...]]:
        f, lay = self.f, self.lay
        if dynsym.entsize not in (0, lay.sym_size):
            raise f.fail(f"{dynsym.name}: sh_entsize {dynsym.entsize} (expected {lay.sym_size})")
        if dynsym.size % lay.sym_size:
            raise f.fail(f"{dynsym.name}: size {dynsym.size:#x} is not a multiple of {lay.sym_size}")
        # what the file holds first, then the ceiling, both before reading what it claims
        if dynsym.type != C.SHT_NOBITS:
            f.check(dynsym.offset, dynsym.size, f"dynamic symbol section {dynsym.name or dynsym.index}")
        self._check_count(dynsym.size // lay.sym_size)
        symdata = self._section_bytes(dynsym, "dynamic symbol")
        strtab = self._section_bytes(self._linked(dynsym), "dynamic string table")
        count = len(symdata) // lay.sym_size
        versym = None
        verdefs: tuple[VersionDef, ...] = ()
        verneeds: tuple[VersionNeed, ...] = ()
        for s in self.sections:
            if s.type == C.SHT_GNU_VERSYM and versym is None:
                data = self._section_bytes(s, "symbol version")
                if len(data) < 2 * count:
                    raise f.fail(
                        f"{s.name}: {len(data) // 2} version entries for {count} dynamic symbols"
                    )
                versym = struct.unpack(f"{lay.bo}{count}H", data[: 2 * count])
            elif s.type == C.SHT_GNU_VERDEF and not verdefs:
                vstr = self._section_bytes(self._linked(s), "version string table")
                verdefs = self._verdefs(s.offset, s.offset + s.size, s.info, vstr, s.name)
            elif s.type == C.SHT_GNU_VERNEED and not verneeds:
                vstr = self._section_bytes(self._linked(s), "version string table")
                verneeds = self._verneeds(s.offset, s.offset + s.size, s.info, vstr, s.name)
        return self._build_symbols(symdata, count, strtab, versym, verdefs, verneeds), verdefs, verneeds

    def _symbols_from_dynamic(
        self, strtab: bytes | None
    ) -> tuple[tuple[Symbol, ...], tuple[VersionDef, ...], tuple[VersionNeed, ...]]:
        """No section headers: find everything through the dynamic entries, as ld.so does."""
        f, lay, tags = self.f, self.lay, self.tags
        if strtab is None:
            raise f.fail("DT_SYMTAB without DT_STRTAB/DT_STRSZ")
        syment = tags.get(C.DT_SYMENT, lay.sym_size)
        if syment != lay.sym_size:
            raise f.fail(f"DT_SYMENT {syment} (expected {lay.sym_size})")
        symoff = self._vaddr_to_offset(tags[C.DT_SYMTAB], "DT_SYMTAB")
        count = self._check_count(self._symbol_count(tags))
        symdata = f.bytes_at(symoff, count * lay.sym_size, f"dynamic symbol table ({count} entries)")
        versym = None
        if C.DT_VERSYM in tags:
            off = self._vaddr_to_offset(tags[C.DT_VERSYM], "DT_VERSYM")
            versym = struct.unpack(f"{lay.bo}{count}H", f.bytes_at(off, 2 * count, "DT_VERSYM table"))
        verdefs: tuple[VersionDef, ...] = ()
        verneeds: tuple[VersionNeed, ...] = ()
        if C.DT_VERDEF in tags:
            off = self._vaddr_to_offset(tags[C.DT_VERDEF], "DT_VERDEF")
            verdefs = self._verdefs(off, f.size, tags.get(C.DT_VERDEFNUM, 0), strtab, "DT_VERDEF")
        if C.DT_VERNEED in tags:
            off = self._vaddr_to_offset(tags[C.DT_VERNEED], "DT_VERNEED")
            verneeds = self._verneeds(off, f.size, tags.get(C.DT_VERNEEDNUM, 0), strtab, "DT_VERNEED")
        return self._build_symbols(symdata, count, strtab, versym, verdefs, verneeds), verdefs, verneeds

    def _check_count(self, count: int) -> int:
        """``count``, unless it is over the ceiling on dynamic symbols (ELFDCE_MAX_SYMBOLS)."""
        limit = _limit("ELFDCE_MAX_SYMBOLS", DEFAULT_MAX_SYMBOLS)
        if count > limit:
            raise self.f.fail(f"{count} dynamic symbols: more than the {limit} elfdce reads "
                              "(set ELFDCE_MAX_SYMBOLS to read it anyway)")
        return count

    def _symbol_count(self, tags: dict[int, int]) -> int:
        """The number of dynamic symbols, from DT_GNU_HASH, DT_HASH or DT_MIPS_SYMTABNO."""
        f, lay = self.f, self.lay
        if C.DT_GNU_HASH in tags:
            off = self._vaddr_to_offset(tags[C.DT_GNU_HASH], "DT_GNU_HASH")
            f.check(off, 16, "DT_GNU_HASH header")
            nbuckets, symoffset, bloom_size, _shift = struct.unpack_from(lay.bo + "4I", f.data, off)
            buckets_off = off + 16 + bloom_size * lay.addr_size
            f.check(buckets_off, 4 * nbuckets, "DT_GNU_HASH buckets")
            buckets = struct.unpack_from(f"{lay.bo}{nbuckets}I", f.data, buckets_off)
            last = max(buckets, default=0)
            if last < symoffset:
                return symoffset
            # The chain of the highest bucket ends (low bit set) at the last symbol.
            pos = buckets_off + 4 * nbuckets + 4 * (last - symoffset)
            i = last
            while True:
                n = min(4096, (f.size - pos) // 4)
                if n <= 0:
                    raise f.fail("DT_GNU_HASH chain runs past the end of the file")
                for value in struct.unpack_from(f"{lay.bo}{n}I", f.data, pos):
                    if value & 1:
                        return i + 1
                    i += 1
                pos += 4 * n
        if C.DT_HASH in tags:
            off = self._vaddr_to_offset(tags[C.DT_HASH], "DT_HASH")
            # nbucket, nchain: 32-bit words, but 64-bit on 64-bit s390 and on Alpha (binutils'
            # hash_entry_size; glibc's Elf_Symndx)
            if lay.is64 and self.header.machine in (C.EM_S390, C.EM_ALPHA):
                f.check(off, 16, "DT_HASH header")
                return struct.unpack_from(lay.bo + "Q", f.data, off + 8)[0]
            f.check(off, 8, "DT_HASH header")
            return lay.word.unpack_from(f.data, off + 4)[0]
        if C.DT_MIPS_SYMTABNO in tags and self.header.machine == C.EM_MIPS:
            return tags[C.DT_MIPS_SYMTABNO]
        raise f.fail("no section headers and no DT_GNU_HASH/DT_HASH to count the dynamic symbols")

    def _chain(
        self, first: int, start: int, end: int, count: int, st: struct.Struct, what: str,
        budget: list[int],
    ) -> Iterator[tuple[int, tuple[int, ...]]]:
        """(offset, fields) of the entries of a verdef/verdaux/verneed/vernaux chain.

        Each entry's last field is the byte distance to the next; 0 ends the chain. Distances are
        unsigned, so offsets only grow and a chain cannot loop here (it can in a reader with
        wrapping 32-bit pointers); ``count`` bounds the walk and every entry is bounds-checked.
        ``budget`` (one for all the aux chains of a section) bounds the entries walked in all:
        definitions may share verdaux entries (lld writes such files), but many sharing one long
        chain would cost count x length.
        """
        off = first
        for i in range(count):
            if off < start or off + st.size > end:
                raise self.f.fail(f"{what} {i} at {off:#x} is outside the section")
            budget[0] -= 1
            if budget[0] < 0:
                raise self.f.fail(f"{what} chains share entries beyond what the section holds")
            fields = st.unpack_from(self.f.data, off)
            yield off, fields
            if fields[-1] == 0:
                return
            off += fields[-1]

    def _verdefs(
        self, start: int, end: int, count: int, strtab: bytes, what: str
    ) -> tuple[VersionDef, ...]:
        f, bo = self.f, self.lay.bo
        vd = struct.Struct(bo + "HHHHIII")  # version flags ndx cnt hash aux next
        vda = struct.Struct(bo + "II")  # name next
        end = min(end, f.size)
        if count > (end - start) // vd.size:
            raise f.fail(f"{what}: {count} version definitions cannot fit in {end - start} bytes")
        out = []
        budget = [(end - start) // vda.size + count]
        names_at = _StringCache(f, strtab, f"{what} names")
        for off, (_ver, flags, ndx, cnt, vhash, aux, _next) in self._chain(
            start, start, end, count, vd, f"{what}: version definition", [count]
        ):
            names = [
                names_at.get(name)
                for _, (name, _n) in self._chain(
                    off + aux, start, end, cnt, vda, f"{what}: verdaux", budget)
            ]
            if not names:
                raise f.fail(f"{what}: version definition at {off:#x} has no name (vd_cnt 0)")
            out.append(_new(VersionDef, (ndx, names[0], flags, tuple(names[1:]), vhash)))
        return tuple(out)

    def _verneeds(
        self, start: int, end: int, count: int, strtab: bytes, what: str
    ) -> tuple[VersionNeed, ...]:
        f, bo = self.f, self.lay.bo
        vn = struct.Struct(bo + "HHIII")  # version cnt file aux next
        vna = struct.Struct(bo + "IHHII")  # hash flags other name next
        end = min(end, f.size)
        if count > (end - start) // vn.size:
            raise f.fail(f"{what}: {count} version needs cannot fit in {end - start} bytes")
        out = []
        budget = [(end - start) // vna.size + count]
        names_at = _StringCache(f, strtab, f"{what} names")
        for off, (_ver, cnt, fname, aux, _next) in self._chain(
            start, start, end, count, vn, f"{what}: version need", [count]
        ):
            auxes = tuple(
                _new(VersionNeedAux, (other, names_at.get(name), flags, vhash))
                for _, (vhash, flags, other, name, _n) in self._chain(
                    off + aux, start, end, cnt, vna, f"{what}: vernaux", budget)
            )
            out.append(_new(VersionNeed, (names_at.get(fname), auxes)))
        return tuple(out)

    def _build_symbols(
        self,
        symdata: bytes,
        count: int,
        strtab: bytes,
        versym: tuple[int, ...] | None,
        verdefs: tuple[VersionDef, ...],
        verneeds: tuple[VersionNeed, ...],
    ) -> tuple[Symbol, ...]:
        if not count:
            return ()
        # Each field's column straight from the table's bytes (a strided view of them, copied
        # whole), no tuple per entry: over iter_unpack, 7-9% of the parse of libc.so.6 and
        # libstdc++ (--only inprocess), ~2% more of a small library's.
        view, bo = memoryview(symdata), self.lay.bo
        st_names, values, sizes, infos, others, shndxs = [
            struct.unpack(f"{bo}{count}{code}", view.cast(code)[first::step].tobytes())
            for code, first, step in self.lay.sym_columns
        ]
        names = self._symbol_names(st_names, strtab)
        versions = _symbol_versions(versym, shndxs, verdefs, verneeds)
        # By position (`_new`), from the columns, without a Python-level loop: 0.65 ms less of
        # 2.55 on libc.so.6, 1.4 of 6.4 on libstdc++ than through Symbol() (--only inprocess).
        return tuple(map(_new, repeat(Symbol), zip(
            range(count), names, values, sizes, infos, others, shndxs, versions)))

    def _symbol_names(self, offsets: tuple[int, ...], strtab: bytes) -> list[str]:
        """The names at ``offsets`` in the (dynamic) string table ``strtab``."""
        f = self.f
        text = strtab.decode("ascii") if strtab.isascii() else None
        if (
            text is not None
            and text.endswith("\0")
            and max(offsets) < len(text)
            # a hostile table could name one long string from every symbol: decode once then
            and len(offsets) * max(map(len, text.split("\0"))) <= max(64 << 20, 8 * f.size)
        ):
            # Every offset is inside a NUL-terminated table: find() cannot fail.
            find = text.find
            return [text[o : find("\0", o)] for o in offsets]
        return list(map(_StringCache(f, strtab, "dynamic string table").get, offsets))

    # -- relocations -----------------------------------------------------------------------

    def _relocations(self, nsyms: int) -> Relocations:
        """The dynamic relocations (DT_RELA, DT_REL, DT_JMPREL), decoded into columns."""
        from array import array  # here only: `scan` decodes no relocations, nor imports array

        f, lay = self.f, self.lay
        columns = (array("Q" if lay.is64 else "I"), array("I"), array("I"), array("q"))
        decode = self._decode_mips64 if lay.is64 and self.header.machine == C.EM_MIPS else \
            self._decode_columns
        index = []
        for table, kind, start, end in self._relocation_tables():
            st = lay.rela if kind == "rela" else lay.rel
            f.check(start, end - start, f"{table} relocation table")
            index.append((table, len(columns[0]), kind == "rela"))
            usable = (end - start) - (end - start) % st.size
            decode(table, kind == "rela", f.data[start : start + usable], nsyms, columns)
        return Relocations(index, *columns)

    def _relocation_tables(self) -> list[tuple[str, str, int, int]]:
        """(table, "rela" or "rel", start, end) of each table the dynamic entries name."""
        tags = self.tags
        tables = []
        jmprel = None
        if C.DT_JMPREL in tags and tags.get(C.DT_PLTRELSZ):
            start = self._vaddr_to_offset(tags[C.DT_JMPREL], "DT_JMPREL")
            jmprel = (start, start + tags[C.DT_PLTRELSZ])
        for tag, sz_tag, kind in ((C.DT_RELA, C.DT_RELASZ, "rela"), (C.DT_REL, C.DT_RELSZ, "rel")):
            if tag in tags and tags.get(sz_tag):
                start = self._vaddr_to_offset(tags[tag], f"DT_{C.DT_NAMES[tag]}")
                end = start + tags[sz_tag]
                if jmprel is not None and start <= jmprel[0] < end:
                    end = jmprel[0]  # some linkers make DT_RELASZ cover .rela.plt as well
                tables.append((kind, kind, start, end))
        if jmprel is not None:
            kind = "rela" if tags.get(C.DT_PLTREL, C.DT_RELA) == C.DT_RELA else "rel"
            tables.append(("jmprel", kind, jmprel[0], jmprel[1]))
        spans = sorted((start, end) for _, _, start, end in tables)
        for (_, end1), (start2, _) in zip(spans, spans[1:]):
            if start2 < end1:  # a table counted twice would be decoded twice
                raise self.f.fail("dynamic relocation tables overlap")
        return tables

    def _decode_columns(self, table: str, rela: bool, data: bytes, nsyms: int,
                        columns: tuple[array, array, array, array]) -> None:
        """Append a table's (offset, type, symbol, addend) columns: the words of the table as
        one array, sliced per field (r_info is sym << 32 | type, or sym << 8 | type in ELF32)."""
        lay = self.lay
        offsets, types, symbols, addends = columns
        array = type(offsets)  # array.array, which `_relocations` imported
        cols = 3 if rela else 2
        raw = array(offsets.typecode)
        raw.frombytes(data)
        if lay.bo != ("<" if sys.byteorder == "little" else ">"):
            raw.byteswap()
        info = raw[1::cols]
        shift, mask = (32, 0xFFFFFFFF) if lay.is64 else (8, 0xFF)
        syms = array("I", [i >> shift for i in info])
        bad = next((k for k, sym in enumerate(syms) if sym >= nsyms and sym), None)
        if bad is not None:
            raise self.f.fail(f"{table} relocation at {raw[bad * cols]:#x} names symbol "
                              f"{syms[bad]} of {nsyms}")
        offsets.extend(raw[0::cols])
        types.extend(array("I", [i & mask for i in info]))
        symbols.extend(syms)
        if rela:
            signed = array("q" if lay.is64 else "i")
            signed.frombytes(raw[2::cols].tobytes())
            addends.extend(signed if lay.is64 else array("q", signed))
        else:
            addends.extend(array("q", bytes(8 * len(info))))

    def _decode_mips64(self, table: str, rela: bool, data: bytes, nsyms: int,
                       columns: tuple[array, array, array, array]) -> None:
        """`_decode_columns` for MIPS64, whose r_info is not one number: a 32-bit symbol, then
        the ssym, type3, type2 and type bytes (in the file's byte order)."""
        bo: Literal["little", "big"] = "little" if self.lay.bo == "<" else "big"
        offsets, types, symbols, addends = columns
        for row in (self.lay.rela if rela else self.lay.rel).iter_unpack(data):
            r_offset, r_info = row[0], row[1]
            raw = r_info.to_bytes(8, bo)
            sym, rtype = int.from_bytes(raw[:4], bo), raw[7]
            if sym >= nsyms and sym:
                raise self.f.fail(f"{table} relocation at {r_offset:#x} names symbol {sym} of "
                                  f"{nsyms}")
            offsets.append(r_offset)
            types.append(rtype)
            symbols.append(sym)
            addends.append(row[2] if rela else 0)


# Ceilings on the work a file may ask for, beyond what its size allows: real libraries have
# tens of thousands of dynamic symbols (libstdc++ 6165) and names of a few MB in all. Raised
# through the environment, for the file that really needs more.
DEFAULT_MAX_SYMBOLS = 2_000_000
DEFAULT_MAX_NAME_BYTES = 256 << 20


def _limit(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value and value.isdigit() else default


class _StringCache:
    """Decoded strings by offset: a hostile table naming one long string many times costs its
    length once, not once per use; suffixes of one long string (distinct offsets) are bounded
    in total (ELFDCE_MAX_NAME_BYTES)."""

    __slots__ = ("f", "table", "what", "cache", "left")

    def __init__(self, f: _File, table: bytes, what: str) -> None:
        self.f, self.table, self.what = f, table, what
        self.cache: dict[int, str] = {}
        self.left = _limit("ELFDCE_MAX_NAME_BYTES", DEFAULT_MAX_NAME_BYTES)

    def get(self, offset: int) -> str:
        s = self.cache.get(offset)
        if s is None:
            s = self.cache[offset] = _cstr(self.f, self.table, offset, self.what)
            self.left -= len(s)
            if self.left < 0:
                raise self.f.fail(f"the names in the {self.what} add up to more than "
                                  f"{_limit('ELFDCE_MAX_NAME_BYTES', DEFAULT_MAX_NAME_BYTES)} "
                                  "bytes (set ELFDCE_MAX_NAME_BYTES to read it anyway)")
        return s


def _cstr(f: _File, table: bytes, offset: int, what: str) -> str:
    """The NUL-terminated string at ``offset``; non-UTF-8 bytes kept as surrogate escapes."""
    if offset >= len(table):
        raise f.fail(f"string offset {offset:#x} is past the end of the {what} ({len(table):#x} bytes)")
    end = table.find(b"\0", offset)
    if end < 0:
        raise f.fail(f"the string at {offset:#x} in the {what} has no terminating NUL")
    return table[offset:end].decode("utf-8", "surrogateescape")


def _cstr_or_empty(table: bytes, offset: int) -> str:
    if offset >= len(table):
        return ""
    end = table.find(b"\0", offset)
    return table[offset : end if end >= 0 else len(table)].decode("utf-8", "surrogateescape")


def _symbol_versions(
    versym: tuple[int, ...] | None, shndxs: tuple[int, ...], verdefs: tuple[VersionDef, ...],
    verneeds: tuple[VersionNeed, ...],
) -> list[SymbolVersion | None]:
    """Each symbol's version: one shared `SymbolVersion` per (versym value, defined?) pair, ~50
    in libc.so.6."""
    if versym is None:
        return [None] * len(shndxs)
    table = _VersionTable(verdefs, verneeds)
    values = set(versym)
    defined = {v: table.get(v, True) for v in values}
    undefined = {v: table.get(v, False) for v in values}  # st_shndx SHN_UNDEF: imports
    return [(defined if shndx else undefined)[v] for shndx, v in zip(shndxs, versym)]


class _VersionTable:
    """versym values to `SymbolVersion` records.

    Resolution follows binutils' get_symbol_version_string: a defined symbol's index is looked
    up among the version definitions first, then (for defined COPY-relocated data, and for
    imports) among the needed versions.
    """

    __slots__ = ("defs", "needs")

    def __init__(self, verdefs: tuple[VersionDef, ...], verneeds: tuple[VersionNeed, ...]) -> None:
        self.defs = {d.index: d.name for d in verdefs}
        self.needs = {a.index: (a.name, n.file) for n in verneeds for a in n.versions}

    def get(self, versym: int, defined: bool) -> SymbolVersion | None:
        index = versym & C.VERSYM_VERSION
        hidden = bool(versym & C.VERSYM_HIDDEN)
        if index <= C.VER_NDX_GLOBAL:
            return None
        if defined and index in self.defs:
            return _new(SymbolVersion, (index, self.defs[index], hidden, None))
        if index in self.needs:
            name, file = self.needs[index]
            return _new(SymbolVersion, (index, name, hidden, file))
        return None
