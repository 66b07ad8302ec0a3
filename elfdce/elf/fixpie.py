"""Clear DF_1_PIE so that glibc >= 2.30 dlopens a PIE (elf/dl-load.c refuses one that has it).

The smallest change that works: the value of the one DT_FLAGS_1 entry, in place; every other
byte of the file stays as it was (a general ELF writer would rewrite far more).
"""

from __future__ import annotations

import struct

from .._record import Record
from . import constants as C
from .errors import ElfError
from .reader import read_elf
from .kind import Kind, classify, has_interpreter


class PieFix(Record):
    """What `fix_pie` did: the file offset of the DT_FLAGS_1 value and its old and new value
    (offset None: the PIE has no DT_FLAGS_1 entry, so nothing to clear)."""

    path: str
    output: str
    offset: int | None
    size: int  # 8 (ELF64) or 4 (ELF32)
    old: int
    new: int

    @property
    def changed(self) -> bool:
        return self.old != self.new


def _refusal(elf, path: str, kind: str) -> ElfError:  # noqa: ANN001
    if kind == Kind.LIBRARY:
        why = f"DT_SONAME {elf.soname}" if has_interpreter(elf) else "no PT_INTERP"
        return ElfError(path, f"not a PIE: a shared library (no DF_1_PIE, {why})")
    if kind == Kind.STATIC_PIE:
        return ElfError(path, "not a PIE DCE can load: a static PIE (no PT_INTERP, no C library "
                        "to replace)")
    return ElfError(path, f"not a PIE: {elf.header.type_name} (only ET_DYN programs can be)")


def fix_pie(path: str, output: str | None = None) -> PieFix:
    """Write ``path`` with DF_1_PIE cleared to ``output`` (``path`` itself when None).

    Idempotent: a PIE whose flag is already clear, or that has no DT_FLAGS_1 at all, is written
    unchanged. Raises `ElfError` for a file that is not ELF or not a PIE (`elf.kind.classify`:
    an ET_EXEC, a static PIE, a shared library).
    """
    from ..fsutil import patched_copy

    elf = read_elf(path, relocations=False)
    output = output or path
    kind = classify(elf)
    if kind not in Kind.LOADABLE:
        raise _refusal(elf, path, kind)
    dyn_segment = next((p for p in elf.segments if p.type == C.PT_DYNAMIC), None)
    if elf.dynamic is None or dyn_segment is None:
        raise ElfError(path, "no dynamic section: nothing for dlopen to refuse")
    index = next((i for i, e in enumerate(elf.dynamic.entries) if e.tag == C.DT_FLAGS_1), None)
    size = 8 if elf.is_64 else 4
    if index is None:
        if output != path:
            patched_copy(path, output, [])
        return PieFix(path, output, None, size, 0, 0)
    old = elf.dynamic.entries[index].value
    offset = dyn_segment.offset + index * 2 * size + size  # d_tag, then d_val
    new = old & ~C.DF_1_PIE
    fmt = ("<" if elf.header.little_endian else ">") + ("Q" if size == 8 else "I")
    with open(path, "rb") as f:
        f.seek(offset)
        raw = f.read(size)
    if len(raw) != size or struct.unpack(fmt, raw)[0] != old:  # the reader and the bytes agree
        raise ElfError(path, f"DT_FLAGS_1 value not found at offset {offset:#x}")
    if output != path or new != old:
        patched_copy(path, output, [(offset, struct.pack(fmt, new))])
    return PieFix(path, output, offset, size, old, new)
