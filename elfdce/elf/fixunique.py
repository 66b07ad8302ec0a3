"""Minimal in-place edits of ELF files: a few bytes changed, every other byte kept.

`fix_unique`: ``.dynsym`` bindings STB_GNU_UNIQUE -> STB_GLOBAL (one ``st_info`` byte each).
ld.so keeps one definition of a unique symbol per namespace whatever RTLD_LOCAL or
RTLD_DEEPBIND say, so a second copy of libstdc++ in the simulator's namespace (DCE's loader)
shares the first copy's facet ids while numbering its other facets afresh (`cout << 42` fails).
"""

from __future__ import annotations


from .._record import Record
from . import constants as C
from .errors import ElfError
from .reader import read_elf


class UniqueFix(Record):
    """What `fix_unique` did: the symbols rebound and the file offsets of their st_info."""

    path: str
    output: str
    names: tuple[str, ...]
    offsets: tuple[int, ...]

    @property
    def changed(self) -> bool:
        return bool(self.offsets)


def _dynsym_offset(elf, path: str) -> tuple[int, int]:
    """(file offset, entry size) of the dynamic symbol table."""
    entsize = 24 if elf.is_64 else 16
    sec = next((s for s in elf.sections if s.type == C.SHT_DYNSYM), None)
    if sec is not None:
        return sec.offset, sec.entsize or entsize
    addr = elf.dynamic.get(C.DT_SYMTAB) if elf.dynamic is not None else None
    for seg in elf.segments:
        if addr is not None and seg.type == C.PT_LOAD and seg.vaddr <= addr < seg.vaddr + seg.filesz:
            return seg.offset + addr - seg.vaddr, entsize
    raise ElfError(path, "no dynamic symbol table")


def fix_unique(path: str, output: str | None = None) -> UniqueFix:
    """Write ``path`` with every STB_GNU_UNIQUE ``.dynsym`` binding made STB_GLOBAL to ``output``
    (``path`` itself when None, atomically). The copy is made without reading the file into
    memory (holes stay holes); idempotent."""
    elf = read_elf(path, relocations=False)
    output = output or path
    base, entsize = _dynsym_offset(elf, path)
    info_at = 4 if elf.is_64 else 12  # Elf64_Sym: st_name, st_info…; Elf32_Sym: …, st_size, st_info
    unique = [s for s in elf.symbols if s.bind == C.STB_GNU_UNIQUE]
    names = [s.name for s in unique]
    offsets = [base + s.index * entsize + info_at for s in unique]
    if not offsets and output == path:
        return UniqueFix(path, output, (), ())
    from ..fsutil import patched_copy

    edits = []
    with open(path, "rb") as f:
        for off, sym in zip(offsets, unique):
            f.seek(off)
            old = f.read(1)
            if not old or old[0] != sym.info:  # the reader and the bytes must agree
                raise ElfError(path, f"st_info of {sym.name} not found at offset {off:#x}")
            edits.append((off, bytes([(C.STB_GLOBAL << 4) | (sym.info & 0xF)])))
    patched_copy(path, output, edits)
    return UniqueFix(path, output, tuple(names), tuple(offsets))
