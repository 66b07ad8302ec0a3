"""The system-call footprint of every exported function of a glibc library, from its machine
code alone (no list of glibc functions or syscalls is written anywhere here).

Method (x86_64 and aarch64):

1. Function bounds are the FDE ranges of ``.eh_frame`` (`elf.image.function_table`); each is
   a node of the call graph (GCC's ``.cold`` parts are nodes of their own, reached by jumps).
   Where a function's code runs on past its FDE (glibc's clone3 ends its unwind data before
   the ``syscall``), it is read on to the next FDE.
2. Every function is decoded once with capstone's lite decoder. Direct ``call``/``jmp``/
   ``jcc``/``bl``/``b``/``cbz``… leaving the function are edges; a branch into the PLT follows
   the PLT entry to its GOT slot; ``call [rip + slot]`` reads the slot.
3. A slot is resolved through its dynamic relocation: JUMP_SLOT/GLOB_DAT/ABS64 to a symbol
   the library defines is that function (an IFUNC: every variant its resolver can return),
   to an import is the defining library's footprint (ld.so for libc, libc for libm: found
   beside the file, analysed and cached the same way); RELATIVE and IRELATIVE name the
   function (the resolver) by their addend; a slot without one (RELR) holds its address.
4. Functions with a ``syscall``/``svc`` or an indirect call or jump, and IFUNC resolvers, get a
   data-flow analysis (`flow.analyse`): the syscall number reaching each ``syscall`` (eax) or
   ``svc #0`` (x8), the targets of indirect calls (a GOT slot, a function address, a jump
   table bounded inside the function, a vDSO pointer of ``_rtld_global_ro``), what a resolver
   returns. A syscall number or a called function pointer that comes from an argument
   (``syscall()``; glibc >= 2.41's ``__syscall_cancel`` with the number as 7th argument on the
   stack; ``__tunable_get_val``'s callback in ld.so) makes the function parametric: at each
   call of it the caller's value of that argument is evaluated instead, and so on up.
5. vDSO: the ``_rtld_global_ro`` offsets ld.so fills from ``__vdso_*``/``__kernel_*`` symbols
   are read from ld.so's code (the first store into ``_rtld_global_ro`` after each name's
   reference; on aarch64 the store's base register followed from the start of the function, as
   glibc 2.41 on keeps ``_rtld_global_ro``'s page in a register from early in dl_main); a call
   through one is the vDSO ("vdso"), and the syscall fallback beside it is
   in the footprint as well. An IFUNC resolver that looks a vDSO symbol up itself (``time``,
   ``gettimeofday`` on glibc 2.31 and aarch64) returns the vDSO too.
6. Anything else indirect (function pointers, callbacks, stdio vtables, PTR_MANGLEd pointers,
   ``_rtld_global_ro`` hooks, an unbounded jump table) is an "unknown" reason.
7. Exceptional paths (`Analysis.exceptional_nodes`): abort() and the functions that cannot
   return and end in it (__stack_chk_fail, __fortify_fail, __libc_fatal, __assert_fail,
   malloc_printerr …), and pthread_exit's unwinding that acting on a cancellation runs. Their
   syscalls are not in the footprint of a function that merely can reach them; its
   ``exceptional`` flag says it can (a function that is one of them has its full footprint).
8. The transitive closure is computed over the strongly connected components (iterative
   Tarjan), with syscall sets, reason sets and vDSO sets as integer bitsets.
"""

from __future__ import annotations

import bisect
import os

from .._record import Record
from ..elf import constants as C
from ..elf.errors import ElfError
from . import flow
from .classes import classes_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..elf.image import Function, Image
    from ..elf.model import ElfSymbols, Symbol

MACHINES = {C.EM_X86_64: "x86_64", C.EM_AARCH64: "aarch64"}
MAX_REASONS = 8  # unknown reasons kept per footprint (then "… and N more")
# calls followed for a footprint's `direct` syscalls: posix_spawn's clone3 is 4 calls down
# (__spawni → __spawnix → __clone_internal → __clone3); snprintf reaches exit_group (through
# stdio's error paths) at 5
DIRECT_DEPTH = 4

# relocation types by machine: (ABS64, GLOB_DAT, JUMP_SLOT, RELATIVE, IRELATIVE)
_RELOCS = {"x86_64": (1, 6, 7, 8, 37), "aarch64": (257, 1025, 1026, 1027, 1032)}
_PLT_SECTIONS = (".plt", ".plt.sec", ".plt.got", ".iplt")
_VDSO_PREFIXES = (b"__vdso_", b"__kernel_")
_ENDS = ("ret", "jmp", "ijmp", "stop")  # instructions after which code does not go on


class Footprint(Record):
    """What one exported function can do to the kernel, directly or through what it calls."""

    syscalls: tuple[str, ...]  # syscall names, sorted
    classes: tuple[str, ...]  # their classes (classes.py), sorted; () for a pure function
    vdso: bool  # it may call into the vDSO (clock_gettime, gettimeofday, time, getcpu …)
    unknown: tuple[str, ...]  # why the list may be incomplete ("indirect call at 0x1234")
    # it may leave through glibc's fatal-error (abort()) or thread-cancellation paths, whose
    # syscalls are not listed (footprint.Analysis.exceptional_nodes)
    exceptional: bool = False
    # the system calls it makes itself: in its own code and in the functions it reaches within
    # DIRECT_DEPTH calls, exceptional paths left out (a wrapper's syscall, posix_spawn's clone;
    # not what snprintf may do deep in gconv); sorted
    direct: tuple[str, ...] = ()

    @property
    def is_pure(self) -> bool:
        """No syscall, nothing unknown, no vDSO: a pure function (strlen)."""
        return not self.syscalls and not self.unknown and not self.vdso


def make_footprint(syscalls, vdso: bool, unknown, exceptional: bool = False,
                   direct=()) -> Footprint:
    """A Footprint with its classes derived (``unknown`` added when a reason is given)."""
    names = tuple(sorted(set(syscalls)))
    return Footprint(names, classes_of(names, bool(unknown)), bool(vdso), tuple(unknown),
                     bool(exceptional), tuple(sorted(set(direct))))


class LibraryFootprint:
    """The footprints of a library's exported functions, by (name, version) pair."""

    __slots__ = ("path", "build_id", "machine", "soname", "by_pair", "defaults", "deps",
                 "exceptional", "from_cache")

    def __init__(self, path: str, build_id: str | None, machine: str, soname: str | None,
                 by_pair: dict[tuple[str, str | None], Footprint],
                 defaults: dict[str, str | None], deps: tuple[tuple[str, str | None], ...] = (),
                 from_cache: bool = False, exceptional: frozenset = frozenset()) -> None:
        self.path, self.build_id, self.machine, self.soname = path, build_id, machine, soname
        # the pairs that are themselves such paths (abort, __stack_chk_fail, pthread_exit …)
        self.exceptional = exceptional
        self.by_pair = by_pair
        self.defaults = defaults  # name -> its default version (None: unversioned)
        self.deps = deps  # (path, build id) of the libraries its imports were resolved in
        self.from_cache = from_cache

    def lookup(self, name: str, version: str | None = None) -> Footprint | None:
        """The footprint of ``name@version``; without a version, of its default version (a
        name with compat versions only gives None)."""
        if version is None:
            if name not in self.defaults:
                return None
            version = self.defaults[name]
        return self.by_pair.get((name, version))

    def __repr__(self) -> str:
        return (f"<LibraryFootprint {self.path} ({self.machine}, build-id {self.build_id}): "
                f"{len(self.by_pair)} functions>")


class FootprintError(ElfError):
    """A file whose footprint cannot be derived (not a glibc library, another machine)."""


# --- helpers on the file -------------------------------------------------------------------------


def check_library(elf: ElfSymbols) -> str:
    """The machine name of a glibc library elfdce can analyse; FootprintError else."""
    arch = MACHINES.get(elf.header.machine)
    if arch is None or not elf.is_64:
        raise FootprintError(elf.path, f"{elf.header.machine_name} "
                             f"({elf.header.elf_class}-bit): syscall footprints are derived "
                             "for x86_64 and aarch64 only")
    if not any(d.name.startswith("GLIBC_2.") for d in elf.version_defs):
        raise FootprintError(elf.path, "not a glibc library (no GLIBC_2.* version node)")
    if elf.section(".text") is None:
        raise FootprintError(elf.path, "no .text section: nothing to disassemble")
    return arch


def _engine(arch: str) -> Any:
    """capstone for ``arch``, lite decoding: bytes it cannot decode become ``.byte`` and the
    rest of the function still decodes."""
    from ..glibc.disasm import engine

    return engine(C.EM_X86_64 if arch == "x86_64" else C.EM_AARCH64, skipdata=True)


def vdso_slots(image: Image, arch: str) -> dict[int, str]:
    """{offset in ``_rtld_global_ro``: vDSO function} as ld.so's set-up code fills them: after
    each reference to a ``__vdso_NAME``/``__kernel_NAME`` string, the first store into
    ``_rtld_global_ro``. Empty when ld.so does not look like that.

    On aarch64 the store's base register may hold ``_rtld_global_ro``'s page from well before
    the reference (glibc 2.41/2.43's ld.so: ``adrp x20`` early in dl_main, then ``add x21, x20,
    #lo12; str x2, [x21, #0xe0]`` after each lookup), so the registers are followed from the
    start of the enclosing function."""
    from ..elf.image import enclosing_function
    from ..glibc.disasm import references

    ro = next((s for s in image.elf.exports() if s.name == "_rtld_global_ro"), None)
    if ro is None or not ro.size:
        return {}
    md = _engine(arch)
    found: list[tuple[int, str]] = []  # (reference, name), in the order they are looked at
    for prefix in _VDSO_PREFIXES:
        start = 0
        while True:
            off = image.data.find(prefix, start)
            if off < 0:
                break
            start = off + 1
            end = image.data.find(b"\0", off)
            name = bytes(image.data[off:end]).decode("ascii", "replace")
            addr = image.address_of_offset(off)
            if addr is None or (off and image.data[off - 1] != 0):
                continue
            found.extend((ref, name[len(prefix):]) for ref in references(image, addr))
    by_function: dict[tuple[int, int], list[int]] = {}
    for ref, _name in found:
        fn = enclosing_function(image, ref)
        if fn is not None:
            by_function.setdefault((fn.start, fn.end), []).append(ref)
    slots: dict[int, int] = {}  # reference -> the store's address
    for (fn_start, fn_end), refs in by_function.items():
        slots.update(_first_stores(md, arch, image, fn_start, fn_end, refs, ro.value,
                                   ro.value + ro.size))
    out: dict[int, str] = {}
    for ref, name in found:
        slot = slots.get(ref)
        if slot is not None:
            out.setdefault(slot - ro.value, name)
    return out


_WINDOW = 1024  # bytes after a reference in which its store is looked for
# aarch64 registers a call may change (AAPCS64: x0-x18, the link register)
_A64_CLOBBERED = frozenset([f"x{i}" for i in range(19)] + ["x30"])


def _first_stores(md, arch: str, image: Image, fn_start: int, fn_end: int, refs: list[int],
                  lo: int, hi: int) -> dict[int, int]:
    """{reference: the address in [lo, hi) of the first 64-bit store into it in the
    ``_WINDOW`` bytes from the reference} (a forward walk: x86_64 ``mov qword ptr [rip + d],
    r``; aarch64 ``str xN, [xM, #off]`` with xM from ``adrp``/``add``, followed linearly from
    the start of the function)."""
    out: dict[int, int] = {}
    if arch == "x86_64":
        for ref in refs:
            code = image.read(ref, min(fn_end - ref, _WINDOW))
            for a, s, m, o in md.disasm_lite(code, ref):
                if m == "mov" and o.startswith("qword ptr [rip"):
                    xmem = flow._x86_mem(o.split(", ")[0], a, s)
                    if xmem is not None and lo <= xmem[1] < hi:
                        out.setdefault(ref, xmem[1])
                        break
        return out
    last = min(fn_end, max(refs) + _WINDOW)
    waiting = sorted(set(refs))  # references whose store is still looked for
    addrs: dict[str, int] = {}
    for a, _s, m, o in md.disasm_lite(image.read(fn_start, last - fn_start), fn_start):
        if not waiting:
            break
        regs, mem, _after = flow._a64_operands(o)
        if m == "str" and mem and regs and regs[0].startswith("x") and mem[0] in addrs:
            off = flow._imm(mem[1]) if len(mem) == 2 else 0
            target = addrs[mem[0]] + off if off is not None else None
            if target is not None and lo <= target < hi:
                for ref in [r for r in waiting if r <= a]:
                    if a < ref + _WINDOW:
                        out[ref] = target
                    waiting.remove(ref)
        waiting = [r for r in waiting if a < r + _WINDOW]
        if m == "adrp" and len(regs) == 2:
            addrs[regs[0]] = flow._imm(regs[1]) or 0
        elif m == "add" and len(regs) == 3 and regs[1] in addrs and regs[2].startswith("#"):
            addrs[regs[0]] = addrs[regs[1]] + (flow._imm(regs[2]) or 0)
        elif m in ("bl", "blr"):
            for r in _A64_CLOBBERED & addrs.keys():
                del addrs[r]
        elif regs and not m.startswith("st"):
            # what the instruction writes: its first register (both of a load pair), a
            # w register being the low half of its x
            for r in regs[:2] if m.startswith("ldp") or m.startswith("ldnp") else regs[:1]:
                addrs.pop("x" + r[1:] if r.startswith("w") else r, None)
        if mem and _after and mem[0] in addrs:  # writeback changes the base
            del addrs[mem[0]]
    return out


def find_beside(path: str, soname: str) -> str | None:
    """``soname`` in the directory of ``path`` (or of the file it links to), else None."""
    for d in dict.fromkeys((os.path.dirname(os.path.abspath(path)),
                            os.path.dirname(os.path.realpath(path)))):
        candidate = os.path.join(d, soname)
        if os.path.exists(candidate):
            return candidate
    return None


# --- the analysis ------------------------------------------------------------------------------


class _Graph:
    """Nodes (functions first, then IFUNC, import and stray nodes) with their own findings."""

    def __init__(self, n: int) -> None:
        self.succ: list[set[int]] = [set() for _ in range(n)]
        self.sys = [0] * n  # bitset of syscall numbers
        self.unk = [0] * n  # bitset over Analysis.reasons
        self.vdso = [0] * n  # bitset over Analysis.vdso_names
        self.sys_params: list[frozenset] = [frozenset()] * n  # where its syscall numbers come
        self.cb_params: list[frozenset] = [frozenset()] * n  # arguments it calls (callbacks)
        self.tails: list[set[int]] = [set() for _ in range(n)]  # nodes it jumps to (tail calls)
        self.returns = [True] * n  # has a `ret`, or an indirect jump nothing bounds
        self.exceptional_import = [False] * n  # an import the other library says is exceptional
        self.escapes = [False] * n  # has an indirect (or unresolved) jump out of it
        self.has_ret = [True] * n  # has a return instruction

    def add(self) -> int:
        self.succ.append(set())
        self.sys.append(0)
        self.unk.append(0)
        self.vdso.append(0)
        self.sys_params.append(frozenset())
        self.cb_params.append(frozenset())
        self.tails.append(set())
        self.returns.append(True)
        self.exceptional_import.append(False)
        self.escapes.append(False)
        self.has_ret.append(True)
        return len(self.succ) - 1


class Analysis:
    """One library's analysis; `run` returns the LibraryFootprint."""

    def __init__(self, path: str, *, use_cache: bool = True, _stack: tuple = ()) -> None:
        from ..elf import read_elf
        from ..elf.image import Image, build_id, function_table

        self.path = path
        self.use_cache = use_cache
        self.stack = _stack + (os.path.realpath(path),)
        self.elf = read_elf(path)
        self.arch = check_library(self.elf)
        self.image = Image(self.elf)
        self.build_id = build_id(self.image)
        self.sem = flow.semantics_for(self.arch)
        self.functions: tuple[Function, ...] = function_table(self.image)
        if not self.functions:
            raise FootprintError(path, "no unwind data (.eh_frame): function bounds unknown")
        self.starts = [f.start for f in self.functions]
        self.ends = [f.end for f in self.functions]  # extended by decode_all
        self.graph = _Graph(len(self.functions))
        self.reasons: list[str] = []
        self.reason_index: dict[str, int] = {}
        self.vdso_names: list[str] = []
        self.numbers = _numbers(self.arch)
        self.relocs = self._relocations()
        self.plt = [(s.addr, s.addr + s.size) for s in self.elf.sections
                    if s.name in _PLT_SECTIONS and s.size]
        self.md = _engine(self.arch)
        self.code: dict[int, list[tuple]] = {}  # node -> instructions, for the flow pass
        self.callers: dict[int, set[tuple[int, int]]] = {}  # callee start -> {(caller, site)}
        self.resolved: dict[tuple, tuple] = {}
        self.ifunc_nodes: dict[int, int] = {}
        self.import_nodes: dict[tuple, int] = {}
        self.stray_nodes: dict[int, int] = {}
        self.deps: dict[str, LibraryFootprint | None] = {}
        self._vdso_slots: dict[int, str] | None = None
        self._sized: tuple[list[int], list] | None = None
        self.start_set = set(self.starts)
        self.extra_bounds: dict[int, Function] = {}  # stray node -> its code's range
        self.numbers_by_name = {name: n for n, name in self.numbers.items()}
        self.param_map: dict[int, frozenset] = {}  # call target -> the locations it takes
        self.param_changed: list[int] = []  # nodes whose callers are to be analysed again
        self.pending_flow: list[int] = []  # nodes added since, waiting for their data-flow
        self.node_targets: dict[int, set[int]] = {}  # node -> call targets that enter it
        self.exceptional: set[int] = set()
        self.noreturn_calls: frozenset[int] = frozenset()  # set by decode_all
        self.flow_runs = 0

    # -- small tables --

    def _relocations(self) -> dict[int, tuple[int, int, int]]:
        """{slot address: (type, symbol index, addend)} of the relocation types that matter."""
        wanted = set(_RELOCS[self.arch])
        rel = self.elf.relocations
        out = {}
        if rel is not None:
            for r in rel:
                if r.type in wanted:
                    out[r.offset] = (r.type, r.symbol_index, r.addend or 0)
        return out

    def reason(self, text: str) -> int:
        i = self.reason_index.get(text)
        if i is None:
            i = self.reason_index[text] = len(self.reasons)
            self.reasons.append(text)
        return 1 << i

    def vdso_bit(self, name: str) -> int:
        if name not in self.vdso_names:
            self.vdso_names.append(name)
        return 1 << self.vdso_names.index(name)

    def function_at(self, addr: int) -> int | None:
        i = bisect.bisect_right(self.starts, addr) - 1
        if i >= 0 and addr < self.ends[i]:
            return i
        return None

    def read(self, addr: int, size: int) -> bytes | None:
        """Up to ``size`` bytes at ``addr`` (fewer where its section ends), None outside."""
        sec = self.image.section_of(addr)
        if sec is None:
            return None
        off = sec.offset + addr - sec.addr
        return bytes(self.image.data[off : off + min(size, sec.addr + sec.size - addr)])

    def _sized_symbols(self) -> tuple[list[int], list]:
        syms = self._sized
        if syms is None:
            found = sorted((s.value, s.size, s.name) for s in self.elf.symbols
                           if s.is_defined and s.size and s.value)
            syms = self._sized = ([v for v, _, _ in found], found)
        return syms

    def describe(self, addr: int) -> str:
        """``name+0xoff`` of the dynamic symbol whose bytes hold ``addr``, else its address."""
        starts, found = self._sized_symbols()
        i = bisect.bisect_right(starts, addr) - 1
        if i >= 0 and addr < found[i][0] + found[i][1]:
            off = addr - found[i][0]
            return found[i][2] + (f"+{off:#x}" if off else "")
        return f"{addr:#x}"

    def at(self, site: int) -> str:
        """``0x1234 (in name)`` for a reason: the address, and the exported function around
        it when there is one."""
        where = self.describe(site)
        return f"{site:#x}" if where.startswith("0x") else f"{site:#x} (in {where.split('+')[0]})"

    def word(self, addr: int) -> int | None:
        raw = self.read(addr, 8)
        if raw is None or len(raw) != 8:
            return None
        return int.from_bytes(raw, "little" if self.elf.header.little_endian else "big")

    # -- phase 1: decode every function once --

    def decode_all(self) -> list[int]:
        """Decode each function, record its direct edges; the functions the data-flow must see.

        A function whose last instruction falls through its FDE's end goes on to the next
        FDE (or 512 bytes at most): glibc's assembly ends the unwind data before code it
        cannot describe (clone3's ``syscall`` and the child's path after it)."""
        control = self.sem.control
        x86 = self.arch == "x86_64"
        need_flow = []
        data, image = self.image.data, self.image
        raw_edges: list[tuple[int, int, int, str]] = []  # (node, site, target, kind)
        jumps_away: set[int] = set()
        falls_into: list[tuple[int, int]] = []  # (node, the next one its code runs into)
        for node, fn in enumerate(self.functions):
            if any(lo <= fn.start < hi for lo, hi in self.plt):
                continue  # the PLT's own FDE: its entries are followed one by one
            sec = image.section_of(fn.start)
            if sec is None or fn.end > sec.addr + sec.size:
                self.graph.unk[node] |= self.reason(f"function at {fn.start:#x} has no bytes")
                continue
            off = sec.offset + fn.start - sec.addr
            insns = list(self.md.disasm_lite(data[off : off + fn.end - fn.start], fn.start))
            # (a call last is to a function that does not return: __stack_chk_fail)
            if insns and control(insns[-1][2], insns[-1][3])[0] not in _ENDS + ("call", "icall"):
                nxt = self.starts[node + 1] if node + 1 < len(self.starts) else None
                limit = min(nxt if nxt is not None else fn.end + 512, fn.end + 512,
                            sec.addr + sec.size)
                at = insns[-1][0] + insns[-1][1]
                more = list(self.md.disasm_lite(data[off + at - fn.start : off + limit - fn.start],
                                                at))
                if nxt is not None and limit == nxt:
                    self.ends[node] = nxt
                    if more and control(more[-1][2], more[-1][3])[0] not in _ENDS + (
                            "call", "icall") and not flow.is_padding(more[-1]):
                        falls_into.append((node, nxt))
                else:  # up to the first instruction that does not fall through
                    k = next((i for i, x in enumerate(more)
                              if control(x[2], x[3])[0] in _ENDS), len(more) - 1)
                    more = more[: k + 1]
                    if more:
                        self.ends[node] = more[-1][0] + more[-1][1]
                insns += more
            flagged = returns = False
            for ins in insns:
                kind, target = control(ins[2], ins[3])
                if kind is None:
                    continue
                if kind == "syscall":
                    flagged = True
                elif kind == "ret":
                    returns = True
                elif kind in ("call", "jmp", "jcc"):
                    if target is not None:
                        raw_edges.append((node, ins[0], target, kind))
                elif kind in ("icall", "ijmp"):
                    o = ins[3]
                    if x86 and o.startswith("qword ptr [rip"):
                        mem = flow._x86_mem(o, ins[0], ins[1])
                        if mem is not None:
                            self.edge(node, ins[0], ("got", mem[1]), kind == "ijmp")
                            continue
                    flagged = True
                    if kind == "ijmp":
                        jumps_away.add(node)  # (until the data-flow bounds it)
            self.graph.returns[node] = self.graph.has_ret[node] = returns
            if flagged:
                self.code[node] = insns
                need_flow.append(node)
        for node, site, target, kind in raw_edges:  # now that every function's end is known
            if not self.starts[node] <= target < self.ends[node]:
                self.edge(node, site, ("addr", target), kind != "call")
                self.callers.setdefault(target, set()).add((node, site))
        for node, nxt in falls_into:
            self.edge(node, nxt, ("addr", nxt), True)
        # the functions that cannot return, as far as their code shows before any data-flow
        # (no ret, no indirect jump, tail calls only among them): a call of one ends a block
        g = self.graph
        noreturn = {n for n, r in enumerate(g.has_ret) if not r and n < len(self.functions)
                    and n not in jumps_away and not g.escapes[n]}
        changed = True
        while changed:
            changed = False
            for n in list(noreturn):
                if any(t not in noreturn for t in g.tails[n]):
                    noreturn.discard(n)
                    changed = True
        self.noreturn_calls = frozenset(self.starts[n] for n in noreturn)
        return need_flow

    # -- resolution of targets --

    def edge(self, node: int, site: int, atom: tuple, jump: bool = False) -> None:
        """Add what ``atom`` (an address, a slot) resolves to as a successor of ``node``
        (``jump``: reached by a jump, a tail call)."""
        kind, value = self.resolve(atom)
        if kind == "node":
            if value != node:
                self.graph.succ[node].add(value)
                if jump:
                    self.graph.tails[node].add(value)
        elif kind == "vdso":
            self.graph.vdso[node] |= self.vdso_bit(value)
        else:
            self.graph.unk[node] |= self.reason(value.replace("@SITE", self.at(site)))
            if jump:
                self.graph.returns[node] = True  # an unknown tail call may return
                self.graph.escapes[node] = True

    def resolve(self, atom: tuple) -> tuple[str, Any]:
        """("node", id), ("vdso", name) or ("unknown", reason with @SITE)."""
        got = self.resolved.get(atom)
        if got is None:
            got = self.resolved[atom] = self._resolve(atom)
        return got

    def _resolve(self, atom: tuple) -> tuple[str, Any]:
        kind = atom[0]
        if kind == "addr":
            return self._resolve_address(atom[1])
        if kind == "got":
            return self._resolve_slot(atom[1])
        if kind == "field":
            slot, off = atom[1], atom[2]
            sym = self._slot_symbol(slot)
            if sym is not None and sym.name == "_rtld_global_ro":
                name = self.vdso_slots().get(off)
                if name is not None:
                    return "vdso", name
                return "unknown", f"call through _rtld_global_ro+{off:#x} at @SITE"
            return "unknown", f"call through a pointer loaded from memory at @SITE"
        if kind == "jtarget":
            return "unknown", f"jump table at @SITE not bounded inside its function"
        return "unknown", "indirect call at @SITE"

    def _resolve_address(self, addr: int) -> tuple[str, Any]:
        for lo, hi in self.plt:  # (before the FDEs: ld describes a whole PLT with one)
            if lo <= addr < hi:
                slot = self._plt_slot(addr)
                if slot is None:
                    return "unknown", f"PLT entry {addr:#x} not understood (@SITE)"
                return self._resolve_slot(slot)
        node = self.function_at(addr)
        if node is not None:
            return "node", node
        sym = next((s for s in self.elf.symbols if s.value == addr and s.size and s.is_defined
                    and s.is_function), None)
        if sym is not None:
            return "node", self._stray_node(sym.value, sym.value + sym.size)
        return "unknown", f"branch to {addr:#x} outside any function's bounds (@SITE)"

    def _stray_node(self, start: int, end: int) -> int:
        """A node for a function the unwind data does not describe (its symbol's size)."""
        node = self.stray_nodes.get(start)
        if node is None:
            node = self.stray_nodes[start] = self.graph.add()
            from ..elf.image import Function

            self.extra_bounds[node] = Function(start, end)
            raw = self.read(start, end - start) or b""
            insns = list(self.md.disasm_lite(raw, start))
            self.code[node] = insns
            for ins in insns:
                kind, target = self.sem.control(ins[2], ins[3])
                if kind in ("call", "jmp", "jcc") and target is not None and not start <= target < end:
                    self.edge(node, ins[0], ("addr", target), kind != "call")
            self.pending_flow.append(node)
        return node

    def _plt_slot(self, addr: int) -> int | None:
        """The GOT slot the PLT entry at ``addr`` jumps through (x86_64 ``jmp [rip + d]``;
        aarch64 ``adrp x16`` + ``ldr x17, [x16, #off]``)."""
        hi = next(h for lo, h in self.plt if lo <= addr < h)
        raw = self.read(addr, min(16, hi - addr))
        if raw is None:
            return None
        page = None
        for a, s, m, o in self.md.disasm_lite(raw, addr):
            if self.arch == "x86_64":
                if flow.x86_mnemonic(m) == "jmp" and "[rip" in o:
                    xmem = flow._x86_mem(o, a, s)
                    return None if xmem is None else xmem[1]
            else:
                regs, mem, _ = flow._a64_operands(o)
                if m == "adrp" and len(regs) == 2:
                    page = flow._imm(regs[1])
                elif m == "ldr" and mem and page is not None:
                    off = flow._imm(mem[1]) if len(mem) == 2 else 0
                    return None if off is None else page + off
        return None

    def _slot_symbol(self, slot: int) -> Symbol | None:
        r = self.relocs.get(slot)
        if r is None or not r[1]:
            return None
        syms = self.elf.symbols
        return syms[r[1]] if r[1] < len(syms) else None

    def _resolve_slot(self, slot: int) -> tuple[str, Any]:
        abs64, glob_dat, jump_slot, relative, irelative = _RELOCS[self.arch]
        r = self.relocs.get(slot)
        if r is not None:
            rtype, index, addend = r
            if rtype in (abs64, glob_dat, jump_slot) and index:
                sym = self._slot_symbol(slot)
                if sym is None:
                    return "unknown", f"GOT slot {slot:#x} names no symbol (@SITE)"
                if not sym.is_defined:
                    return "node", self._import_node(sym)
                if sym.is_ifunc:
                    return "node", self._ifunc_node(sym.value)
                if not sym.is_function:
                    return "unknown", f"call through data {sym.name} at @SITE"
                return self._resolve_address(sym.value + (addend if rtype == abs64 else 0))
            if rtype == irelative:
                return "node", self._ifunc_node(addend)
            if rtype == relative:
                return self._resolve_address(addend)
        value = self.word(slot)  # RELR (the address is in place) or a static pointer
        if value and self.function_at(value) is not None:
            return "node", self.function_at(value)
        return "unknown", f"call through {self.describe(slot)} (set at run time) at @SITE"

    # -- IFUNC --

    def _ifunc_node(self, resolver: int) -> int:
        node = self.ifunc_nodes.get(resolver)
        if node is not None:
            return node
        node = self.ifunc_nodes[resolver] = self.graph.add()
        fn_node = self.function_at(resolver)
        if fn_node is None:
            self.graph.unk[node] |= self.reason(f"IFUNC resolver {resolver:#x} outside any "
                                                "function")
            return node
        fn = self.bounds(fn_node)
        insns = self.code.get(fn_node) or self._decode(fn.start, fn.end)
        result = self._flow(fn_node, insns, fn.start, fn.end)
        variants: set[int] = set()
        undetermined = vdso = False
        for value in result.returns:
            for atom in value or ((None,),):
                if isinstance(atom, tuple) and atom[0] == "addr" and self.function_at(atom[1]) is not None:
                    variants.add(atom[1])
                elif isinstance(atom, tuple) and atom[0] == "field":
                    kind, name = self.resolve(atom)
                    if kind == "vdso":
                        self.graph.vdso[node] |= self.vdso_bit(name)
                        vdso = True
                    else:
                        undetermined = True
                else:
                    undetermined = True
        for a in result.addresses:  # every function address the resolver computes
            if a in self.start_set:
                variants.add(a)
            elif undetermined and not vdso:
                raw = self.read(a, 32) or b""
                if raw.startswith(_VDSO_PREFIXES):  # it looks a vDSO symbol up itself
                    self.graph.vdso[node] |= self.vdso_bit(
                        raw.split(b"\0")[0].split(b"_", 3)[-1].decode("ascii", "replace"))
                    vdso = True
        for v in variants:
            if v != resolver:
                self.edge(node, resolver, ("addr", v))
        if not variants and not vdso:
            self.graph.unk[node] |= self.reason(f"IFUNC resolver {resolver:#x}: its result "
                                                "is not determined")
        return node

    def _decode(self, start: int, end: int) -> list[tuple]:
        raw = self.read(start, end - start) or b""
        return list(self.md.disasm_lite(raw, start))

    # -- imports --

    def _import_node(self, sym: Symbol) -> int:
        version = sym.version.name if sym.version is not None else None
        needed_from = sym.version.needed_from if sym.version is not None else None
        key = (sym.name, version, needed_from)
        node = self.import_nodes.get(key)
        if node is not None:
            return node
        node = self.import_nodes[key] = self.graph.add()
        label = f"{sym.name}@{version}" if version else sym.name
        sonames = [needed_from] if needed_from else list(self.elf.needed)
        fp = None
        where = None
        for soname in sonames:
            lib = self._dependency(soname)
            if lib is None:
                continue
            fp = lib.lookup(sym.name, version) or (lib.lookup(sym.name) if version is None else None)
            if fp is not None:
                where = soname
                pair = (sym.name, version if version is not None else lib.defaults.get(sym.name))
                if pair in lib.exceptional:
                    self.graph.exceptional_import[node] = True
                break
        if fp is None:
            missing = ", ".join(s for s in sonames if self.deps.get(s) is None) or "its library"
            self.graph.unk[node] |= self.reason(f"import {label} (not found: {missing})")
            return node
        for name in fp.syscalls:
            number = self.numbers_by_name.get(name)
            if number is not None:
                self.graph.sys[node] |= 1 << number
        if fp.vdso:
            self.graph.vdso[node] |= self.vdso_bit(f"via {where}")
        for text in fp.unknown:
            for prefix, params in ((NUMBER_ARGUMENT, self.graph.sys_params),
                                   (CALLS_ARGUMENT, self.graph.cb_params)):
                if text.startswith(prefix + " ("):  # evaluated at each call instead
                    params[node] = _parse_locations(text[len(prefix) + 2 : -1])
                    break
            else:
                self.graph.unk[node] |= self.reason(f"{where} {sym.name}: {text}")
        return node

    def _dependency(self, soname: str) -> LibraryFootprint | None:
        if soname in self.deps:
            return self.deps[soname]
        lib = None
        path = find_beside(self.path, soname)
        if path is not None and os.path.realpath(path) not in self.stack:
            try:
                lib = library_footprint(path, use_cache=self.use_cache, _stack=self.stack)
            except ElfError:
                lib = None
        self.deps[soname] = lib
        return lib

    def vdso_slots(self) -> dict[int, str]:
        if self._vdso_slots is None:
            self._vdso_slots = {}
            for soname in self.elf.needed:
                path = find_beside(self.path, soname)
                if path is None:
                    continue
                try:
                    from ..elf import read_elf
                    from ..elf.image import Image

                    ld = Image(read_elf(path, relocations=False))
                except (ElfError, OSError):
                    continue
                if any(s.name == "_rtld_global_ro" for s in ld.elf.exports()):
                    self._vdso_slots = vdso_slots(ld, self.arch)
                    break
        return self._vdso_slots

    # -- phase 2: the data-flow --

    def _flow(self, node: int, insns: list[tuple], start: int, end: int) -> flow.FlowResult:
        self.flow_runs += 1
        return flow.analyse(self.sem, insns, start, end, param_map=self.param_map,
                            read=self.read, noreturn=self.noreturn_calls)

    def bounds(self, node: int) -> Function:
        """The code of ``node``: its FDE's range (extended where its code runs past it)."""
        if node < len(self.functions):
            fn = self.functions[node]
            return fn if fn.end == self.ends[node] else fn._replace(end=self.ends[node])
        return self.extra_bounds[node]

    def run_flow(self, node: int) -> None:
        """Analyse ``node``'s code; record its syscalls, parameters, indirect edges."""
        fn = self.bounds(node)
        result = self._flow(node, self.code[node], fn.start, fn.end)
        g = self.graph
        sys_params: set = set()
        cb_params: set = set()
        sys_bits = unk = 0

        def numbers(value, site: int, what: str) -> None:
            nonlocal sys_bits, unk
            for atom in value or (None,):
                if isinstance(atom, int) and 0 <= atom < 4096:
                    sys_bits |= 1 << atom
                elif isinstance(atom, tuple) and atom[0] == "arg":
                    sys_params.add(atom[1])
                else:
                    unk |= self.reason(f"{what} at {self.at(site)} not determined")

        for site, value in result.syscalls:
            numbers(value, site, "syscall number")
        for site, target, _kind, values in result.param_calls:
            callee = self.resolve(("addr", target))
            if callee[0] != "node":
                continue
            sys_locs, cb_locs = g.sys_params[callee[1]], g.cb_params[callee[1]]
            for loc, value in values.items():
                if loc in sys_locs:
                    numbers(value, site, "syscall number passed")
                if loc in cb_locs:
                    for atom in value or (None,):
                        if isinstance(atom, tuple) and atom[0] == "arg":
                            cb_params.add(atom[1])
                        elif isinstance(atom, tuple):
                            self.edge(node, site, atom)
                        else:
                            unk |= self.reason(f"function pointer passed at {self.at(site)} not "
                                               "determined")
        for site, kind, value in result.indirect:
            if kind == "jmp":
                g.returns[node] = True  # (a bounded jump table is not in this list)
                g.escapes[node] = True
            for atom in value or (None,):
                if isinstance(atom, tuple) and atom[0] == "arg":
                    cb_params.add(atom[1])  # its callers say what it calls
                elif isinstance(atom, tuple):
                    self.edge(node, site, atom, kind == "jmp")
                else:
                    unk |= self.reason(f"indirect {kind} at {self.at(site)}")
        g.sys[node] |= sys_bits
        g.unk[node] |= unk
        self.set_params(node, frozenset(sys_params) | g.sys_params[node],
                        frozenset(cb_params) | g.cb_params[node])

    def set_params(self, node: int, sys_params: frozenset, cb_params: frozenset) -> None:
        """``node`` takes a syscall number or a function to call in these entry locations:
        its callers are analysed again to evaluate them."""
        g = self.graph
        if sys_params == g.sys_params[node] and cb_params == g.cb_params[node]:
            return
        g.sys_params[node], g.cb_params[node] = sys_params, cb_params
        for target in self.node_targets.get(node, ()):
            self.param_map[target] = sys_params | cb_params
        self.param_changed.append(node)

    def run(self) -> LibraryFootprint:
        need = self.decode_all()
        for target in self.callers:
            kind, node = self.resolve(("addr", target))
            if kind == "node" and (node >= len(self.functions)
                                   or self.functions[node].start == target):
                self.node_targets.setdefault(node, set()).add(target)
                params = self.graph.sys_params[node] | self.graph.cb_params[node]
                if params:  # an import that takes a syscall number or a callback
                    self.param_map[target] = params
                    self.param_changed.append(node)
        for node in need:
            self.run_flow(node)
        while self.pending_flow:
            self.run_flow(self.pending_flow.pop())
        # parametric functions: their callers evaluate the arguments, until nothing changes
        rounds = 0
        while self.param_changed and rounds < 64:
            rounds += 1
            changed, self.param_changed = self.param_changed, []
            redo = set()
            for callee in changed:
                for target in self.node_targets.get(callee, ()):
                    for caller, _site in self.callers.get(target, ()):
                        redo.add(caller)
            for caller in sorted(redo):
                if caller not in self.code:
                    fn = self.bounds(caller)
                    self.code[caller] = self._decode(fn.start, fn.end)
                self.run_flow(caller)
            while self.pending_flow:
                self.run_flow(self.pending_flow.pop())
        # the exports
        exports: dict[tuple[str, str | None], int] = {}
        defaults: dict[str, str | None] = {}
        for s in self.elf.exports():
            if not s.is_function:
                continue
            node = self._ifunc_node(s.value) if s.is_ifunc else None
            if node is None:
                kind, value = self._resolve_address(s.value)
                if kind != "node":
                    node = self.graph.add()
                    self.graph.unk[node] |= self.reason(str(value).replace("@SITE", "entry"))
                else:
                    node = value
            pair = (s.name, s.version.name if s.version is not None else None)
            exports[pair] = node
            if s.version is None or s.version.is_default:
                defaults[s.name] = pair[1]
        while self.pending_flow:
            self.run_flow(self.pending_flow.pop())
        self.exceptional = self.exceptional_nodes(exports)
        closure = self.closure(self.exceptional)
        by_pair: dict[tuple[str, str | None], Footprint] = {}
        memo: dict[int, Footprint] = {}
        entries = set(exports.values())
        for pair, node in exports.items():
            fp = memo.get(node)
            if fp is None:
                fp = memo[node] = self.footprint(node, closure)._replace(
                    direct=self.direct(node, entries))
            by_pair[pair] = fp
        deps = tuple(sorted((lib.path, lib.build_id) for lib in self.deps.values()
                            if lib is not None))
        exceptional = frozenset(pair for pair, node in exports.items()
                                if node in self.exceptional)
        return LibraryFootprint(self.path, self.build_id, self.arch, self.elf.soname, by_pair,
                                defaults, deps, exceptional=exceptional)

    def exceptional_nodes(self, exports: dict[tuple[str, str | None], int]) -> set[int]:
        """The nodes of glibc's no-return paths that a footprint leaves out (and flags):

        - the anchors: abort(), pthread_exit() (a thread's end), the imports the other
          library says are such, and what pthread_exit calls that cannot return either
          (__do_cancel, __pthread_unwind, the forced-unwind trampoline);
        - then every function that cannot return (no ``ret``, no indirect jump nothing
          bounds, tail calls only into functions that cannot return either), can reach an
          anchor, and calls no function that cannot return but these (so not exit, _exit,
          longjmp's __longjmp …): __libc_fatal, __fortify_fail, __stack_chk_fail,
          __chk_fail, __assert_fail, malloc_printerr, __do_cancel.

        So a cancellation point (read) does not list what acting on a pending cancel does
        (unwinding through libgcc_s), nor a function with a stack protector what abort()
        does; their footprints say ``exceptional``."""
        g = self.graph
        noreturn = {i for i, r in enumerate(g.returns) if not r}
        changed = True
        while changed:  # the greatest set closed under "jumps only into the set"
            changed = False
            for i in list(noreturn):
                if any(t not in noreturn for t in g.tails[i]):
                    noreturn.discard(i)
                    changed = True
        no_ret = {i for i, r in enumerate(g.has_ret) if not r}
        seeds = {node for (name, _v), node in exports.items() if name == "abort"}
        seeds |= {i for i, f in enumerate(g.exceptional_import) if f}
        work = [node for (name, _v), node in exports.items() if name == "pthread_exit"]
        while work:  # pthread_exit and what it calls that cannot return
            v = work.pop()
            if v not in seeds:
                seeds.add(v)
                work += [w for w in g.succ[v] if w in no_ret and w not in seeds]
        if not seeds:
            return set()
        noreturn |= seeds
        preds: dict[int, list[int]] = {}
        for v, ws in enumerate(g.succ):
            for w in ws:
                preds.setdefault(w, []).append(v)
        reaches = set(seeds)  # the nodes from which an anchor can be reached
        work = list(seeds)
        while work:
            for v in preds.get(work.pop(), ()):
                if v not in reaches:
                    reaches.add(v)
                    work.append(v)
        out = set(seeds)
        changed = True
        while changed:
            changed = False
            for i in (noreturn & reaches) - out:
                # every function it calls is such a path or can return (one that may not,
                # like longjmp's __longjmp with its final indirect jump, disqualifies it)
                if all(t in out or (t not in noreturn and not (g.escapes[t] and t in no_ret))
                       for t in g.succ[i]):
                    out.add(i)
                    changed = True
        return out

    def footprint(self, node: int, closure: tuple[list[int], ...]) -> Footprint:
        if node in self.exceptional:  # abort, __stack_chk_fail …: what they do, in full
            sys_bits, unk_bits, vdso_bits, exceptional = self.closure_from(node)
        else:
            sys_bits, unk_bits, vdso_bits, exceptional = (c[node] for c in closure)
        names = [self.numbers.get(n, f"syscall_{n}") for n in _bits(sys_bits)]
        own = self.graph.unk[node]
        order = list(_bits(own & unk_bits)) + [i for i in _bits(unk_bits & ~own)]
        reasons = [self.reasons[i] for i in order[:MAX_REASONS]]
        if len(order) > MAX_REASONS:
            reasons.append(f"... and {len(order) - MAX_REASONS} more unresolved sites")
        g = self.graph
        if g.cb_params[node]:
            reasons.insert(0, f"{CALLS_ARGUMENT} ({_locations(g.cb_params[node])})")
        if g.sys_params[node]:
            reasons.insert(0, f"{NUMBER_ARGUMENT} ({_locations(g.sys_params[node])})")
        return make_footprint(names, bool(vdso_bits), reasons, bool(exceptional))

    def direct(self, root: int, entries: set[int]) -> tuple[str, ...]:
        """The syscalls of ``root`` and of the nodes it reaches within `DIRECT_DEPTH` calls
        through nodes that are not exported functions' entries nor exceptional paths."""
        g = self.graph
        seen = {root}
        frontier = [root]
        bits = g.sys[root]
        for _ in range(DIRECT_DEPTH):
            nxt = []
            for v in frontier:
                for w in g.succ[v]:
                    if w in seen or w in self.exceptional:
                        continue
                    seen.add(w)
                    bits |= g.sys[w]
                    nxt.append(w)
            frontier = nxt
        return tuple(sorted(self.numbers.get(n, f"syscall_{n}") for n in _bits(bits)))

    def closure_from(self, root: int) -> tuple[int, int, int, int]:
        """Everything reachable from ``root``, the exceptional paths included."""
        g = self.graph
        seen = {root}
        work = [root]
        s = u = d = 0
        while work:
            v = work.pop()
            s |= g.sys[v]
            u |= g.unk[v]
            d |= g.vdso[v]
            for w in g.succ[v]:
                if w not in seen:
                    seen.add(w)
                    work.append(w)
        return s, u, d, 1

    def closure(self, cut: set[int]) -> tuple[list[int], list[int], list[int], list[int]]:
        """Per node, the union over everything reachable without entering a node of ``cut``
        (reaching one sets the 4th value, "exceptional"). Iterative Tarjan: the SCCs come out
        callees first."""
        g = self.graph
        n = len(g.succ)
        succ = [sorted(w for w in s if w not in cut) for s in g.succ]
        enters_cut = [any(w in cut for w in s) for s in g.succ]
        index = [-1] * n
        low = [0] * n
        on_stack = [False] * n
        stack: list[int] = []
        comp = [-1] * n
        sys_c, unk_c, vdso_c = list(g.sys), list(g.unk), list(g.vdso)
        abort_c = [int(x) for x in enters_cut]
        counter = 0
        for root in range(n):
            if index[root] >= 0:
                continue
            work = [(root, 0)]
            index[root] = low[root] = counter
            counter += 1
            stack.append(root)
            on_stack[root] = True
            while work:
                v, i = work[-1]
                if i < len(succ[v]):
                    work[-1] = (v, i + 1)
                    w = succ[v][i]
                    if index[w] < 0:
                        index[w] = low[w] = counter
                        counter += 1
                        stack.append(w)
                        on_stack[w] = True
                        work.append((w, 0))
                    elif on_stack[w]:
                        low[v] = min(low[v], index[w])
                    continue
                work.pop()
                if work:
                    u = work[-1][0]
                    low[u] = min(low[u], low[v])
                if low[v] == index[v]:
                    members = []
                    while True:
                        w = stack.pop()
                        on_stack[w] = False
                        comp[w] = v
                        members.append(w)
                        if w == v:
                            break
                    s = un = d = a = 0
                    for w in members:
                        s |= g.sys[w]
                        un |= g.unk[w]
                        d |= g.vdso[w]
                        a |= abort_c[w]
                        for x in succ[w]:
                            if comp[x] != v:  # an SCC finished before: its closure is final
                                s |= sys_c[x]
                                un |= unk_c[x]
                                d |= vdso_c[x]
                                a |= abort_c[x]
                    for w in members:
                        sys_c[w], unk_c[w], vdso_c[w], abort_c[w] = s, un, d, a
        return sys_c, unk_c, vdso_c, abort_c


NUMBER_ARGUMENT = "the syscall number is an argument"
CALLS_ARGUMENT = "calls a function given as an argument"


def _locations(locs) -> str:
    return ", ".join(p if isinstance(p, str) else f"stack argument at +{p:#x}"
                     for p in sorted(locs, key=str))


def _parse_locations(text: str) -> frozenset:
    """The locations `_locations` wrote (in a reason of an imported function)."""
    out: set[int | str] = set()
    for part in text.split(", "):
        if part.startswith("stack argument at +"):
            out.add(int(part[len("stack argument at +"):], 16))
        elif part:
            out.add(part)
    return frozenset(out)


def _bits(value: int):
    i = 0
    while value:
        if value & 1:
            yield i
        value >>= 1
        i += 1


def _numbers(arch: str) -> dict[int, str]:
    from .numbers import NAMES

    return NAMES[arch]


def library_footprint(path: str, *, use_cache: bool = True, _stack: tuple = ()) -> LibraryFootprint:
    """The footprint of every exported function of the glibc library at ``path`` (libc.so.6,
    libm.so.6, ld.so …), from the cache when it holds this build's (see `cache`)."""
    from . import cache

    if use_cache:
        found = cache.load(path)
        if found is not None:
            return found
    try:
        result = Analysis(path, use_cache=use_cache, _stack=_stack).run()
    except (ValueError, IndexError, KeyError, TypeError, OverflowError, MemoryError,
            RecursionError) as exc:  # a file damaged in a way no check above foresaw
        raise FootprintError(path, f"could not be analysed ({type(exc).__name__}: {exc})") \
            from None
    if use_cache:
        cache.store(result)
    return result


__all__ = ["Analysis", "Footprint", "FootprintError", "LibraryFootprint", "MACHINES",
           "check_library", "library_footprint", "make_footprint", "vdso_slots"]
