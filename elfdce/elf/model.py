"""The reader's results: immutable records, no printing, no glibc knowledge."""

from __future__ import annotations

from .._record import Record
from .constants import (
    COPY_AND_IRELATIVE,
    DF_1_PIE,
    ET_NAMES,
    MACHINE_NAMES,
    SHN_ABS,
    SHN_UNDEF,
    STB_LOCAL,
    STB_NAMES,
    STT_FUNC,
    STT_GNU_IFUNC,
    STT_NAMES,
    STT_OBJECT,
    STT_TLS,
    STV_DEFAULT,
    STV_NAMES,
    STV_PROTECTED,
    VER_FLG_BASE,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from array import array
    from collections.abc import Iterator


class ElfHeader(Record):
    """The ELF file header, with the e_ident fields unpacked."""

    elf_class: int  # 32 or 64
    little_endian: bool
    osabi: int
    abiversion: int
    type: int
    machine: int
    version: int
    entry: int
    phoff: int
    shoff: int
    flags: int
    ehsize: int
    phentsize: int
    phnum: int
    shentsize: int
    shnum: int
    shstrndx: int

    @property
    def is_64(self) -> bool:
        return self.elf_class == 64

    @property
    def endianness(self) -> str:
        return "little" if self.little_endian else "big"

    @property
    def machine_name(self) -> str:
        return MACHINE_NAMES.get(self.machine, f"machine {self.machine}")

    @property
    def type_name(self) -> str:
        return ET_NAMES.get(self.type, f"type {self.type:#x}")


class Section(Record):
    """One section header, with its name resolved (empty when there is no string table)."""

    index: int  # type: ignore[assignment]  # shadows tuple.index on purpose
    name: str
    type: int
    flags: int
    addr: int
    offset: int
    size: int
    link: int
    info: int
    addralign: int
    entsize: int


class Segment(Record):
    """One program header."""

    type: int
    flags: int
    offset: int
    vaddr: int
    paddr: int
    filesz: int
    memsz: int
    align: int


class DynamicEntry(Record):
    """One entry of the dynamic section."""

    tag: int
    value: int


class Dynamic(Record):
    """The dynamic section, with the string-valued entries resolved."""

    entries: tuple[DynamicEntry, ...]
    soname: str | None
    needed: tuple[str, ...]
    rpath: str | None
    runpath: str | None
    flags: int
    flags_1: int

    def get(self, tag: int) -> int | None:
        """The value of the first entry with ``tag``, or None."""
        for entry in self.entries:
            if entry.tag == tag:
                return entry.value
        return None

    def has(self, tag: int) -> bool:
        return any(entry.tag == tag for entry in self.entries)

    @property
    def is_pie_flagged(self) -> bool:
        """DF_1_PIE is set (glibc >= 2.30 then refuses to dlopen the file)."""
        return bool(self.flags_1 & DF_1_PIE)


class VersionDef(Record):
    """An entry of .gnu.version_d: a version node the file defines.

    ``parents`` are the names of the verdaux entries after the first (``} GLIBC_2.2.5;``).
    The entry with VER_FLG_BASE names the file itself and is not a version node.
    """

    index: int  # type: ignore[assignment]
    name: str
    flags: int
    parents: tuple[str, ...]
    hash: int

    @property
    def is_base(self) -> bool:
        return bool(self.flags & VER_FLG_BASE)


class VersionNeedAux(Record):
    """A version required from a file (a vernaux entry); ``index`` is vna_other."""

    index: int  # type: ignore[assignment]
    name: str
    flags: int
    hash: int


class VersionNeed(Record):
    """An entry of .gnu.version_r: the versions needed from one file."""

    file: str
    versions: tuple[VersionNeedAux, ...]


class SymbolVersion(Record):
    """The version attached to a symbol through .gnu.version.

    ``hidden`` is the 0x8000 bit: a non-default (compat) version, printed ``name@VER``; a
    default version prints ``name@@VER``. ``needed_from`` is the file named by the verneed entry
    when the version comes from .gnu.version_r (imports, and COPY-relocated data); None for a
    version the file defines itself.
    """

    index: int  # type: ignore[assignment]
    name: str
    hidden: bool
    needed_from: str | None

    @property
    def is_default(self) -> bool:
        return not self.hidden and self.needed_from is None


class Symbol(Record):
    """A dynamic symbol; ``version`` is None for unversioned symbols (versym 0 or 1)."""

    index: int  # type: ignore[assignment]
    name: str
    value: int
    size: int
    info: int
    other: int
    shndx: int
    version: SymbolVersion | None

    @property
    def type(self) -> int:
        return self.info & 0xF

    @property
    def bind(self) -> int:
        return self.info >> 4

    @property
    def visibility(self) -> int:
        return self.other & 0x3

    @property
    def type_name(self) -> str:
        return STT_NAMES.get(self.info & 0xF, str(self.info & 0xF))

    @property
    def bind_name(self) -> str:
        return STB_NAMES.get(self.info >> 4, str(self.info >> 4))

    @property
    def visibility_name(self) -> str:
        return STV_NAMES[self.other & 0x3]

    @property
    def is_defined(self) -> bool:
        return self.shndx != SHN_UNDEF

    @property
    def is_function(self) -> bool:
        return self.info & 0xF in (STT_FUNC, STT_GNU_IFUNC)

    @property
    def is_ifunc(self) -> bool:
        return self.info & 0xF == STT_GNU_IFUNC

    @property
    def is_tls(self) -> bool:
        return self.info & 0xF == STT_TLS

    @property
    def is_object(self) -> bool:
        return self.info & 0xF == STT_OBJECT

    @property
    def is_version_marker(self) -> bool:
        """The ABS symbol ld emits for each version node (``GLIBC_2.10@@GLIBC_2.10``)."""
        v = self.version
        return (
            self.shndx == SHN_ABS
            and self.value == 0
            and v is not None
            and v.needed_from is None
            and v.name == self.name
        )

    @property
    def is_export(self) -> bool:
        """Defined, visible to other objects, and not a version marker."""
        shndx = self.shndx
        return (
            shndx != SHN_UNDEF
            and self.info >> 4 != STB_LOCAL
            and self.other & 0x3 in (STV_DEFAULT, STV_PROTECTED)
            and not (shndx == SHN_ABS and self.is_version_marker)  # markers are ABS
        )

    @property
    def version_name(self) -> str | None:
        return None if self.version is None else self.version.name

    @property
    def is_default_version(self) -> bool | None:
        """True for ``@@``, False for ``@`` and for needed versions, None when unversioned."""
        return None if self.version is None else self.version.is_default

    @property
    def label(self) -> str:
        """``name@@VER``, ``name@VER`` or ``name``, as a linker or abilist spells the pair."""
        v = self.version
        if v is None:
            return self.name
        return f"{self.name}{'@' if v.hidden or v.needed_from else '@@'}{v.name}"


class Relocation(Record):
    """A dynamic relocation: its table, offset, type and symbol index (addend for RELA)."""

    table: str  # "rela", "rel" or "jmprel"
    offset: int
    type: int
    symbol_index: int
    addend: int | None


class Relocations:
    """The dynamic relocations of a file: a read-only sequence of `Relocation`, kept as arrays
    (about the size of the tables in the file; one record each would take about 8 times it)."""

    __slots__ = ("_tables", "_offsets", "_types", "_symbols", "_addends")

    def __init__(
        self, tables: list[tuple[str, int, bool]], offsets: array, types: array,
        symbols: array, addends: array,
    ) -> None:
        self._tables = tables  # (table name, index of its first entry, has addends), in order
        self._offsets, self._types, self._symbols, self._addends = offsets, types, symbols, addends

    def __len__(self) -> int:
        return len(self._offsets)

    def __getitem__(self, i: int) -> Relocation:
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("relocation index out of range")
        # the last table starting at or before i (three at most: no bisect, nor its import)
        table, _, rela = next(t for t in reversed(self._tables) if t[1] <= i)
        return Relocation(table, self._offsets[i], self._types[i], self._symbols[i],
                          self._addends[i] if rela else None)

    def __iter__(self) -> Iterator[Relocation]:
        return (self[i] for i in range(len(self)))

    def symbols_of_type(self, rtype: int) -> list[int]:
        """The symbol indexes of the relocations of type ``rtype`` (no records built)."""
        return [sym for t, sym in zip(self._types, self._symbols) if t == rtype]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Relocations) and list(self) == list(other)

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        names = ", ".join(t for t, _, _ in self._tables) or "no tables"
        return f"<Relocations: {len(self)} in {names}>"


class ElfSymbols(Record):
    """What `elfdce.scan` returns: the dynamic-linking view of one ELF file."""

    path: str
    header: ElfHeader
    sections: tuple[Section, ...]
    segments: tuple[Segment, ...]
    dynamic: Dynamic | None
    symbols: tuple[Symbol, ...]
    version_defs: tuple[VersionDef, ...]
    version_needs: tuple[VersionNeed, ...]
    relocations: Relocations | None  # None when not asked for
    symbols_from: str  # "sections" (.dynsym) or "dynamic" (PT_DYNAMIC fallback) or "none"
    dynsym_name: str  # the section name readelf prints, usually ".dynsym"

    @property
    def soname(self) -> str | None:
        return None if self.dynamic is None else self.dynamic.soname

    @property
    def needed(self) -> tuple[str, ...]:
        return () if self.dynamic is None else self.dynamic.needed

    @property
    def is_64(self) -> bool:
        return self.header.elf_class == 64

    @property
    def kind(self) -> str:
        """What the file is as DCE's loading sees it: a `elf.kind.Kind` (``"pie"``,
        ``"library"``, ``"static"`` …)."""
        from .kind import classify

        return classify(self)

    def defined(self) -> Iterator[Symbol]:
        """Defined symbols, version markers included."""
        return (s for s in self.symbols if s.shndx != SHN_UNDEF)

    def undefined(self) -> Iterator[Symbol]:
        """Imported symbols (st_shndx SHN_UNDEF), the null entry excluded."""
        return (s for s in self.symbols if s.shndx == SHN_UNDEF and s.index != 0)

    def copied(self) -> Iterator[Symbol]:
        """Symbols defined here at a version needed from another file: a program's copies of
        library data (its COPY relocations), which the loader binds like imports, looking past
        the program itself (glibc elf/dl-lookup.c, ELF_RTYPE_CLASS_COPY)."""
        return (s for s in self.symbols if s.shndx != SHN_UNDEF and s.version is not None
                and s.version.needed_from is not None)

    def exports(self) -> Iterator[Symbol]:
        """Defined, visible symbols other than version markers."""
        return (s for s in self.symbols if s.is_export)

    def version_nodes(self) -> tuple[VersionDef, ...]:
        """The version nodes the file defines (the VER_FLG_BASE entry left out)."""
        return tuple(v for v in self.version_defs if not v.is_base)

    def lookup(self, name: str, version: str | None = None) -> Symbol | None:
        """The definition of ``name`` at ``version``; without a version, its default-version
        (or unversioned) definition, so a name with compat versions only (glibc's
        ``__secure_getenv``) gives None unless its version is asked for. Where the file does
        not define it, its import of that name (at that version); else None."""
        imported = None
        for s in self.symbols:
            if s.name != name or (version is not None and s.version_name != version):
                continue
            if s.shndx == SHN_UNDEF:
                imported = imported or s
            elif version is not None or s.version is None or not s.version.hidden:
                return s
        return imported

    def section(self, name: str) -> Section | None:
        """The first section called ``name``, or None."""
        for s in self.sections:
            if s.name == name:
                return s
        return None

    def relocation_kind(self, reloc: Relocation) -> str | None:
        """"COPY" or "IRELATIVE" when ``reloc`` is one of those on this machine, else None."""
        kinds = COPY_AND_IRELATIVE.get(self.header.machine)
        if kinds is None:
            return None
        if reloc.type == kinds[0]:
            return "COPY"
        if reloc.type == kinds[1]:
            return "IRELATIVE"
        return None


__all__ = [
    "Dynamic", "DynamicEntry", "ElfHeader", "ElfSymbols", "Relocation", "Section", "Segment",
    "Symbol", "SymbolVersion", "VersionDef", "VersionNeed", "VersionNeedAux",
]
