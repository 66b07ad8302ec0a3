"""The ELF reader: bytes in, immutable records out. No printing, no glibc knowledge."""

from .errors import ElfError
from .model import (
    Dynamic,
    DynamicEntry,
    ElfHeader,
    ElfSymbols,
    Relocation,
    Section,
    Segment,
    Symbol,
    SymbolVersion,
    VersionDef,
    VersionNeed,
    VersionNeedAux,
)
from .reader import (
    read_elf,
    read_elf_bytes,
    read_header,
    read_static_symbols,
    read_static_symbols_and_sections,
)

__all__ = [
    "Dynamic", "DynamicEntry", "ElfError", "ElfHeader", "ElfSymbols", "Relocation", "Section",
    "Segment", "Symbol", "SymbolVersion", "VersionDef", "VersionNeed", "VersionNeedAux",
    "read_elf", "read_elf_bytes", "read_header", "read_static_symbols",
    "read_static_symbols_and_sections",
]
