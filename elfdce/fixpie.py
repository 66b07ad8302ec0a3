"""Clear DF_1_PIE so that glibc >= 2.30 dlopens a PIE (elf/dl-load.c refuses one that has it).

The smallest change that works: the value of the one DT_FLAGS_1 entry, in place; every other
byte of the file stays as it was (a general ELF writer would rewrite far more).
"""

from __future__ import annotations

import struct

from ._record import Record
from .elf import ElfError, read_elf
from .elf import constants as C


class PieFix(Record):
    """What `fix_pie` did: the file offset of the DT_FLAGS_1 value and its old and new value."""

    path: str
    output: str
    offset: int
    size: int  # 8 (ELF64) or 4 (ELF32)
    old: int
    new: int

    @property
    def changed(self) -> bool:
        return self.old != self.new


def fix_pie(path: str, output: str | None = None) -> PieFix:
    """Write ``path`` with DF_1_PIE cleared to ``output`` (``path`` itself when None).

    Idempotent: a PIE whose flag is already clear is written unchanged. Raises `ElfError` for a
    file that is not ELF, has no DT_FLAGS_1, or is not a PIE (an ET_EXEC, or a shared library).
    """
    elf = read_elf(path, relocations=False)
    output = output or path
    if elf.header.type != C.ET_DYN:
        raise ElfError(path, f"not a PIE: {elf.header.type_name} (only ET_DYN programs can be)")
    dyn_segment = next((p for p in elf.segments if p.type == C.PT_DYNAMIC), None)
    if elf.dynamic is None or dyn_segment is None:
        raise ElfError(path, "no dynamic section: nothing for dlopen to refuse")
    index = next((i for i, e in enumerate(elf.dynamic.entries) if e.tag == C.DT_FLAGS_1), None)
    if index is None:
        raise ElfError(path, "no DT_FLAGS_1 entry: DF_1_PIE is not set, dlopen accepts it as is")
    old = elf.dynamic.entries[index].value
    has_interp = any(p.type == C.PT_INTERP for p in elf.segments)
    if not old & C.DF_1_PIE and (not has_interp or elf.soname):
        # glibc's libc.so.6 has a PT_INTERP (it runs, printing its version) and, linked
        # BIND_NOW, a DT_FLAGS_1: its DT_SONAME says it is a library all the same
        why = "no PT_INTERP" if not has_interp else f"DT_SONAME {elf.soname}"
        raise ElfError(path, f"not a PIE: a shared library (no DF_1_PIE, {why})")
    size = 8 if elf.is_64 else 4
    offset = dyn_segment.offset + index * 2 * size + size  # d_tag, then d_val
    new = old & ~C.DF_1_PIE
    fmt = ("<" if elf.header.little_endian else ">") + ("Q" if size == 8 else "I")
    with open(path, "rb") as f:
        f.seek(offset)
        raw = f.read(size)
    if len(raw) != size or struct.unpack(fmt, raw)[0] != old:  # the reader and the bytes agree
        raise ElfError(path, f"DT_FLAGS_1 value not found at offset {offset:#x}")
    if output != path or new != old:
        from .fsutil import patched_copy

        patched_copy(path, output, [(offset, struct.pack(fmt, new))])
    return PieFix(path, output, offset, size, old, new)
