"""What happens to a program inside DCE, from what preflight bound and classed: the verdict's
rules, one function each, in the order DCE meets them.

A rule returns its `Finding`s (or none). The first finding of the gravest kind decides:

``will not start``          DCE cannot load it or call its ``main`` (exit 1);
``needs fix-pie``           it loads once DF_1_PIE is cleared, which a DCE tree not prepared by
                            elfdce does not do (exit 3);
``escapes the simulation``  it runs, but an import forwarded to the host makes system calls of
                            what DCE simulates: ``clock_nanosleep`` sleeps on the host while
                            simulated time stands still (exit 4);
``runs with hazards``       it runs; the hazards are named (exit 0);
``runs``                    (exit 0).

What ``dce prepare`` fixes (DF_1_PIE, ``main`` without ``-rdynamic``, the program's COPY of the
data DCE writes, DCE 1.12's ``__sprintf_chk``, trampolines that copied the caller's frame) is
reported only when the DCE checked against is not prepared (`Setting.prepared`).
"""

from __future__ import annotations

import os

from .._record import Record
from ..elf import constants as C
from ..elf.constants import COPY_AND_IRELATIVE
from ..elf.kind import Kind, classify
from ..emit.words import count
from ..glibc.shared_state import DCE_PROCESS_NAMES, DCE_PROCESS_POINTERS, USERS
from ..glibc.static_tls import TUNABLE, dlopen_room
from ..syscalls.classes import DECISIVE, class_of, escape_of, is_wrapper
from .binding import interpreter_sonames
from .classify import REPLACED

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from ..elf import ElfSymbols
    from ..syscalls import LibraryFootprint
    from .binding import Closure
    from .classify import Import

KINDS = ("will not start", "needs fix-pie", "escapes the simulation", "hazard")
EXIT_STATUS = {"runs": 0, "runs with hazards": 0, "will not start": 1, "needs fix-pie": 3,
               "escapes the simulation": 4}

# what else a forwarded function does itself that DCE simulates: named among the hazards
TOUCHES = ("fd", "identity", "signal", "time")


class ProgramInfo(Record):
    """What DCE's loading cares about, apart from symbols."""

    pie: str  # "pie", "pie-without-flag", "exec", "static-pie", "dso", "other"
    description: str
    copy_relocations: tuple[str, ...]  # symbols whose data is copied at load time
    executable_stack: bool
    textrel: bool
    main: str  # how DCE finds main: "exported", "entry code" (a prepared tree), "none"

    @property
    def loadable(self) -> bool:
        return self.pie in ("pie", "pie-without-flag")


# `Kind` -> (ProgramInfo.pie as preflight's JSON has always named it, its description)
_PIE_STATUS = {
    Kind.EXEC: ("exec", "ET_EXEC: not position-independent; DCE can only load PIEs "
                        "(rebuild with -fPIE -pie)"),
    Kind.STATIC: ("exec", "ET_EXEC: not position-independent (a static program); DCE can only "
                          "load PIEs (rebuild with -fPIE -pie)"),
    Kind.OBJECT: ("other", "not a program"),
    Kind.PIE: ("pie", "PIE (DF_1_PIE set: glibc >= 2.30 refuses to dlopen it; "
                      "`elfdce fix-pie` clears the flag)"),
    Kind.STATIC_PIE: ("static-pie", "static PIE: its own C library, no dynamic imports to "
                                    "replace"),
    Kind.PIE_WITHOUT_FLAG: ("pie-without-flag",
                            "PIE without DF_1_PIE (older linker): dlopen accepts it"),
    Kind.LIBRARY: ("dso", "shared library, not a program"),
}


def program_info(elf: ElfSymbols) -> ProgramInfo:
    """PIE status, COPY relocations, executable stack, text relocations and ``main`` of ``elf``
    (read with its relocations)."""
    from ..elf.entry import main_from_entry

    kind = classify(elf)
    pie, text = _PIE_STATUS[kind]
    if kind == Kind.OBJECT:
        text = f"{elf.header.type_name}: {text}"
    copies = []
    kinds = COPY_AND_IRELATIVE.get(elf.header.machine)
    if elf.relocations is not None and kinds is not None:
        for index in elf.relocations.symbols_of_type(kinds[0]):
            if index < len(elf.symbols):
                copies.append(elf.symbols[index].name)
    stack = [p for p in elf.segments if p.type == C.PT_GNU_STACK]
    executable_stack = not stack or bool(stack[0].flags & C.PF_X)
    dyn = elf.dynamic
    textrel = dyn is not None and (dyn.has(C.DT_TEXTREL) or bool(dyn.flags & C.DF_TEXTREL))
    if any(s.name == "main" and s.is_function for s in elf.defined()):
        main = "exported"
    elif kind in Kind.LOADABLE and main_from_entry(elf) is not None:
        main = "entry code"
    else:
        main = "none"
    return ProgramInfo(pie, text, tuple(copies), executable_stack, textrel, main)


class Setting(Record):
    """The DCE a program is checked for."""

    refuses_pie: bool  # glibc >= 2.30 refuses to dlopen a DF_1_PIE object
    refuses_execstack: bool  # glibc >= 2.41 refuses to dlopen one needing an executable stack
    prepared: bool  # a DCE tree prepared by elfdce (`dce prepare`)
    footprint: LibraryFootprint | None = None  # the host libc's system calls, per export
    glibc: tuple[int, int] | None = None  # the release of the libc checked against (None: >= 2.32)


class Finding(Record):
    """What one rule found: its kind (`KINDS`) and the sentence a user reads."""

    kind: str
    text: str


class Facts(Record):
    """What the rules read: the program, what preflight bound, the DCE it is checked for."""

    info: ProgramInfo
    closure: Closure
    imports: tuple[Import, ...]
    setting: Setting


class Verdict(Record):
    """The state, its reason, and every other finding (hazards included)."""

    state: str  # "runs", "runs with hazards", "escapes the simulation", "needs fix-pie",
    #             "will not start"
    reason: str
    hazards: tuple[str, ...]

    @property
    def exit_status(self) -> int:
        """`EXIT_STATUS` of the state."""
        return EXIT_STATUS[self.state]

    @property
    def line(self) -> str:
        return f"{self.state}: {self.reason}"


def _host_libraries(f: Facts) -> list:
    """The libraries the program brings that DCE loads as they are (not the five it replaces,
    nor the dynamic loader)."""
    skipped = REPLACED | interpreter_sonames(f.closure)
    return [o for o in f.closure.loaded()[1:] if o.elf.soname not in skipped]


# --- will not start ---------------------------------------------------------------------

def not_a_position_independent_program(f: Facts) -> list[Finding]:
    """DCE dlopens programs: an ET_EXEC, a static program or a library is none it can run."""
    return [] if f.info.loadable else [Finding("will not start", f.info.description)]


def libraries_not_found(f: Facts) -> list[Finding]:
    """A DT_NEEDED name the loader would not find."""
    names = sorted(o.needed for o in f.closure.missing)
    return [Finding("will not start", f"libraries not found: {', '.join(names)}")] if names else []


def imports_missing(f: Facts) -> list[Finding]:
    """An import nothing exports (or the replacement will not): ld.so refuses the program."""
    missing = [i for i in f.imports if i.verdict == "missing"]
    if not missing:
        return []
    return [Finding("will not start", f"{count(len(missing), 'missing import')} (no object "
                    "exports it, or the policy has no entry so the replacement will not)")]


def executable_stack_refused(f: Facts) -> list[Finding]:
    """glibc >= 2.41 refuses to dlopen an object that needs an executable stack."""
    if f.info.executable_stack and f.setting.refuses_execstack:
        return [Finding("will not start", "needs an executable stack, which glibc >= 2.41 "
                        "refuses to dlopen")]
    return []


def static_tls_exhausted(f: Facts) -> list[Finding]:
    """Libraries with DF_STATIC_TLS (initial-exec TLS) need static TLS at dlopen: past the room
    glibc keeps for dlopened objects, "cannot allocate memory in static TLS block". The room is
    glibc's (512 bytes, glibc.rtld.optional_static_tls; 1664 bytes before 2.32, when there was
    no tunable) or, in a prepared tree, what its simulators start with (`glibc.static_tls`)."""
    users = []
    for o in _host_libraries(f):
        dyn = o.elf.dynamic
        if dyn is None or not dyn.flags & C.DF_STATIC_TLS:
            continue
        size = sum(p.memsz for p in o.elf.segments if p.type == C.PT_TLS)
        if size:  # (libresolv has the flag and no TLS of its own)
            users.append((o.elf.soname or os.path.basename(o.path), size))
    if not users:
        return []
    total = sum(size for _, size in users)
    names = ", ".join(f"{name} ({size} bytes)" for name, size in users)
    room = dlopen_room(f.setting.glibc, f.setting.prepared)
    if total > room.size:
        if not room.raisable:
            how = "no tunable raises it on this glibc"
        elif f.setting.prepared:
            how = f"ELFDCE_STATIC_TLS={total} or more in the simulator's environment raises it"
        else:
            how = (f"{TUNABLE}={total} or more in GLIBC_TUNABLES of the simulator's environment "
                   "raises it, as a tree prepared by elfdce does")
        return [Finding("will not start", f"{names}: static TLS (DF_STATIC_TLS) beyond the "
                        f"{room.size} {room.source}: \"cannot allocate memory in static TLS "
                        f"block\" ({how})")]
    at_once = room.size // total
    return [Finding("hazard", f"{names}: static TLS (DF_STATIC_TLS) within the {room.size} "
                    f"{room.source}: DCE loads a copy per process, {at_once} such "
                    f"process{'es' if at_once != 1 else ''} at once")]


def no_main_dce_finds(f: Facts) -> list[Finding]:
    """DCE calls ``main``: ``dlsym`` finds only an exported one; a prepared tree also reads it
    from the entry code."""
    if not f.info.loadable or f.info.main == "exported":
        return []
    if f.info.main == "entry code" and f.setting.prepared:
        return []
    if f.info.main == "entry code":
        return [Finding("will not start", "main is not exported (linked without -rdynamic): "
                        "DCE's dlsym finds no main (a tree prepared by `elfdce dce prepare` "
                        "reads it from the entry code)")]
    return [Finding("will not start", "main is neither exported nor passed to "
                    "__libc_start_main as glibc's _start does")]


# --- needs fix-pie ----------------------------------------------------------------------

def pie_refused(f: Facts) -> list[Finding]:
    """glibc >= 2.30 refuses to dlopen a DF_1_PIE object; a prepared tree's loader clears it."""
    if f.info.pie == "pie" and f.setting.refuses_pie and not f.setting.prepared:
        return [Finding("needs fix-pie", "DF_1_PIE is set and this glibc (>= 2.30) refuses to "
                        "dlopen it: `elfdce fix-pie` (or a DCE tree prepared by elfdce, whose "
                        "loader clears it)")]
    return []


# --- escapes the simulation --------------------------------------------------------------

def forwarded_to_the_host(f: Facts) -> list[Finding]:
    """An import routed to the host that DCE's table does not list (a host function the
    completion forwards) and that itself makes a system call of `syscalls.classes.ESCAPES`
    (`Footprint.direct`: its own code and what it calls within a few calls, not every path the
    closure allows). The program's own import of a wrapper of a `DECISIVE` call (its name is the call's) escapes;
    the others are hazards. DCE's own NATIVE entries are trusted: its stdio works on DCE's
    FILEs, whose I/O goes back to DCE. What else such imports do themselves to files, the clock
    or signals is one more hazard."""
    footprint = f.setting.footprint
    if footprint is None:
        return []
    program = f.closure.objects[0].path if f.closure.objects else None
    out = []
    touching = []
    seen = set()
    for i in f.imports:
        if i.verdict != "NATIVE" or not i.completed or i.label in seen:
            continue
        seen.add(i.label)
        own = i.importer == program
        label = i.label if own else f"{os.path.basename(i.importer)}'s {i.label}"
        fp = footprint.lookup(i.name, i.version)
        if fp is None:
            continue
        escapes: dict[str, list[str]] = {}
        for sc in fp.direct:
            what = escape_of(sc)
            if what is not None:
                escapes.setdefault(what, []).append(sc)
        if escapes:
            what = "; ".join(f"{w} ({', '.join(calls)})" for w, calls in escapes.items())
            decisive = own and any(is_wrapper(i.name, sc) for w, calls in escapes.items()
                                   if w in DECISIVE for sc in calls)
            out.append(Finding("escapes the simulation" if decisive else "hazard",
                               f"{label}: {what}"))
        elif any(class_of(sc) in TOUCHES for sc in fp.direct):
            touching.append(label)
    if touching:
        out.append(Finding("hazard", f"{count(len(touching), 'import')} forwarded to the host "
                           f"{'reaches' if len(touching) == 1 else 'reach'} the host's files, "
                           "clock or signals themselves: "
                           f"{', '.join(touching[:8])}{' …' if len(touching) > 8 else ''}"))
    return out


# --- hazards ----------------------------------------------------------------------------

def process_data_copied(f: Facts) -> list[Finding]:
    """A COPY of the data DCE writes per process: the program reads its own copy, which DCE
    1.12 never writes (bash: ``fprintf (stderr=NULL)``); a prepared tree adopts the copies."""
    if f.setting.prepared:
        return []
    copied = [c for c in f.info.copy_relocations
              if c in DCE_PROCESS_POINTERS or c in DCE_PROCESS_NAMES]
    if not copied:
        return []
    return [Finding("hazard", f"copies {', '.join(copied)} at load time: DCE 1.12 writes its "
                    "own objects, never the program's copies (a tree prepared by `elfdce dce "
                    "prepare` adopts them)")]


def library_data_copied(f: Facts) -> list[Finding]:
    """A COPY of data another library of the program defines (not the replacements'): DCE's
    loader loads each library apart (RTLD_LOCAL, RTLD_DEEPBIND), so the library keeps using
    its own object and the program reads a copy nobody writes (iperf3's i_errno: "error - no
    error"); a prepared tree's loader makes the program's copy the library's object."""
    if f.setting.prepared:
        return []
    libraries = _host_libraries(f)
    owners: dict[str, str] = {}
    for name in f.info.copy_relocations:
        owner = next((o for o in libraries
                      if (d := o.elf.lookup(name)) is not None and d.is_defined), None)
        if owner is not None:
            owners[name] = owner.elf.soname or os.path.basename(owner.path)
    if not owners:
        return []
    return [Finding("hazard", f"copies {', '.join(owners)} of "
                    f"{', '.join(sorted(set(owners.values())))} at load time: under DCE's "
                    "loader the library keeps writing its own object")]


# glibc functions whose result the program frees (or whose argument they free or grow) with
# the allocator: forwarded to the host, they use the host's heap, the program DCE's
HOST_HEAP = ("posix_memalign", "aligned_alloc", "memalign", "valloc", "pvalloc", "wcsdup",
             "open_memstream", "open_wmemstream", "realpath", "canonicalize_file_name",
             "tempnam", "get_current_dir_name", "scandirat", "backtrace_symbols",
             "reallocarray", "getdelim", "__getdelim", "getline")


def host_heap_memory(f: Facts) -> list[Finding]:
    """Memory a function forwarded to the host allocates and the program frees with DCE's free:
    the two heaps corrupt each other ("free(): invalid next size", "corrupted size vs.
    prev_size")."""
    names = sorted({i.label for i in f.imports if i.verdict == "NATIVE"
                    and i.name in HOST_HEAP})
    if not names:
        return []
    return [Finding("hazard", f"{', '.join(names)}: the host's malloc allocates what the "
                    "program frees with DCE's free, and both heaps corrupt")]


def shared_state_copied(f: Facts) -> list[Finding]:
    """A COPY of data that libc functions run on the host change (time zone): the program reads
    stale values unless they are kept in step. The data DCE keeps per process (getopt's,
    environ) is `process_data_copied`'s: adopted by a prepared tree, named there otherwise."""
    shared = [c for c in f.info.copy_relocations if c in USERS
              and c not in DCE_PROCESS_POINTERS and c not in DCE_PROCESS_NAMES]
    if not shared:
        return []
    users = sorted({u for c in shared for u in USERS[c]} & {i.name for i in f.imports})
    return [Finding("hazard", f"copies {', '.join(shared)} at load time"
                    + (f" and calls {', '.join(users)}, which change the libc's own copies: it "
                       "reads stale values unless they are kept in step" if users else ""))]


# DCE 1.12's hand-written functions with the wrong signature (model/libc.cc)
BROKEN_HAND_WRITTEN = {"__sprintf_chk": "(char *, int len, const char *, …) instead of glibc's "
                                         "(s, flag, slen, format, …)"}
SETJMP = ("setjmp", "_setjmp", "__sigsetjmp", "sigsetjmp", "longjmp", "_longjmp", "siglongjmp",
          "__longjmp_chk")


def broken_hand_written(f: Facts) -> list[Finding]:
    """A call of one of DCE 1.12's hand-written functions whose signature is not glibc's: the
    program crashes in it (a prepared tree gives it glibc's)."""
    if f.setting.prepared:
        return []
    called = sorted({i.name for i in f.imports} & set(BROKEN_HAND_WRITTEN))
    return [Finding("hazard", f"calls {n}, which DCE 1.12 defines as {BROKEN_HAND_WRITTEN[n]}: "
                    "it crashes there (fixed in a tree prepared by `elfdce dce prepare`)")
            for n in called]


def setjmp_through_trampolines(f: Facts) -> list[Finding]:
    """setjmp through DCE 1.12's ``__builtin_apply`` trampolines saves their frame, not the
    caller's (perl: ``__stack_chk_fail``); a prepared tree's trampolines are jumps."""
    if f.setting.prepared:
        return []
    called = sorted({i.name for i in f.imports if i.verdict in ("NATIVE", "DCE")} & set(SETJMP))
    if not called:
        return []
    return [Finding("hazard", f"calls {', '.join(called)} through DCE 1.12's trampolines, which "
                    "copy the caller's frame: a longjmp returns into a dead frame (a tree "
                    "prepared by `elfdce dce prepare` jumps instead)")]


def imports_unsupported(f: Facts) -> list[Finding]:
    """Imports no replacement can forward (TLS, GLIBC_PRIVATE)."""
    names = sorted({i.label for i in f.imports if i.verdict == "unsupported"})
    if not names:
        return []
    return [Finding("hazard", f"{count(len(names), 'import')} no replacement can forward (TLS, "
                    f"GLIBC_PRIVATE): {', '.join(names[:8])}{' …' if len(names) > 8 else ''}")]


def throws_exceptions(f: Facts) -> list[Finding]:
    """C++ exceptions in a dlopened PIE: the typeinfo its COPY relocations take."""
    if any(i.name in ("__cxa_throw", "_Unwind_RaiseException") for i in f.imports):
        return [Finding("hazard", "throws C++ exceptions: in a dlopened PIE, typeinfo its COPY "
                        "relocations take must come from libstdc++ (elfdce run redoes them)")]
    return []


def text_relocations(f: Facts) -> list[Finding]:
    """Text relocations (the loader writes into code)."""
    return [Finding("hazard", "text relocations")] if f.info.textrel else []


RULES: tuple[Callable[[Facts], list[Finding]], ...] = (
    not_a_position_independent_program, libraries_not_found, imports_missing,
    executable_stack_refused, static_tls_exhausted, no_main_dce_finds, pie_refused,
    forwarded_to_the_host, process_data_copied, library_data_copied, host_heap_memory,
    shared_state_copied, broken_hand_written,
    setjmp_through_trampolines, imports_unsupported, throws_exceptions, text_relocations,
)


def verdict(facts: Facts) -> Verdict:
    """The verdict of `RULES` on ``facts``: the first finding of the gravest kind is the
    reason; the others are listed in rule order (those graver than a hazard with their kind:
    "needs fix-pie: DF_1_PIE is set …")."""
    findings = [x for rule in RULES for x in rule(facts)]
    if not findings:
        return Verdict("runs", "every import is bound", ())
    gravest = min(findings, key=lambda x: KINDS.index(x.kind))
    others = tuple(x.text if x.kind == "hazard" else f"{x.kind}: {x.text}"
                   for x in findings if x is not gravest)
    if gravest.kind == "hazard":
        return Verdict("runs with hazards", "every import is bound",
                       tuple(x.text for x in findings))
    return Verdict(gravest.kind, gravest.text, others)
