"""Where a program's ``main`` is, when it is not a dynamic symbol.

DCE starts a program by ``dlsym (handle, "main")``, which finds ``main`` only in programs
linked with ``-rdynamic``: 22 of the 645 ELF files in Debian 12's /usr/bin and /usr/sbin. Every
program linked with glibc's start files passes ``main`` to ``__libc_start_main`` in its first
argument register, and the instruction doing it stands right before the call
(``sysdeps/x86_64/start.S``, ``sysdeps/aarch64/start.S``, the same in glibc 2.17 to 2.43):

x86_64   ``lea main(%rip), %rdi``  (48 8d 3d disp32: a PIE once ld relaxed the GOT load)
         ``mov main@GOTPCREL(%rip), %rdi``  (48 8b 3d disp32: the GOT slot holds main)
         ``mov $main, %rdi``  (48 c7 c7 imm32: a non-PIE)
         followed by ``call *__libc_start_main@GOTPCREL(%rip)`` (ff 15 disp32)
aarch64  ``adrp x0, :got:main; ldr x0, [x0, :got_lo12:main]`` (the GOT slot holds main), or
         ``adrp x0, main; add x0, x0, :lo12:main`` once ld relaxed it; then ``bl``.

The same rule, on the loaded bytes, is what the prepared DCE tree runs when ``dlsym`` finds no
``main`` (``csrc/dce/loaded-copy.c``, ``elfdce_main_from_entry``); `main_from_entry` is the
static reading of it (preflight, ``elfdce run``), and the tests hold the two to agree.
"""

from __future__ import annotations

import struct

from .._record import Record
from . import constants as C
from .errors import ElfError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .model import ElfSymbols

ENTRY_WINDOW = 96  # bytes of _start examined: glibc's is under 64 on both machines

# relocation types that put an address in a GOT slot: RELATIVE (addend), GLOB_DAT/64 (symbol)
_RELATIVE = {C.EM_X86_64: 8, C.EM_AARCH64: 1027}
_SYMBOLIC = {C.EM_X86_64: (6, 1), C.EM_AARCH64: (1025, 257)}


class MainFunction(Record):
    """Where ``main`` is (an address relative to the load base) and how it was found."""

    address: int
    how: str  # "dynamic symbol", ".symtab", "entry code"


class EntryLoad(Record):
    """What ``_start`` loads into the first argument register: ``main`` itself (``direct``) or
    the address of a GOT slot holding it."""

    address: int
    direct: bool


def decode_start(code: bytes, entry: int, machine: int) -> EntryLoad | None:
    """The load of ``main`` in ``_start``'s first bytes ``code`` (at address ``entry``), or None
    when they are not glibc's entry code."""
    if machine == C.EM_X86_64:
        return _decode_x86_64(code, entry)
    if machine == C.EM_AARCH64:
        return _decode_aarch64(code, entry)
    return None


def _decode_x86_64(code: bytes, entry: int) -> EntryLoad | None:
    at = 0
    while True:
        call = code.find(b"\xff\x15", at)  # call *disp32(%rip)
        if call < 0:
            return None
        at = call + 1
        if call < 7:
            continue
        op = code[call - 7: call - 4]
        value = struct.unpack_from("<i", code, call - 4)[0]
        if op == b"\x48\x8d\x3d":  # lea disp32(%rip), %rdi
            return EntryLoad(entry + call + value, True)
        if op == b"\x48\x8b\x3d":  # mov disp32(%rip), %rdi: the GOT slot
            return EntryLoad(entry + call + value, False)
        if op == b"\x48\xc7\xc7":  # mov $imm32, %rdi (sign-extended)
            return EntryLoad(value & 0xFFFFFFFFFFFFFFFF, True)


def _decode_aarch64(code: bytes, entry: int) -> EntryLoad | None:
    words = struct.unpack_from(f"<{len(code) // 4}I", code)
    for k, w in enumerate(words):
        if w & 0x9F00001F != 0x90000000:  # adrp x0, page
            continue
        imm = ((w >> 29) & 3) | (((w >> 5) & 0x7FFFF) << 2)
        if imm & (1 << 20):
            imm -= 1 << 21
        page = ((entry + 4 * k) & ~0xFFF) + (imm << 12)
        for j in range(k + 1, min(k + 4, len(words))):
            nxt = words[j]
            if nxt & 0xFFC003FF == 0xF9400000:  # ldr x0, [x0, #imm12*8]
                return EntryLoad(page + ((nxt >> 10) & 0xFFF) * 8, False)
            if nxt & 0xFFC003FF == 0x91000000:  # add x0, x0, #imm12
                return EntryLoad(page + ((nxt >> 10) & 0xFFF), True)
        return None
    return None


def main_from_entry(elf: ElfSymbols, data: bytes | None = None) -> int | None:
    """``main``'s address (relative to the load base) read from ``elf``'s entry code, or None.
    ``elf`` must have been read with its relocations (a GOT slot is resolved through them)."""
    from .image import Image

    machine = elf.header.machine
    if machine not in _RELATIVE or not elf.is_64 or not elf.header.entry:
        return None
    image = Image(elf)
    entry = elf.header.entry
    section = image.section_of(entry)
    if section is None:
        return None
    code = image.read(entry, min(ENTRY_WINDOW, section.addr + section.size - entry))
    load = decode_start(bytes(code), entry, machine)
    if load is None:
        return None
    if load.direct:
        return load.address
    return _got_slot_value(elf, image, load.address)


def _got_slot_value(elf: ElfSymbols, image, slot: int) -> int | None:
    """What the loader writes into the GOT slot at ``slot``: a RELATIVE relocation's addend, or
    the value of the symbol a GLOB_DAT names; with neither (DT_RELR, or REL), the slot's bytes."""
    machine = elf.header.machine
    for r in elf.relocations or ():
        if r.offset != slot:
            continue
        if r.type == _RELATIVE[machine] and r.addend:
            return r.addend
        if r.type in _SYMBOLIC[machine] and 0 < r.symbol_index < len(elf.symbols):
            sym = elf.symbols[r.symbol_index]
            return sym.value + (r.addend or 0) if sym.is_defined else None
    try:
        raw = image.read(slot, 8)
    except ElfError:
        return None
    value = struct.unpack("<Q", raw)[0]
    return value or None


def find_main(path: str) -> MainFunction:
    """Locate ``main`` in the program ``path``: its dynamic symbol, its ``.symtab`` entry, or
    the entry code; `ElfError` when none of them gives it."""
    from .reader import read_elf, read_static_symbols

    elf = read_elf(path)
    for s in elf.defined():
        if s.name == "main" and s.type == C.STT_FUNC:
            return MainFunction(s.value, "dynamic symbol")
    for s in read_static_symbols(path):
        if s.name == "main" and s.type == C.STT_FUNC and s.shndx:
            return MainFunction(s.value, ".symtab")
    if elf.header.machine not in _RELATIVE or not elf.is_64:
        raise ElfError(path, "main is not a symbol, and finding it from the entry code is "
                       "implemented for x86_64 and aarch64 only: link with -rdynamic")
    address = main_from_entry(elf)
    if address is None:
        raise ElfError(path, "main is not a symbol and the entry code does not pass it to "
                       "__libc_start_main as glibc's _start does: link with -rdynamic")
    return MainFunction(address, "entry code")


__all__ = ["EntryLoad", "MainFunction", "decode_start", "find_main", "main_from_entry"]
