"""Finding code that references a string and what it does next.

Only what `hostcheck` needs, for x86_64 (RIP-relative LEA) and aarch64 (ADRP + ADD): candidate
references are found by scanning the raw bytes (fast), then capstone disassembles only the
enclosing function (`elf.image.enclosing_function`).
"""

from __future__ import annotations

import re
import struct

from ..elf import constants as C
from ..elf.image import Function, Image

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

ARCHES = {C.EM_X86_64: "x86_64", C.EM_AARCH64: "aarch64"}


def references(image: Image, target: int) -> list[int]:
    """Addresses of instructions in .text that compute ``target`` (x86_64 LEA rip+disp;
    aarch64 the ADD completing an ADRP of its page)."""
    text = image.elf.section(".text")
    if text is None:
        return []
    code = image.data[text.offset : text.offset + text.size]
    machine = image.elf.header.machine
    out = []
    if machine == C.EM_X86_64:
        # [REX] 8D /r with mod=00 r/m=101: lea reg, [rip + disp32] (x32 code has no REX.W)
        for m in re.finditer(rb"\x8d[\x05\x0d\x15\x1d\x25\x2d\x35\x3d]", code):
            i = m.start()
            if i + 6 <= len(code):
                disp = struct.unpack_from("<i", code, i + 2)[0]
                if text.addr + i + 6 + disp == target:
                    rex = i > 0 and 0x40 <= code[i - 1] <= 0x4F
                    out.append(text.addr + i - rex)
    elif machine == C.EM_AARCH64:
        page = target & ~0xFFF
        words = struct.unpack_from(f"<{len(code) // 4}I", code)
        for k, w in enumerate(words):
            if w & 0x9F000000 != 0x90000000:  # ADRP
                continue
            pc = text.addr + 4 * k
            imm = ((w >> 29) & 3) | (((w >> 5) & 0x7FFFF) << 2)
            if imm & (1 << 20):
                imm -= 1 << 21
            if (pc & ~0xFFF) + (imm << 12) != page:
                continue
            rd = w & 0x1F
            for j in range(k + 1, min(k + 9, len(words))):  # the ADD follows within a few
                a = words[j]
                # ADD (immediate), 64-bit, no shift: 1001000100 imm12 Rn Rd
                if a & 0xFFC00000 == 0x91000000 and (a >> 5) & 0x1F == rd:
                    if page + ((a >> 10) & 0xFFF) == target:
                        out.append(text.addr + 4 * j)
                    break
    return out


def disassemble(image: Image, fn: Function) -> list[Any]:
    """Capstone instructions (with details) of ``fn``."""
    import capstone  # type: ignore[import-untyped]  # not on the scan path

    if image.elf.header.machine == C.EM_X86_64:
        md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    else:
        md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    md.detail = True
    return list(md.disasm(image.read(fn.start, fn.end - fn.start), fn.start))


def branch_target(ins: Any) -> int | None:
    """The immediate target of a jump or call, None for an indirect one."""
    import capstone

    for op in reversed(ins.operands):
        if op.type == capstone.CS_OP_IMM:
            return int(op.imm)
    return None


def is_jump(ins: Any) -> bool:
    import capstone

    return ins.group(capstone.CS_GRP_JUMP) or ins.mnemonic in ("cbz", "cbnz", "tbz", "tbnz")


def is_call(ins: Any) -> bool:
    import capstone

    return bool(ins.group(capstone.CS_GRP_CALL)) or ins.mnemonic == "bl"


def is_return(ins: Any) -> bool:
    import capstone

    return bool(ins.group(capstone.CS_GRP_RET)) or ins.mnemonic == "ret"


def is_unconditional(ins: Any) -> bool:
    """An instruction after which execution does not fall through."""
    return is_return(ins) or ins.mnemonic in ("jmp", "b", "br", "ud2", "hlt", "brk")


def engine(machine: int, *, detail: bool = False, skipdata: bool = False) -> Any:
    """A capstone engine for ``machine`` (x86_64 or aarch64); ``skipdata``: bytes it cannot
    decode come out as ``.byte`` pseudo-instructions and decoding goes on."""
    import capstone

    if machine == C.EM_X86_64:
        md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    else:
        md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    md.detail = detail
    md.skipdata = skipdata
    return md
