"""A program as ``elfdce run`` loads it: a DF_1_PIE-free cached copy, and where its ``main`` is.

``main`` is rarely a dynamic symbol (DCE asks for ``-rdynamic``; a plain ``gcc -pie`` does not
export it). In order: the dynamic symbols, ``.symtab``, then the entry code: glibc's ``_start``
(``sysdeps/x86_64/start.S``) passes ``main`` to ``__libc_start_main`` in ``%rdi``, loaded
RIP-relative (``lea main(%rip), %rdi``) in a PIE, or as an immediate in an older non-PIE build.
"""

from __future__ import annotations

import hashlib
import os

from .._record import Record
from ..elf import ElfError, ElfSymbols, read_elf, read_static_symbols
from ..elf import constants as C
from ..elf.kind import Kind

ENTRY_WINDOW = 96  # bytes of _start examined: glibc's is under 64


class MainFunction(Record):
    """Where ``main`` is (an address relative to the load base) and how it was found."""

    address: int
    how: str  # "dynamic symbol", ".symtab", "entry code"


def find_main(path: str) -> MainFunction:
    """Locate ``main`` in the program ``path``; `ElfError` when it cannot be found."""
    elf = read_elf(path, relocations=False)
    for s in elf.defined():
        if s.name == "main" and s.type == C.STT_FUNC:
            return MainFunction(s.value, "dynamic symbol")
    for s in read_static_symbols(path):
        if s.name == "main" and s.type == C.STT_FUNC and s.shndx:
            return MainFunction(s.value, ".symtab")
    if elf.header.machine != C.EM_X86_64 or not elf.is_64:
        raise ElfError(path, "main is not a symbol, and finding it from the entry code is only "
                       "implemented for x86_64: link with -rdynamic")
    address = _main_from_entry(elf)
    if address is None:
        raise ElfError(path, "main is not a symbol and the entry code does not pass it to "
                       "__libc_start_main as glibc's _start does: link with -rdynamic")
    return MainFunction(address, "entry code")


def _main_from_entry(elf: ElfSymbols) -> int | None:
    import capstone  # type: ignore[import-untyped]  # not on the scan path
    from capstone import x86_const

    from ..glibc.disasm import Image

    image = Image(elf)
    entry = elf.header.entry
    section = image.section_of(entry)
    if section is None:
        return None
    code = image.read(entry, min(ENTRY_WINDOW, section.addr + section.size - entry))
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    md.detail = True
    candidate = None
    for ins in md.disasm(code, entry):
        if ins.mnemonic in ("call", "jmp", "hlt"):
            return candidate  # %rdi at the call into __libc_start_main
        if len(ins.operands) != 2 or ins.operands[0].type != x86_const.X86_OP_REG:
            continue
        if ins.operands[0].reg not in (x86_const.X86_REG_RDI, x86_const.X86_REG_EDI):
            continue
        src = ins.operands[1]
        if ins.mnemonic == "lea" and src.type == x86_const.X86_OP_MEM \
                and src.mem.base == x86_const.X86_REG_RIP and src.mem.index == 0:
            candidate = ins.address + ins.size + src.mem.disp
        elif ins.mnemonic == "mov" and src.type == x86_const.X86_OP_IMM:
            candidate = src.imm
        else:
            candidate = None  # %rdi overwritten by something we cannot follow
    return None


def loadable_copy(path: str, directory: str | None = None) -> str:
    """A copy of the PIE ``path`` with DF_1_PIE cleared (glibc >= 2.30 refuses to dlopen it
    otherwise), cached per file version (path, inode, size, mtime) under ``directory``
    (default: `cache_dir`/run)."""
    from ..elf.fixpie import fix_pie
    from ..fsutil import cache_dir

    elf = read_elf(path, relocations=False)
    kind = elf.kind
    if kind not in Kind.LOADABLE:
        raise ElfError(path, f"not a PIE program ({elf.header.type_name}, {kind}): DCE loads "
                       "programs as position-independent executables (build with -fPIE -pie)")
    if kind == Kind.PIE_WITHOUT_FLAG:
        return path  # an older linker did not set DF_1_PIE: dlopen takes it as it is
    # keyed by the file's identity and version, not its bytes: hashing a crafted 20 GB sparse
    # file would read 20 GB of zeros
    st = os.stat(path)
    identity = f"{os.path.realpath(path)}\0{st.st_dev}\0{st.st_ino}\0{st.st_size}\0{st.st_mtime_ns}"
    digest = hashlib.sha256(identity.encode("utf-8", "surrogateescape")).hexdigest()[:20]
    directory = directory or os.path.join(cache_dir(), "run")
    out = os.path.join(directory, f"{os.path.basename(path)}-{digest}")
    if not os.path.exists(out):
        os.makedirs(directory, exist_ok=True)
        fix_pie(path, out)
    return out


__all__ = ["MainFunction", "find_main", "loadable_copy"]
