"""What the host glibc will do to DCE, from its binaries alone: the libio vtable validation in
libc.so.6 (glibc >= 2.24, BZ #20191) and the dlopen refusal of PIEs in ld.so (glibc >= 2.30,
BZ #24323), each stock, patched, or absent, with the evidence.

Method: find the fatal message in a loaded section, the instruction that loads its address
(`disasm.references`), the function around it (.eh_frame), and what the code does with it:
  vtable check  stock: the message is passed to a call of __libc_fatal (exported
                __libc_fatal@@GLIBC_PRIVATE); patched: unreferenced message, a function that
                returns at its first instruction, or no __libc_fatal call after the message
  PIE refusal   stock: the message's block is reachable; patched: unreferenced, or no jump in
                the function reaches the block and nothing falls into it
"""

from __future__ import annotations

import os
import re

from .._record import Record
from ..elf import ElfError, read_elf
from ..elf.image import Function, Image, enclosing_function
from . import disasm
from .libs import FIVE, LocatedLibrary, is_merged_stub, library_dirs, locate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from ..elf import ElfSymbols

VTABLE_MESSAGE = b"Fatal error: glibc detected an invalid stdio handle"
PIE_MESSAGE = b"cannot dynamically load position-independent executable"


class HostFinding(Record):
    """The state of one of the host glibc's mechanisms (the vtable check, its switch, the PIE
    refusal) and the evidence for it."""

    state: str  # "stock", "patched", "absent", "unknown"
    summary: str
    evidence: tuple[str, ...]


class HostReport(Record):
    """check-host's answer."""

    libc: str
    ld_so: str | None
    machine: str
    glibc_version: str | None
    build_id: str | None
    merged_stubs: tuple[str, ...]  # libpthread.so.0 … that are >= 2.34 stubs
    vtable_check: HostFinding
    vtable_layout: str
    stdio_switch: HostFinding  # _IO_init turning the vtable check off: "present" or "absent"
    pie_refusal: HostFinding
    verdicts: tuple[tuple[str, str], ...]  # (DCE mechanism, what happens)


def _glibc_version(image: Image) -> str | None:
    m = re.search(rb"release version (\d+\.\d+(?:\.\d+)?)", image.data)
    if m:
        return m.group(1).decode()
    nodes = [d.name for d in image.elf.version_defs if re.fullmatch(r"GLIBC_\d+\.\d+(\.\d+)?", d.name)]
    best = max(nodes, key=lambda n: tuple(int(x) for x in n[6:].split(".")), default=None)
    return f">= {best[6:]} (newest version node)" if best else None


def _build_id(image: Image) -> str | None:
    note = image.elf.section(".note.gnu.build-id")
    if note is None:
        return None
    raw = image.data[note.offset : note.offset + note.size]
    bo = "<" if image.elf.header.little_endian else ">"
    import struct

    if len(raw) < 12:
        return None  # a note too short to hold its own header
    namesz, descsz, _type = struct.unpack_from(bo + "III", raw)
    start = 12 + ((namesz + 3) & ~3)
    return raw[start : start + descsz].hex() or None


def _referencing_code(
    image: Image, refs: list[int], evidence: list[str]
) -> Iterator[tuple[int, Function, list[Any]]]:
    """(reference, function, instructions) for each reference that unwind data places in a
    function; the evidence list records what was found."""
    for ref in refs:
        fn = enclosing_function(image, ref)
        if fn is None:
            evidence.append(f"reference at {ref:#x}, no FDE around it")
            continue
        evidence.append(f"referenced at {ref:#x} in the function [{fn.start:#x}, {fn.end:#x})")
        yield ref, fn, disasm.disassemble(image, fn)


def block_start(code: list[Any], start: int, ref: int) -> int:
    """The basic block holding ``ref``: it starts after the last instruction before ``ref``
    that does not fall through (or at the function's ``start``)."""
    block, previous = start, None
    for ins in code:
        if ins.address > ref:
            break
        if previous is not None and disasm.is_unconditional(previous):
            block = ins.address
        previous = ins
    return block


def check_vtable(image: Image) -> tuple[HostFinding, str]:
    """(finding, vtable layout) for a libc.so.6."""
    layout = ("__libc_IO_vtables section (2.24-2.37)" if image.elf.section("__libc_IO_vtables")
              else "__io_vtables array reached from _IO_file_jumps (2.38+)"
              if image.elf.lookup("_IO_file_jumps") else "unknown")
    msg = image.find_string(VTABLE_MESSAGE)
    if msg is None:
        return HostFinding("absent", "no libio vtable validation (glibc < 2.24)", ()), "none"
    evidence = [f"message at {msg:#x}"]
    refs = disasm.references(image, msg)
    if not refs:
        return HostFinding("patched", "the fatal message is never referenced",
                           tuple(evidence)), layout
    fatal = image.elf.lookup("__libc_fatal")
    fatal_addr = fatal.value if fatal is not None and fatal.is_defined else None
    for ref, _fn, code in _referencing_code(image, refs, evidence):
        if code and disasm.is_return(code[0]):
            evidence.append(f"{code[0].address:#x}: {code[0].mnemonic} (first instruction)")
            return HostFinding("patched", "the check function returns at once",
                               tuple(evidence)), layout
        after = [i for i in code if i.address > ref][:4]
        for ins in after:
            if (disasm.is_call(ins) or disasm.is_jump(ins)) and (
                    fatal_addr is None or disasm.branch_target(ins) == fatal_addr):
                evidence.append(f"{ins.address:#x}: {ins.mnemonic} {ins.op_str} (__libc_fatal)")
                return HostFinding("stock", f"present, stock: aborts through __libc_fatal at "
                                   f"{ins.address:#x}", tuple(evidence)), layout
    return HostFinding("patched", "no __libc_fatal call follows the fatal message",
                       tuple(evidence)), layout


def check_stdio_switch(image: Image) -> HostFinding:
    """The switch that turns the vtable check off: the exported compat ``_IO_init`` stores the
    pointer-mangled address of ``_IO_vtable_check`` (the function holding the fatal message)
    into the flag that function tests first (libio/vtables.c, glibc 2.24 through 2.43)."""
    init = image.elf.lookup("_IO_init")
    if init is None:
        init = next((s for s in image.elf.exports() if s.name == "_IO_init"), None)
    if init is None or not init.is_defined:
        return HostFinding("absent", "libc exports no _IO_init", ())
    msg = image.find_string(VTABLE_MESSAGE)
    check = None
    for ref in disasm.references(image, msg) if msg is not None else []:
        check = enclosing_function(image, ref)
        if check is not None:
            break
    if check is None:
        return HostFinding("absent", "no vtable check function to switch off", ())
    fn = enclosing_function(image, init.value)
    if fn is None:
        return HostFinding("unknown", f"_IO_init at {init.value:#x} has no unwind data", ())
    inside = [r for r in disasm.references(image, check.start) if fn.start <= r < fn.end]
    evidence = [f"_IO_init@{init.version_name} [{fn.start:#x}, {fn.end:#x})",
                f"_IO_vtable_check (the function of the fatal message) at {check.start:#x}"]
    if not inside:
        return HostFinding("absent", "_IO_init does not take _IO_vtable_check's address",
                           tuple(evidence))
    evidence.append(f"{inside[0]:#x}: loads the address of _IO_vtable_check")
    code = [i for i in disasm.disassemble(image, fn) if i.address > inside[0]]
    store = next((i for i in code if (i.mnemonic == "mov" and i.op_str.startswith("qword ptr ["))
                  or i.mnemonic in ("str", "stur")), None)
    if store is None:
        return HostFinding("absent", "_IO_init loads _IO_vtable_check's address but stores "
                           "nothing", tuple(evidence))
    evidence.append(f"{store.address:#x}: {store.mnemonic} {store.op_str} (the flag)")
    return HostFinding("present", "_IO_init(scratch, 0) turns the check off for this libc copy",
                       tuple(evidence))


def check_pie_refusal(image: Image) -> HostFinding:
    """The dlopen refusal of DF_1_PIE objects in ld.so."""
    msg = image.find_string(PIE_MESSAGE)
    if msg is None:
        return HostFinding("absent", "ld.so does not refuse PIEs (glibc < 2.30)", ())
    evidence = [f"message at {msg:#x}"]
    refs = disasm.references(image, msg)
    if not refs:
        return HostFinding("patched", "the refusal message is never referenced", tuple(evidence))
    for ref, fn, code in _referencing_code(image, refs, evidence):
        block = block_start(code, fn.start, ref)
        falls_in = block == fn.start
        jumps = [i for i in code if disasm.is_jump(i) and not block <= i.address <= ref
                 and block <= (disasm.branch_target(i) or -1) <= ref]
        if falls_in or jumps:
            how = (f"{jumps[0].address:#x}: {jumps[0].mnemonic} {jumps[0].op_str}" if jumps
                   else "the function's entry")
            evidence.append(f"the refusal block at {block:#x} is reached from {how}")
            return HostFinding("stock", "present, stock: dlopen of a DF_1_PIE object fails",
                               tuple(evidence))
        evidence.append(f"no jump reaches the refusal block at {block:#x}")
        return HostFinding("patched", "the refusal is unreachable", tuple(evidence))
    return HostFinding("unknown", "references found, but no unwind data to check them",
                       tuple(evidence))


def find_ld_so(libc_path: str, sysroot: str | None, needed: tuple[str, ...] | None = None) -> str | None:
    """The dynamic loader libc.so.6 names in its DT_NEEDED (``needed``, read from the file when
    not given), where the loader would find it."""
    if needed is None:
        needed = read_elf(libc_path, relocations=False).needed
    name = next((n for n in needed if n.startswith("ld")), None)
    if name is None:
        return None
    for d in [os.path.dirname(libc_path)] + library_dirs(sysroot or "/"):
        path = os.path.join(d, name)
        if os.path.exists(path):
            return path
    return None


def check_host(libc: str | None = None, ld_so: str | None = None,
               sysroot: str | None = None) -> HostReport:
    """Examine the host's (or a sysroot's, or the given) libc.so.6 and ld.so."""
    located = {x.library.key: x for x in locate(sysroot, {"libc": libc} if libc else None)}
    libc_path = located["libc"].path
    if libc_path is None:
        raise ElfError("libc.so.6", located["libc"].how)
    image = Image(read_elf(libc_path, relocations=False))
    require_libc(image.elf)
    ld_path = ld_so or find_ld_so(libc_path, sysroot, image.elf.needed)
    if ld_path is not None and ld_so is not None:
        require_ld_so(read_elf(ld_path, relocations=False))
    machine = image.elf.header.machine
    if machine not in disasm.ARCHES:
        raise ElfError(libc_path, f"{image.elf.header.machine_name}: check-host disassembles "
                       "x86_64 and aarch64 only")
    if libc:
        # the stubs beside the examined libc, not the host's
        located = {x.library.key: x for x in locate(None, {
            lib.key: os.path.join(os.path.dirname(libc_path), lib.soname) for lib in FIVE})}
    stubs = _merged_stubs(located)
    vtable, layout = check_vtable(image)
    switch = check_stdio_switch(image) if vtable.state == "stock" else HostFinding(
        "absent", "no check to switch off", ())
    pie = (check_pie_refusal(Image(read_elf(ld_path, relocations=False)))
           if ld_path else HostFinding("unknown", "ld.so not found", ()))
    return HostReport(libc_path, ld_path, disasm.ARCHES[machine], _glibc_version(image),
                      _build_id(image), stubs, vtable, layout, switch, pie,
                      _verdicts(vtable, switch, pie))


def _merged_stubs(located: dict[str, LocatedLibrary]) -> tuple[str, ...]:
    """The sonames of libpthread, librt and libdl that are glibc >= 2.34's merged stubs."""
    stubs = []
    for key in ("libpthread", "librt", "libdl"):
        path = located[key].path
        if path is not None and not os.path.exists(path):
            continue
        if path and is_merged_stub(read_elf(path, relocations=False)):
            stubs.append(located[key].library.soname)
    return tuple(stubs)


def _verdicts(vtable: HostFinding, switch: HostFinding,
              pie: HostFinding) -> tuple[tuple[str, str], ...]:
    """`HostReport.verdicts`: what the findings mean for each of DCE's mechanisms."""
    verdicts = []
    if pie.state == "stock":
        verdicts.append(("load PIE programs with dlmopen", "needs fix-pie (or a patched ld.so)"))
    elif pie.state in ("patched", "absent"):
        verdicts.append(("load PIE programs with dlmopen", "works"))
    else:
        verdicts.append(("load PIE programs with dlmopen", "unknown"))
    if vtable.state == "stock" and switch.state == "present":
        verdicts.append(("replace FILE vtables", "aborts in the base namespace unless switched "
                         "off: call _IO_init(scratch, 0) once (elfdce dce prepare does); "
                         "allowed in dlmopen namespaces"))
    elif vtable.state == "stock":
        verdicts.append(("replace FILE vtables", "aborts in the base namespace; allowed in "
                         "dlmopen namespaces only (no _IO_init switch in this libc)"))
    elif vtable.state in ("patched", "absent"):
        verdicts.append(("replace FILE vtables", "allowed"))
    else:
        verdicts.append(("replace FILE vtables", "unknown"))
    return tuple(verdicts)


def require_libc(elf: ElfSymbols) -> None:
    """ElfError unless ``elf`` is a glibc libc.so.6: it defines gnu_get_libc_version and
    GLIBC_ version nodes (a program or another library gets a verdict of nothing)."""
    nodes = [d.name for d in elf.version_defs if d.name.startswith("GLIBC_2.")]
    if not nodes or not any(s.name == "gnu_get_libc_version" for s in elf.exports()):
        raise ElfError(elf.path, "not a glibc libc.so.6 (no gnu_get_libc_version or no GLIBC_ "
                       "version nodes)")


def require_ld_so(elf: ElfSymbols) -> None:
    """ElfError unless ``elf`` is glibc's dynamic loader (it defines GLIBC_ version nodes and
    _dl_catch_exception or __libc_stack_end)."""
    names = {s.name for s in elf.exports()}
    if not any(d.name.startswith("GLIBC_2.") for d in elf.version_defs) or not (
            names & {"_dl_catch_exception", "__libc_stack_end", "_dl_argv"}):
        raise ElfError(elf.path, "not glibc's dynamic loader (ld.so)")


__all__ = ["FIVE", "HostFinding", "HostReport", "check_host", "check_pie_refusal",
           "check_stdio_switch", "check_vtable", "require_libc", "require_ld_so"]
