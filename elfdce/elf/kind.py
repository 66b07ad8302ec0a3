"""What an ELF file is, as loading it under DCE sees it: the one classifier every command uses
(pre-flight's PIE status, `--tree`'s kinds, `run`'s refusals, `fix-pie`'s checks)."""

from __future__ import annotations

from . import constants as C

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .model import ElfSymbols


class Kind:
    """The kinds `classify` returns (plain strings, as they appear in JSON)."""

    PIE = "pie"  # ET_DYN, PT_INTERP, DF_1_PIE: glibc >= 2.30 refuses to dlopen it
    PIE_WITHOUT_FLAG = "pie-without-flag"  # ET_DYN, PT_INTERP, no DT_SONAME (older linkers)
    STATIC_PIE = "static-pie"  # ET_DYN, DF_1_PIE, no PT_INTERP: relocates itself
    EXEC = "exec"  # ET_EXEC with a dynamic section: not position-independent
    STATIC = "static"  # ET_EXEC without a dynamic section
    LIBRARY = "library"  # any other ET_DYN
    OBJECT = "object"  # ET_REL, ET_CORE, anything else

    PROGRAMS = frozenset({PIE, PIE_WITHOUT_FLAG, STATIC_PIE, EXEC, STATIC})
    LOADABLE = frozenset({PIE, PIE_WITHOUT_FLAG})  # what DCE can dlopen (after fix-pie)
    STATIC_PROGRAMS = frozenset({STATIC_PIE, STATIC})  # no C library to replace


def has_interpreter(elf: ElfSymbols) -> bool:
    """Whether ``elf`` has a PT_INTERP segment."""
    return any(p.type == C.PT_INTERP for p in elf.segments)


def classify(elf: ElfSymbols) -> str:
    """The `Kind` of ``elf``."""
    if elf.header.type == C.ET_EXEC:
        return Kind.EXEC if elf.dynamic is not None else Kind.STATIC
    if elf.header.type != C.ET_DYN:
        return Kind.OBJECT
    interp = has_interpreter(elf)
    pie_flag = elf.dynamic is not None and elf.dynamic.is_pie_flagged
    if pie_flag:
        return Kind.PIE if interp else Kind.STATIC_PIE
    # glibc's libc.so.6 has a PT_INTERP too (it runs, printing its version) and, linked
    # BIND_NOW, a DT_FLAGS_1: its DT_SONAME says it is a library all the same
    if interp and not elf.soname:
        return Kind.PIE_WITHOUT_FLAG
    return Kind.LIBRARY
