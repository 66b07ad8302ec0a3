"""What one function's machine code does that a system-call footprint needs: its branches, and,
for the functions that need it, a small abstract interpretation of its registers.

Instructions are capstone's "lite" tuples ``(address, size, mnemonic, operands)`` (no detail
objects: the whole of libc.so.6 decodes in a quarter of a second that way), read as text.

`control` says what an instruction does to the control flow. `analyse` runs a forward data-flow
over the function's basic blocks with, per register (and, on x86_64, per stack slot relative to
the entry stack pointer), a small set of possible values or "unknown":

  int                        a constant (``mov eax, 0xe4``; ``mov x8, #0x3f``)
  ("arg", loc)               the value ``loc`` held at the function's entry: an argument
                             register, or on x86_64 the stack slot ``loc`` bytes above the
                             return address (a 7th argument: ``__syscall_cancel``'s number)
  ("addr", A)                the address A (``lea r, [rip + d]``; ``adrp`` + ``add``; ``adr``)
  ("got", A)                 the word loaded from address A (a GOT slot, a table entry)
  ("field", A, off)          the word at offset ``off`` of what the word at A points to
                             (``_rtld_global_ro``'s vDSO pointers, hooks)
  ("jt", T, size, signed)    an entry of the table at T, indexed by something unknown
  ("jtarget", T, base, shift, size, signed[, spread])
                             a jump-table target: base + (entry << shift) (x86_64:
                             base = T); spread: the base is anywhere in [base, base+spread]
  ("range", lo, hi)          a bounded integer (``and ecx, 0xf``; ``movzx`` of a byte)
  ("arange", lo, hi)         an address in [lo, hi] (a computed jump into the function)
  ("tptr", T, stride), ("tentry", T, size), ("jself", T, size, signed)
                             aarch64's self-relative tables: a pointer into T, its entry,
                             and the entry plus its own address
  ("sp", k)                  aarch64: the stack pointer at entry plus k

At the end it reports, for each ``syscall``/``svc`` the possible numbers, for each indirect
call or jump the possible targets, for each return the possible results (an IFUNC resolver's
answer), the argument values at calls of functions whose syscall number is an argument, the
addresses the code computes, and the jump tables it bounded. Joins are unions capped at
`MAX_VALUES` values (jump targets of one table are widened to a spread of bases); anything
else is "unknown" (None). The spreads can grow without end (a jump target kept in a slot a
loop increments: bullseye's aarch64 __vfscanf_internal), so once a block's entry state has
changed `WIDEN_AFTER` times, whatever changes in it again becomes unknown: each later change
drops a register or slot, and the fixpoint is reached after a bounded number of rounds,
whatever the values do (unknown is always a sound answer: a syscall number or indirect target
it reaches is reported as undetermined). A conditional branch after ``test r, r``/``cmp r,
imm`` (``cbz`` on aarch64) refines r on the edge where they are equal, and a call of a
function that cannot return ends its block (the compiler put nothing meant to run after it).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

MAX_VALUES = 16
MAX_TABLE = 4096  # jump-table entries read at most
# a block whose entry state changed this many times: what changes again becomes unknown (a
# widening; glibc's functions need at most ~50 changes of one block to reach their fixpoint)
WIDEN_AFTER = 128

# --- x86_64 -----------------------------------------------------------------------------------

_GPR = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp") + tuple(f"r{i}" for i in range(8, 16))
X86_REG: dict[str, str] = {}  # every name of a general register -> its 64-bit name
X86_PARTIAL: set[str] = set()  # 8- and 16-bit names (a write keeps the other bits)
for _r in ("a", "b", "c", "d"):
    X86_REG.update({f"r{_r}x": f"r{_r}x", f"e{_r}x": f"r{_r}x", f"{_r}x": f"r{_r}x",
                    f"{_r}l": f"r{_r}x", f"{_r}h": f"r{_r}x"})
    X86_PARTIAL.update({f"{_r}x", f"{_r}l", f"{_r}h"})
for _r in ("si", "di", "bp", "sp"):
    X86_REG.update({f"r{_r}": f"r{_r}", f"e{_r}": f"r{_r}", _r: f"r{_r}", f"{_r}l": f"r{_r}"})
    X86_PARTIAL.update({_r, f"{_r}l"})
for _i in range(8, 16):
    X86_REG.update({f"r{_i}": f"r{_i}", f"r{_i}d": f"r{_i}", f"r{_i}w": f"r{_i}",
                    f"r{_i}b": f"r{_i}"})
    X86_PARTIAL.update({f"r{_i}w", f"r{_i}b"})
X86_ARGS = ("rdi", "rsi", "rdx", "rcx", "r8", "r9")
X86_CLOBBERED = ("rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11")
_X86_PREFIXES = ("lock ", "rep ", "repz ", "repe ", "repnz ", "repne ", "notrack ", "bnd ",
                 "xacquire ", "xrelease ")
_X86_STOP = {"hlt", "ud2", "ud1", "ud0", "int3"}
# instructions that write registers their operands do not name
_X86_IMPLICIT = {
    "cpuid": ("rax", "rbx", "rcx", "rdx"), "rdtsc": ("rax", "rdx"), "rdtscp": ("rax", "rdx", "rcx"),
    "xgetbv": ("rax", "rdx"), "rdpkru": ("rax", "rdx"), "mul": ("rax", "rdx"),
    "div": ("rax", "rdx"), "idiv": ("rax", "rdx"), "cdq": ("rdx",), "cqo": ("rdx",),
    "cwd": ("rdx",), "cdqe": ("rax",), "cwde": ("rax",), "cbw": ("rax",), "lahf": ("rax",),
    "xlatb": ("rax",), "cmpxchg8b": ("rax", "rdx"), "cmpxchg16b": ("rax", "rdx"),
    "xbegin": ("rax",), "syscall": ("rax", "rcx", "r11"), "rdrand": (), "loop": ("rcx",),
    "loope": ("rcx",), "loopne": ("rcx",), "fnstsw": ("rax",), "rdsspq": (), "rdpid": (),
}
_X86_STRING = {"movsb", "movsw", "movsq", "stosb", "stosw", "stosd", "stosq", "lodsb", "lodsw",
               "lodsd", "lodsq", "scasb", "scasw", "scasd", "scasq", "cmpsb", "cmpsw", "cmpsd",
               "cmpsq", "insb", "insd", "outsb", "outsd"}
_X86_NOWRITE = {"cmp", "test", "bt", "push", "nop", "endbr64", "endbr32", "pause", "lfence",
                "mfence", "sfence", "ucomiss", "ucomisd", "comiss", "comisd", "ptest", "vptest",
                "wrpkru", "xend", "xtest", "vzeroupper", "clflush", "prefetcht0", "prefetcht1",
                "prefetcht2", "prefetchnta", "prefetchw", "out", "kortestd", "kortestq",
                "ktestd", "ktestq", "xabort", "fldcw", "ldmxcsr", "stmxcsr", "fnstcw", "wait"}


_WIDTHS = {"byte": 1, "word": 2, "dword": 4, "qword": 8, "xmmword": 16, "ymmword": 32,
           "zmmword": 64, "xword": 10, "tbyte": 10}


def x86_mnemonic(m: str) -> str:
    """The mnemonic without its prefixes (``lock cmpxchg`` -> ``cmpxchg``)."""
    while " " in m and m.startswith(_X86_PREFIXES):
        m = m.split(" ", 1)[1]
    return m


def x86_control(m: str, o: str) -> tuple[str | None, int | None]:
    """(kind, direct target) of an x86_64 instruction: kind one of ``call``, ``jmp``, ``jcc``,
    ``icall``, ``ijmp`` (indirect), ``ret``, ``stop``, ``syscall`` or None."""
    c = m[0]
    if c in "jcrsuhilxn" or " " in m:
        m = x86_mnemonic(m)
        if m == "call":
            return ("call", int(o, 16)) if o.startswith("0x") else ("icall", None)
        if m == "jmp":
            return ("jmp", int(o, 16)) if o.startswith("0x") else ("ijmp", None)
        if m[0] == "j" or m in ("loop", "loope", "loopne", "xbegin"):
            return ("jcc", int(o, 16)) if o.startswith("0x") else ("ijmp", None)
        if m == "ret" or m == "retf":
            return "ret", None
        if m == "syscall":
            return "syscall", None
        if m in _X86_STOP:
            return "stop", None
    return None, None


def _x86_mem(o: str, addr: int, size: int) -> tuple[str | None, int, str | None, int] | None:
    """(base, displacement, index, scale) of the memory operand ``o``; None for a segment
    (fs:/gs:) or an absolute form. A rip base is resolved: (``"abs"``, address, None, 0)."""
    if "rip" in o:
        got = _x86_mem_parse(o)
        return None if got is None else ("abs", addr + size + got[1], None, 0)
    got = _X86_PARSED.get(o, 0)
    if got == 0:
        got = _x86_mem_parse(o)
        if len(_X86_PARSED) < 200_000:
            _X86_PARSED[o] = got
    return got


_X86_PARSED: dict[str, Any] = {}


def _x86_mem_parse(o: str) -> tuple[str | None, int, str | None, int] | None:
    i = o.find("[")
    if i < 0 or (i > 0 and o[i - 1] == ":"):
        return None
    base = index = None
    disp, scale = 0, 0
    for term in o[i + 1 : -1].replace(" - ", " + -").split(" + "):
        if "*" in term:
            index, s = term.split("*")
            scale = int(s)
        elif term in X86_REG or term == "rip":
            if base is None:
                base = term
            else:
                index, scale = term, 1
        else:
            try:
                disp = int(term, 0)
            except ValueError:
                return None
    if base == "rip":
        return ("rip", disp, None, 0) if index is None else None
    return (X86_REG.get(base) if base else None), disp, (X86_REG.get(index) if index else None), scale


def _split(o: str) -> list[str]:
    return o.split(", ") if o else []


def _imm(text: str) -> int | None:
    if text.startswith("#"):
        text = text[1:]
    try:
        return int(text, 0)
    except ValueError:
        return None


def _one(v) -> frozenset:
    return frozenset((v,))


def _join_values(a, b):
    if a is None or b is None:
        return None
    if a is b or a == b:
        return a
    u = a | b
    return u if len(u) <= MAX_VALUES else _widen(u)


def _widen(values: frozenset):
    """Too many values: jump targets of one table, moved by different offsets (2.31's
    __memmove_ssse3: ``lea r9, [r9 + 0x27]``), become one with a spread of bases; anything
    else is unknown."""
    first = next(iter(values))
    if not (isinstance(first, tuple) and first[0] == "jtarget"):
        return None
    key = first[1:2] + first[3:6]
    lo, hi = first[2], first[2]
    for atom in values:
        if not (isinstance(atom, tuple) and atom[0] == "jtarget" and atom[1:2] + atom[3:6] == key):
            return None
        spread = atom[6] if len(atom) > 6 else 0
        lo, hi = min(lo, atom[2]), max(hi, atom[2] + spread)
    return _one(("jtarget", first[1], lo, first[3], first[4], first[5], hi - lo))


def _map_atoms(value, fn):
    """``fn`` over each atom; unknown when any atom maps to None."""
    if value is None:
        return None
    out = []
    for atom in value:
        r = fn(atom)
        if r is None:
            return None
        out.append(r)
    return frozenset(out)


class X86:
    """x86_64 semantics over capstone's Intel-syntax text."""

    name = "x86_64"
    syscall_register = "rax"
    return_register = "rax"

    @staticmethod
    def control(m: str, o: str) -> tuple[str | None, int | None]:
        return x86_control(m, o)

    @staticmethod
    def entry_state() -> dict:
        st: dict = {r: _one(("arg", r)) for r in X86_ARGS}
        st["sp"] = 0
        for k in range(8, 64, 8):  # stack arguments above the return address
            st[k] = _one(("arg", k))
        return st

    @staticmethod
    def loc_value(st: dict, loc, kind: str):
        """The value, at a call (``kind`` "call") or tail jump of the caller's state ``st``,
        of what the callee sees as ``loc`` at its entry."""
        if isinstance(loc, str):
            return st.get(loc)
        sp = st.get("sp")
        if sp is None:
            return None
        return st.get(sp + loc - (8 if kind == "call" else 0))

    def value(self, st: dict, op: str, addr: int, size: int, load_kind: str = "mov"):
        r = X86_REG.get(op)
        if r is not None:
            return None if op in X86_PARTIAL else st.get(r)
        if "[" in op:
            return self.load(st, op, addr, size, load_kind)
        v = _imm(op)
        return None if v is None else _one(v)

    @staticmethod
    def load(st: dict, op: str, addr: int, size: int, load_kind: str = "mov"):
        mem = _x86_mem(op, addr, size)
        if mem is None:
            return None
        base, disp, index, scale = mem
        if base == "abs":
            return _one(("got", disp))
        if index is not None:
            bv = st.get(base) if base else None
            if bv is not None and disp == 0 and scale in (1, 2, 4, 8) and op.startswith("dword"):
                return _map_atoms(bv, lambda a: ("jt", a[1], 4, load_kind == "movsxd")
                                  if isinstance(a, tuple) and a[0] == "addr" else None)
            return None
        if base == "rsp":
            sp = st.get("sp")
            return None if sp is None else st.get(sp + disp)
        if base is None:
            return None

        def through(atom):
            if isinstance(atom, tuple):
                if atom[0] == "got":
                    return ("field", atom[1], disp)
                if atom[0] == "addr":
                    return ("got", atom[1] + disp)
            return None

        return _map_atoms(st.get(base), through)

    @staticmethod
    def _clobber_stack(st: dict, lo: int, hi: int) -> None:
        for k in [k for k in st if isinstance(k, int) and lo <= k < hi]:
            del st[k]

    def _write_mem(self, st: dict, op: str, addr: int, size: int, value) -> None:
        mem = _x86_mem(op, addr, size)
        if mem is None or mem[0] != "rsp" or mem[2] is not None:
            return  # only rsp-relative slots are tracked
        sp = st.get("sp")
        if sp is None:
            return
        k = sp + mem[1]
        width = _WIDTHS.get(op.split(" ", 1)[0], 64)
        self._clobber_stack(st, k - 7, k + width)  # the slots the store overlaps
        if value is not None and width == 8:
            st[k] = value

    def _set(self, st: dict, op: str, value) -> None:
        r = X86_REG.get(op)
        if r is None:
            return
        if r == "rsp":
            st.pop("sp", None)
            self._clobber_stack(st, -(1 << 62), 1 << 62)
            return
        if value is None or op in X86_PARTIAL:
            st.pop(r, None)
        else:
            st[r] = value

    def transfer(self, st: dict, ins: tuple, events: list | None) -> None:
        addr, size, m, o = ins
        if " " in m:
            m = x86_mnemonic(m)
        ops = _split(o)
        if m == "mov" or m == "movabs":
            dst, src = ops[0], ops[1]
            if "[" in dst:
                self._write_mem(st, dst, addr, size, self.value(st, src, addr, size))
            else:
                self._set(st, dst, self.value(st, src, addr, size))
            return
        if m == "lea":
            mem = _x86_mem(ops[1], addr, size)
            if mem is not None and mem[0] not in (None, "abs", "rsp") and mem[2] is None:
                # lea r9, [r9 + 0x27]: a jump target or address moved on
                self._set(st, ops[0], _offset(st.get(mem[0]), mem[1]))
                return
            if mem is not None and mem[0] not in (None, "abs") and mem[2] is not None:
                # lea rcx, [r11 + rcx] (a table entry plus its base); lea r8d, [rcx + rcx*2]
                self._set(st, ops[0], _affine(st.get(mem[0]), st.get(mem[2]), mem[3], mem[1]))
                return
            if mem is not None and mem[0] == "abs":
                if events is not None:
                    events.append(("addr", addr, mem[1]))
                self._set(st, ops[0], _one(("addr", mem[1])))
            elif ops[0] == "rsp" and mem is not None and mem[0] == "rsp" and mem[2] is None \
                    and st.get("sp") is not None:
                st["sp"] += mem[1]
            else:
                self._set(st, ops[0], None)
            return
        if m == "push":
            sp = st.get("sp")
            value = self.value(st, ops[0], addr, size)
            if sp is not None:
                sp -= 8
                st["sp"] = sp
                self._clobber_stack(st, sp, sp + 8)
                if value is not None:
                    st[sp] = value
            return
        if m == "pop":
            sp = st.get("sp")
            value = None if sp is None else st.get(sp)
            if sp is not None:
                st["sp"] = sp + 8
            if "[" in ops[0]:
                self._write_mem(st, ops[0], addr, size, value)
            else:
                self._set(st, ops[0], value)
            return
        if m in ("xor", "sub") and len(ops) == 2 and ops[0] == ops[1] and ops[0] in X86_REG:
            self._set(st, ops[0], _one(0))
            return
        if (m == "add" or m == "sub") and ops and ops[0] == "rsp":
            v = _imm(ops[1])
            sp = st.get("sp")
            if v is not None and sp is not None:
                st["sp"] = sp + (v if m == "add" else -v)
            else:
                self._set(st, "rsp", None)
            return
        if m == "add" and len(ops) == 2 and ops[0] in X86_REG and ops[1] in X86_REG:
            a, b = st.get(X86_REG[ops[0]]), st.get(X86_REG[ops[1]])
            self._set(st, ops[0], _sum(a, b))
            return
        if m == "and" and len(ops) == 2 and ops[0] in X86_REG and ops[0] not in X86_PARTIAL:
            v = _imm(ops[1])
            self._set(st, ops[0], _one(("range", 0, v)) if v is not None and 0 <= v < 1 << 20
                      else None)
            return
        if m == "shl" and len(ops) == 2 and ops[0] in X86_REG and ops[0] not in X86_PARTIAL:
            v = _imm(ops[1])
            value = st.get(X86_REG[ops[0]])
            if v is not None and value is not None and len(value) == 1 and v < 16:
                (atom,) = value
                if isinstance(atom, tuple) and atom[0] == "range":
                    self._set(st, ops[0], _one(("range", atom[1] << v, atom[2] << v)))
                    return
            self._set(st, ops[0], None)
            return
        if m.startswith("cmov"):
            self._set(st, ops[0], _join_values(st.get(X86_REG.get(ops[0], "")),
                                               self.value(st, ops[1], addr, size)))
            return
        if m in ("movsxd", "movsx", "movzx"):
            value = self.load(st, ops[1], addr, size, m) if "[" in ops[1] else None
            if value is None and m == "movzx":  # a byte or word: a bounded index
                value = _one(("range", 0, 0xFF if ops[1].startswith("byte") else 0xFFFF))
            self._set(st, ops[0], value)
            return
        if m == "xchg":
            if ops[0] in X86_REG and ops[1] in X86_REG:
                a, b = self.value(st, ops[0], addr, size), self.value(st, ops[1], addr, size)
                self._set(st, ops[0], b)
                self._set(st, ops[1], a)
            else:
                for op in ops:
                    if "[" in op:
                        self._write_mem(st, op, addr, size, None)
                    else:
                        self._set(st, op, None)
            return
        if m == "call":
            for r in X86_CLOBBERED:
                st.pop(r, None)
            sp = st.get("sp")
            if sp is not None:  # the callee owns its stack arguments (below our return address)
                self._clobber_stack(st, sp, min(sp + 64, 0))
            return
        if m == "leave":
            self._set(st, "rsp", None)
            st.pop("rbp", None)
            return
        implicit = _X86_IMPLICIT.get(m)
        if implicit is not None:
            for r in implicit:
                st.pop(r, None)
        if m in _X86_STRING or (m == "movsd" and "[rsi]" in o):
            for r in ("rax", "rcx", "rsi", "rdi"):
                st.pop(r, None)
            return
        if m in ("cmpxchg", "xadd"):
            st.pop("rax", None)
            for op in ops:
                if op in X86_REG:
                    self._set(st, op, None)
        if m == "mulx" and len(ops) > 1:
            self._set(st, ops[1], None)
        if m in _X86_NOWRITE or not ops or m[0] == "j":
            return
        dst = ops[0]
        if "[" in dst:
            self._write_mem(st, dst, addr, size, None)
        elif dst in X86_REG:
            self._set(st, dst, None)

    @staticmethod
    def refine(st: dict, prev: tuple, branch: tuple, taken: bool) -> dict:
        """The state on one edge of ``je``/``jne`` after ``test r, r`` or ``cmp r, imm``:
        r is 0 (or imm) where they are equal (glibc's ``test eax, eax; jne`` single-thread
        check leaves eax 0 for the syscall that follows)."""
        m = branch[2]
        if m not in ("je", "jne") or prev[2] not in ("test", "cmp"):
            return st
        ops = _split(prev[3])
        if len(ops) != 2 or ops[0] not in X86_REG or ops[0] in X86_PARTIAL:
            return st
        value: int | None = 0
        if prev[2] == "test":
            if ops[1] != ops[0]:
                return st
        else:
            value = _imm(ops[1])
            if value is None:
                return st
        if taken != (m == "je"):
            return st
        r = X86_REG[ops[0]]
        old = st.get(r)
        if old is not None and value not in old:
            return st
        out = dict(st)
        out[r] = _one(value)
        return out

    def indirect_target(self, st: dict, ins: tuple):
        """The possible targets of an indirect call or jump."""
        addr, size, _m, o = ins
        return self.value(st, o, addr, size)


def _affine(base, index, scale: int, disp: int):
    """base + index*scale + disp where `_sum` knows the result, or where both are ranges."""
    if base is None or index is None or len(base) != 1 or len(index) != 1:
        return None
    (b,), (i,) = base, index
    if not (isinstance(b, tuple) and isinstance(i, tuple)):
        return None
    if i[0] == "range":
        i = ("range", i[1] * scale, i[2] * scale)
    elif scale != 1:
        return None
    if b[0] == "range" and i[0] == "range":
        return _one(("range", b[1] + i[1] + disp, b[2] + i[2] + disp))
    if disp:
        return None
    return _sum(_one(b), _one(i))


def _sum(a, b):
    """The value of a + b where that is a jump target: a table entry plus the address it is
    relative to (``jtarget``), or an address plus a bounded offset (``arange``)."""
    if a is None or b is None or len(a) * len(b) > MAX_VALUES:
        return None
    out = set()
    matching = set()  # an entry of table T plus T itself: the usual pairing
    for x in a:
        for y in b:
            if not (isinstance(x, tuple) and isinstance(y, tuple)):
                return None
            if y[0] in ("jt", "range"):
                x, y = y, x
            if y[0] != "addr":
                return None
            if x[0] == "jt":
                atom = ("jtarget", x[1], y[1], 0, x[2], x[3])
                out.add(atom)
                if x[1] == y[1]:
                    matching.add(atom)
            elif x[0] == "range":
                out.add(("arange", y[1] + x[1], y[1] + x[2]))
            else:
                return None
    return frozenset(matching or out) or None


# --- aarch64 ----------------------------------------------------------------------------------

A64_ARGS = tuple(f"x{i}" for i in range(8))
A64_CLOBBERED = tuple(f"x{i}" for i in range(19)) + ("x30",)
_A64_NOWRITE_PREFIX = ("st", "cmp", "cmn", "tst", "ccmp", "ccmn", "fcmp", "fccmp", "prfm",
                       "dmb", "dsb", "isb", "hint", "nop", "msr", "sys", "dc", "ic", "tlbi",
                       "bti", "yield", "wfe", "wfi", "sev", "clrex", "pac", "aut", "csdb")
_A64_STATUS_STORES = ("stxr", "stlxr", "stxp", "stlxp", "stxrb", "stlxrb", "stxrh", "stlxrh")


def a64_reg(op: str) -> str | None:
    """``x<n>`` for ``x<n>``/``w<n>``; "zr" for xzr/wzr; "sp" for sp/wsp; None else."""
    if len(op) >= 2 and op[0] in "xw" and op[1:].isdigit():
        return "x" + op[1:]
    if op in ("xzr", "wzr"):
        return "zr"
    if op in ("sp", "wsp"):
        return "sp"
    return None


def _a64_target(o: str) -> int | None:
    last = o.rsplit(", ", 1)[-1]
    return int(last[1:], 16) if last.startswith("#0x") else (
        int(last[1:]) if last.startswith("#") and last[1:].isdigit() else None)


def a64_control(m: str, o: str) -> tuple[str | None, int | None]:
    """`x86_control` for aarch64."""
    c = m[0]
    if c == "b":
        if m == "bl":
            return "call", _a64_target(o)
        if m == "b":
            return "jmp", _a64_target(o)
        if m.startswith("b."):
            return "jcc", _a64_target(o)
        if m in ("blr", "blraa", "blrab", "blraaz", "blrabz"):
            return "icall", None
        if m in ("br", "braa", "brab", "braaz", "brabz"):
            return "ijmp", None
        if m == "brk":
            return "stop", None
        return None, None
    if c == "c" and m in ("cbz", "cbnz"):
        return "jcc", _a64_target(o)
    if c == "t" and m in ("tbz", "tbnz"):
        return "jcc", _a64_target(o)
    if c == "r" and m in ("ret", "retaa", "retab"):
        return "ret", None
    if m == "svc":
        return "syscall", None
    if m in ("hlt", "udf"):
        return "stop", None
    return None, None


def _a64_operands(o: str) -> tuple[tuple[str, ...], tuple[str, ...] | None, str]:
    """(register/immediate operands before a memory operand, the memory operand's parts or
    None, what follows it: "!" for pre-index writeback, ", #imm" for post-index)."""
    got = _A64_PARSED.get(o)
    if got is None:
        i = o.find("[")
        if i < 0:
            got = (tuple(_split(o)), None, "")
        else:
            j = o.find("]", i)
            got = (tuple(_split(o[:i].rstrip(", "))), tuple(o[i + 1 : j].split(", ")), o[j + 1 :])
        if len(_A64_PARSED) < 200_000:  # operand texts repeat: parsed once
            _A64_PARSED[o] = got
    return got


_A64_PARSED: dict[str, tuple] = {}


_A64_SIZES = {"x": 8, "w": 4, "q": 16, "d": 8, "s": 4, "h": 2, "b": 1}


class A64:
    """aarch64 semantics over capstone's text. The stack pointer is tracked relative to the
    entry (``"sp"``; a register holding sp + k has the value ("sp", k)), and 64-bit values
    stored at known offsets are kept (a jump table's base spilled to the stack)."""

    name = "aarch64"
    syscall_register = "x8"
    return_register = "x0"

    @staticmethod
    def control(m: str, o: str) -> tuple[str | None, int | None]:
        return a64_control(m, o)

    @staticmethod
    def entry_state() -> dict:
        st: dict = {r: _one(("arg", r)) for r in A64_ARGS}
        st["sp"] = 0
        return st

    @staticmethod
    def loc_value(st: dict, loc, kind: str):
        return st.get(loc) if isinstance(loc, str) else None

    @staticmethod
    def _get(st: dict, op: str):
        r = a64_reg(op)
        if r == "zr":
            return _one(0)
        if r == "sp":
            sp = st.get("sp")
            return None if sp is None else _one(("sp", sp))
        if r is None:
            return None
        return st.get(r)

    @staticmethod
    def _drop_stack(st: dict, lo: int = -(1 << 62), hi: int = 1 << 62) -> None:
        for k in [k for k in st if isinstance(k, int) and lo <= k < hi]:
            del st[k]

    def _set(self, st: dict, op: str, value) -> None:
        r = a64_reg(op)
        if r is None or r == "zr":
            return
        if r == "sp":
            sp = None
            if value is not None and len(value) == 1:
                (atom,) = value
                if isinstance(atom, tuple) and atom[0] == "sp":
                    sp = atom[1]
            if sp is None:
                st.pop("sp", None)
                self._drop_stack(st)
            else:
                st["sp"] = sp
            return
        if value is None:
            st.pop(r, None)
        else:
            st[r] = value

    def transfer(self, st: dict, ins: tuple, events: list | None) -> None:
        addr, _size, m, o = ins
        regs, mem, after = _a64_operands(o)
        if mem is not None:
            self._memory(st, m, regs, mem, after)
            return
        n = len(regs)
        if m == "mov" and n == 2:
            src = regs[1]
            v = _imm(src)
            self._set(st, regs[0], _one(v) if v is not None and src.startswith("#")
                      else self._get(st, src))
            return
        if m in ("movz", "movn") and n >= 2:
            v = _imm(regs[1])
            if v is not None and n == 3 and regs[2].startswith("lsl #"):
                v <<= int(regs[2][5:], 0)
            if v is not None and m == "movn":
                v = ~v & (0xFFFFFFFF if regs[0].startswith("w") else 0xFFFFFFFFFFFFFFFF)
            self._set(st, regs[0], None if v is None else _one(v))
            return
        if m == "ldr" and n == 2 and regs[1].startswith("#"):  # a literal: ldr x0, #addr
            v = _imm(regs[1])
            self._set(st, regs[0], None if v is None else _one(("got", v)))
            return
        if m == "adrp" or m == "adr":
            v = _imm(regs[1]) if n == 2 else None
            if v is not None and events is not None and m == "adr":
                events.append(("addr", addr, v))
            self._set(st, regs[0], None if v is None else _one(("addr", v)))
            return
        if (m == "add" or m == "sub") and n >= 3:
            v = _imm(regs[2])
            base = self._get(st, regs[1])
            if v is not None and regs[2].startswith("#"):
                if n == 4 and regs[3].startswith("lsl #"):
                    v <<= int(regs[3][5:], 0)
                if m == "sub":
                    v = -v
                value = _offset(base, v)
                if value is not None and events is not None:
                    for atom in value:
                        if atom[0] == "addr":
                            events.append(("addr", addr, atom[1]))
                self._set(st, regs[0], value)
                return
            if m == "add" and n == 3:  # add x1, x10, x1: a table entry plus its base
                self._set(st, regs[0], _sum(base, self._get(st, regs[2])))
                return
            if m == "add" and n == 4 and base is not None and len(base) == 1 \
                    and regs[3].startswith("lsl #"):  # add x6, x6, x14, lsl #2: into a table
                (b,) = base
                if isinstance(b, tuple) and b[0] == "addr" and self._get(st, regs[2]) != base:
                    self._set(st, regs[0], _one(("tptr", b[1], 1 << int(regs[3][5:], 0))))
                    return
            if m == "add" and n == 4 and base is not None:  # add xd, xbase, wentry, sxtb #2
                ext = regs[3]
                if len(base) == 1:
                    (b,) = base
                    entry = self._get(st, regs[2])
                    if (isinstance(b, tuple) and b[0] == "tptr" and entry is not None
                            and len(entry) == 1 and ext[:3] in ("sxt", "uxt")):
                        (e,) = entry
                        if isinstance(e, tuple) and e[0] == "tentry" and e[1] == b[1]:
                            self._set(st, regs[0], _one(("jself", b[1], e[2], ext[0] == "s")))
                            return
                entry = self._get(st, regs[2])
                if entry is not None and len(entry) == 1 and len(base) == 1:
                    (e,), (b,) = entry, base
                    if (isinstance(e, tuple) and e[0] == "jt" and isinstance(b, tuple)
                            and b[0] == "addr" and ext[:3] in ("sxt", "uxt")):
                        shift = int(ext.split("#")[1], 0) if "#" in ext else 0
                        self._set(st, regs[0], _one(("jtarget", e[1], b[1], shift, e[2],
                                                     ext[0] == "s" or e[3])))
                        return
            self._set(st, regs[0], None)
            return
        if m == "csel" and n == 4:
            self._set(st, regs[0], _join_values(self._get(st, regs[1]), self._get(st, regs[2])))
            return
        if m in ("bl", "blr", "blraa", "blrab", "blraaz", "blrabz"):
            escaped = [atom[1] for r in A64_ARGS for atom in st.get(r) or ()
                       if isinstance(atom, tuple) and atom[0] == "sp"]
            if escaped:  # the callee may write where it was given a pointer to
                self._drop_stack(st, min(escaped))
            for r in A64_CLOBBERED:
                st.pop(r, None)
            return
        if m == "svc":
            st.pop("x0", None)
            return
        if m.startswith(_A64_NOWRITE_PREFIX) and not m.startswith(_A64_STATUS_STORES):
            return
        if m[0] in "bct" and a64_control(m, o)[0] is not None:
            return
        if regs:
            self._set(st, regs[0], None)
            if m in ("casp", "caspa", "caspal") and n > 1:
                self._set(st, regs[1], None)

    def _memory(self, st: dict, m: str, regs: tuple[str, ...], mem: tuple[str, ...],
                after: str) -> None:
        base = mem[0]
        off: int | None = 0
        if len(mem) == 2:
            off = _imm(mem[1])
        elif len(mem) > 2:
            off = None  # register offset
        post = _imm(after[2:]) if after.startswith(", #") else None
        pre = after == "!"
        # the stack slot addressed, relative to the entry sp (None: not the stack)
        slot = None
        bv = self._get(st, base)
        if bv is not None and len(bv) == 1 and off is not None:
            (atom,) = bv
            if isinstance(atom, tuple) and atom[0] == "sp":
                slot = atom[1] + (0 if post is not None else off)
        pair = m.startswith(("ldp", "ldnp", "ldxp", "ldaxp", "stp", "stnp", "stxp", "stlxp"))
        store = m.startswith(("st", "prfm")) and not m.startswith(_A64_STATUS_STORES)
        data = regs[1:] if m.startswith(_A64_STATUS_STORES) else regs
        if m.startswith(_A64_STATUS_STORES) and regs:
            self._set(st, regs[0], None)  # the status register
        size = _A64_SIZES.get(data[0][0], 8) if data else 8
        if m.endswith("b") and not m.startswith("ld"):
            size = 1
        elif m.endswith("h") and not m.startswith("ld"):
            size = 2
        if store:
            if slot is not None:
                for j, reg in enumerate(data[:2] if pair else data[:1]):
                    k = slot + j * size
                    self._drop_stack(st, k - 7, k + size)
                    if reg[0] == "x" and size == 8:
                        value = self._get(st, reg)
                        if value is not None:
                            st[k] = value
        else:
            dsts = data[:2] if pair else data[:1]
            for j, reg in enumerate(dsts):
                value = None
                if slot is not None and reg[0] == "x" and m in ("ldr", "ldur", "ldp"):
                    value = st.get(slot + j * size)
                elif (not pair and off == 0 and post is None and m in ("ldr", "ldrsw") and bv
                      and len(bv) == 1 and isinstance(next(iter(bv)), tuple)
                      and next(iter(bv))[0] == "tptr"):  # an entry of a self-relative table
                    (atom,) = bv
                    value = _one(("tentry", atom[1], 4 if reg[0] == "w" or m == "ldrsw" else 8))
                elif not pair and off is not None and m in ("ldr", "ldur") and bv is not None:
                    o2 = off if post is None else 0

                    def through(atom, o2=o2):
                        if isinstance(atom, tuple):
                            if atom[0] == "addr":
                                return ("got", atom[1] + o2)
                            if atom[0] == "got":
                                return ("field", atom[1], o2)
                        return None

                    value = _map_atoms(bv, through)
                elif not pair and off is None and m in ("ldrb", "ldrh", "ldrsb", "ldrsh", "ldr",
                                                        "ldrsw") and a64_reg(mem[1]) is not None:
                    if bv is not None and len(bv) == 1:
                        (atom,) = bv
                        if isinstance(atom, tuple) and atom[0] == "addr":
                            sz = {"ldrb": 1, "ldrsb": 1, "ldrh": 2, "ldrsh": 2}.get(
                                m, 4 if reg.startswith("w") or m == "ldrsw" else 8)
                            value = _one(("jt", atom[1], sz, m.startswith("ldrs")))
                self._set(st, reg, value)
        # writeback
        if pre or post is not None:
            step = off if pre else post
            if step is None or bv is None:
                self._set(st, base, None)
            else:
                self._set(st, base, _map_atoms(
                    bv, lambda a, step=step: (a[0], a[1] + step)
                    if isinstance(a, tuple) and a[0] in ("sp", "addr") else None))

    def refine(self, st: dict, prev: tuple, branch: tuple, taken: bool) -> dict:
        """`X86.refine` for ``cbz``/``cbnz`` and ``cmp r, #imm`` + ``b.eq``/``b.ne``."""
        m = branch[2]
        value: int | None = 0
        if m in ("cbz", "cbnz"):
            reg = branch[3].split(", ")[0]
            if taken != (m == "cbz"):
                return st
        elif m in ("b.eq", "b.ne") and prev[2] == "cmp":
            ops = _split(prev[3])
            if len(ops) != 2 or not ops[1].startswith("#"):
                return st
            reg, value = ops[0], _imm(ops[1])
            if value is None or taken != (m == "b.eq"):
                return st
        else:
            return st
        r = a64_reg(reg)
        if r is None or r in ("zr", "sp"):
            return st
        old = st.get(r)
        if old is not None and value not in old:
            return st
        out = dict(st)
        out[r] = _one(value)
        return out

    def indirect_target(self, st: dict, ins: tuple):
        return self._get(st, ins[3].split(", ")[0])


def semantics_for(arch: str) -> X86 | A64:
    return X86() if arch == "x86_64" else A64()


# --- the data-flow ------------------------------------------------------------------------------


class FlowResult:
    """What `analyse` found (see the module docstring)."""

    __slots__ = ("syscalls", "indirect", "returns", "param_calls", "addresses", "tables")

    def __init__(self) -> None:
        self.syscalls: list[tuple[int, frozenset | None]] = []
        self.indirect: list[tuple[int, str, frozenset | None]] = []
        self.returns: list[frozenset | None] = []
        self.param_calls: list[tuple[int, int, str, dict]] = []  # (site, callee, kind, {loc: value})
        self.addresses: set[int] = set()
        self.tables: list[tuple[int, tuple[int, ...]]] = []  # (jump site, targets)


def _join_states(old: dict | None, new: dict) -> dict:
    if old is None:
        return dict(new)
    out = {}
    for k, v in old.items():
        if k in new:
            if k == "sp":
                if new[k] == v:
                    out[k] = v
            else:
                j = _join_values(v, new[k])
                if j is not None:
                    out[k] = j
    return out


def is_padding(ins: tuple) -> bool:
    """A no-op the assembler or compiler put there for alignment."""
    m = ins[2]
    return m.startswith("nop") or "nop" in m.split() or (m == "xchg" and ins[3] == "ax, ax") \
        or m == "int3"


def table_targets(atom: tuple, read: Callable[[int, int], bytes | None], start: int,
                  end: int) -> tuple[int, ...]:
    """The targets of a jump table, read entry by entry while they stay inside the function
    [start, end) (the bound a ``cmp; ja`` before the jump gives is not tracked: the table is
    taken to end where its entries stop pointing into the function)."""
    if atom[0] == "jself":  # each entry relative to its own address (aarch64 memcpy)
        _, table, size, signed = atom
        base, shift, step = table, 0, size
    else:
        table, base, shift, size, signed = atom[1:6]
        step = 0
    spread = atom[6] if len(atom) > 6 else 0  # base is anywhere in [base, base + spread]
    raw = read(table, size * MAX_TABLE) or b""
    out: list[int] = []
    for k in range(0, len(raw) - size + 1, size):
        target = base + k // size * step + (
            int.from_bytes(raw[k : k + size], "little", signed=signed) << shift)
        if not (start <= target and target + spread < end):
            if out or k >= 4 * size:  # (a few unused entries may come first: index 0 …)
                break
            continue
        out.append(target)
    return tuple(out)


def _offset(value, disp: int):
    """``value`` + ``disp`` where the value is an address, a jump target or a range of them."""
    def plus(atom):
        if isinstance(atom, tuple):
            if atom[0] in ("addr", "sp"):
                return (atom[0], atom[1] + disp)
            if atom[0] == "jtarget":
                return atom[:2] + (atom[2] + disp,) + atom[3:]
            if atom[0] == "arange":
                return ("arange", atom[1] + disp, atom[2] + disp)
        return None

    return _map_atoms(value, plus)


def analyse(sem: X86 | A64, insns: list[tuple], start: int, end: int, *,
            param_map: dict[int, frozenset] | None = None,
            read: Callable[[int, int], bytes | None] | None = None,
            noreturn: set[int] | frozenset[int] = frozenset()) -> FlowResult:
    """Run the data-flow over ``insns`` (one function, [start, end)) and report its events.
    ``param_map``: callee address -> the entry locations its syscall numbers come from;
    ``read(addr, size)``: the file's bytes (at most ``size``), for jump tables; ``noreturn``:
    the addresses of functions that do not return (a call of one ends its block)."""
    param_map = param_map or {}
    result = FlowResult()
    if not insns:
        return result
    index = {ins[0]: i for i, ins in enumerate(insns)}
    controls = [sem.control(ins[2], ins[3]) for ins in insns]
    leaders = {insns[0][0]}
    for i, (kind, target) in enumerate(controls):
        if kind is None or kind == "call" or kind == "syscall" or kind == "icall":
            continue
        if (kind == "jmp" or kind == "jcc") and target is not None and target in index:
            leaders.add(target)
        if i + 1 < len(insns):
            leaders.add(insns[i + 1][0])
    tables: dict[int, tuple[int, ...]] = {}  # jump site -> targets
    states: dict[int, dict] = {insns[0][0]: sem.entry_state()}
    visited: set[int] = set()
    changes: dict[int, int] = {}  # block -> how many times its entry state changed
    work = [insns[0][0]]
    queued = set(work)

    def push(s: int, st: dict) -> None:
        old = states.get(s)
        new = _join_states(old, st)
        if old is None or new != old:
            n = changes[s] = changes.get(s, 0) + 1
            if n > WIDEN_AFTER and old is not None:  # widening: what moves again is unknown
                new = {k: v for k, v in new.items() if old.get(k) == v}
            states[s] = new
            if s not in queued:
                queued.add(s)
                work.append(s)

    def new_leader(s: int) -> None:
        """``s`` starts a block from now on: the block that ran through it runs again and
        now stops there."""
        leaders.add(s)
        k = index[s] - 1
        while k >= 0 and insns[k][0] not in leaders:
            k -= 1
        if k >= 0 and insns[k][0] in states and insns[k][0] not in queued:
            queued.add(insns[k][0])
            work.append(insns[k][0])

    def successors(i: int, st: dict) -> list[int]:
        kind, target = controls[i]
        nxt = [insns[i + 1][0]] if i + 1 < len(insns) else []
        if kind == "call" and target in noreturn:
            return []  # (abort, __do_cancel: the compiler put nothing meant to run after it)
        if kind is None or kind == "call" or kind == "icall" or kind == "syscall":
            return nxt
        if kind == "jcc":
            return ([target] if target is not None and target in index else []) + nxt
        if kind == "jmp":
            return [target] if target is not None and target in index else []
        if kind == "ijmp" and read is not None:
            value = sem.indirect_target(st, insns[i])
            found: set[int] = set()
            bounded = bool(value)
            for atom in value or ():
                if isinstance(atom, tuple) and atom[0] in ("jtarget", "jself"):
                    # every target is inside the function (one that is no instruction start
                    # is a value the register cannot have there)
                    targets = table_targets(atom, read, start, end)
                    found.update(t for t in targets if t in index)
                    bounded = bounded and bool(targets)
                elif isinstance(atom, tuple) and atom[0] == "addr" and atom[1] in index:
                    found.add(atom[1])  # a computed jump to a known place in the function
                elif not (isinstance(atom, tuple) and atom[0] == "arange" and start <= atom[1]
                          and atom[2] < end):
                    bounded = False  # (base + a bounded offset inside the function is fine:
                    # all its code is read anyway)
            if bounded:
                tables[insns[i][0]] = tuple(sorted(found))
                return sorted(found)
        return []

    def iterate() -> None:
        while work:
            a = work.pop()
            queued.discard(a)
            st = dict(states[a])
            i = index[a]
            while True:
                visited.add(insns[i][0])
                sem.transfer(st, insns[i], None)
                kind = controls[i][0]
                if kind is not None and kind != "call" and kind != "syscall" and kind != "icall":
                    break
                if i + 1 >= len(insns) or insns[i + 1][0] in leaders:
                    break
                i += 1
            kind, target = controls[i]
            for s in successors(i, st):
                if s not in leaders:
                    new_leader(s)
                if kind == "jcc" and i > 0:  # what the branch tells of the register it tested
                    push(s, sem.refine(st, insns[i - 1], insns[i], s == target and
                                       (target != insns[i + 1][0] if i + 1 < len(insns) else True)))
                else:
                    push(s, st)

    iterate()
    # code the entry does not reach (only through a jump nothing bounds, or dead): analysed
    # from an unknown state
    for ins in insns:
        if ins[0] not in visited:
            if is_padding(ins):  # alignment between blocks: it falls into reached code
                continue
            if ins[0] not in leaders:
                new_leader(ins[0])
            push(ins[0], {})
            iterate()
    # the final pass: each block once from its fixpoint state, recording what happens
    for a in sorted(states):
        st = dict(states[a])
        i = index[a]
        while True:
            ins = insns[i]
            kind, target = controls[i]
            if kind == "syscall":
                result.syscalls.append((ins[0], st.get(sem.syscall_register)))
            elif kind == "icall" or kind == "ijmp":
                if ins[0] in tables:
                    result.tables.append((ins[0], tables[ins[0]]))
                else:
                    result.indirect.append((ins[0], kind[1:], sem.indirect_target(st, ins)))
            elif kind == "ret":
                result.returns.append(st.get(sem.return_register))
            elif (kind == "call" or kind == "jmp" or kind == "jcc") and target in param_map \
                    and not start <= target < end:
                result.param_calls.append((ins[0], target, "call" if kind == "call" else "jmp",
                                           {loc: sem.loc_value(st, loc, kind)
                                            for loc in param_map[target]}))
            events: list = []
            sem.transfer(st, ins, events)
            for _, _, value in events:
                result.addresses.add(value)
            if kind is not None and kind != "call" and kind != "syscall" and kind != "icall":
                break
            if i + 1 >= len(insns) or insns[i + 1][0] in leaders:
                break
            i += 1
    return result


__all__ = ["A64", "FlowResult", "X86", "a64_control", "analyse", "semantics_for",
           "table_targets", "x86_control", "x86_mnemonic"]
