"""What a replacement library does with each symbol it exports.

Classes:
  DCE          the simulator implements it (sockets, time, processes, threads, files, …)
  NATIVE       a trampoline forwards to the host glibc's function
  DATA         a data object the replacement defines and hands to the simulator at setup
               (stdin, environ, optarg, __libc_single_threaded, …)
  TLS          a thread-local object: a replacement cannot forward it
  IFUNC        forwardable like NATIVE (the host resolves the implementation); noted because
               the host symbol is an IFUNC resolver, not the function
  PRIVATE      GLIBC_PRIVATE: glibc's internal interface between its own libraries
  UNSUPPORTED  deliberately not provided (``note`` says why)

Table entries keep DCE's X-macro form (``macro``, ``extra``, ``guard``) so that a
``libc-ns3.h`` round-trips; their order is the layout of DCE's ``struct Libc``. An IFUNC entry
is written with a NATIVE macro (DCE's table knows no IFUNC).
"""

from __future__ import annotations

from .._record import Record

CLASSES = ("DCE", "NATIVE", "DATA", "TLS", "IFUNC", "PRIVATE", "UNSUPPORTED")

# DCE's X-macros: kind -> (class, arguments before the name, arguments after it)
MACROS = {
    "DCE": ("DCE", 0, 0),
    "NATIVE": ("NATIVE", 0, 0),
    "DCE_WITH_ALIAS": ("DCE", 0, 0),
    "NATIVE_WITH_ALIAS": ("NATIVE", 0, 0),
    "DCE_WITH_ALIAS2": ("DCE", 0, 1),
    "NATIVE_WITH_ALIAS2": ("NATIVE", 0, 1),
    "DCE_EXPLICIT": ("DCE", 0, -1),  # name, return type, argument types…
    "NATIVE_EXPLICIT": ("NATIVE", 0, 1),  # name, function type
    "DCET": ("DCE", 1, 0),  # return type, name
    "NATIVET": ("NATIVE", 1, 0),
}


class PolicyEntry(Record):
    """One symbol's treatment; ``macro`` is empty for symbols outside DCE's table."""

    name: str
    cls: str
    macro: str = ""
    extra: tuple[str, ...] = ()  # ALIAS2: (internal,); EXPLICIT: types; T forms: (return type,)
    guard: str | None = None  # the #ifdef around the entry
    note: str = ""
    completed: bool = False  # added for the host by `complete_policy`, not in the table read

    @property
    def names(self) -> tuple[str, ...]:
        """Every symbol this entry exports: ``name``, plus ``__name`` for the WITH_ALIAS
        forms, plus the internal name (of which ``name`` is a weak alias) for WITH_ALIAS2."""
        if self.macro.endswith("_WITH_ALIAS"):
            return (self.name, "__" + self.name)
        if self.macro.endswith("_WITH_ALIAS2") and self.extra:
            return (self.name, self.extra[0])
        return (self.name,)


class Policy(Record):
    """An ordered set of entries; ``lookup`` also finds an entry by its alias names."""

    entries: tuple[PolicyEntry, ...]

    def by_name(self) -> dict[str, PolicyEntry]:
        """Every exported name (aliases included) -> its entry; the first entry wins."""
        out: dict[str, PolicyEntry] = {}
        for e in self.entries:
            for n in e.names:
                out.setdefault(n, e)
        return out

    def lookup(self, name: str) -> PolicyEntry | None:
        """The entry exporting ``name``, or None (build `by_name` once for many lookups)."""
        return self.by_name().get(name)

    def table(self) -> tuple[PolicyEntry, ...]:
        """The entries of DCE's table (those with an X-macro), in order."""
        return tuple(e for e in self.entries if e.macro)


class PolicyError(Exception):
    """A policy file that cannot be read: ``str()`` is ``FILE:LINE: problem``."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {problem}")
        self.path, self.line, self.problem = path, line, problem
