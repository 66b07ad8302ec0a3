"""What a ``lib*-ns3.so`` shim defines: its dispatch slots, data objects and exported pairs.

The plan is computed from the host library's exports and a policy, before any code exists:

* every host (name, version) pair whose name the policy covers (class other than UNSUPPORTED)
  is exported with the same version and @/@@, so programs built against any glibc version the
  host supports bind to it;
* a function pair gets a trampoline and a slot of its own (a compat version may behave
  differently: ``memcpy@GLIBC_2.2.5`` is memmove);
* slot order starts with DCE's table in policy order, one slot per table entry, bound to the
  entry's default pair (or reserved when the host lacks the name), so the prefix of the table is
  DCE's ``struct Libc``; every other function pair follows in policy order;
* a data pair (OBJECT, TLS) gets storage of the host's size for that version;
* ``__libc_early_init@GLIBC_PRIVATE`` is a no-op in the libc shim: ld.so calls it in every
  namespace's libc.so.6 (glibc >= 2.32 asserts it exists) and forwarding it would re-run the
  host libc's initialisation.
"""

from __future__ import annotations

from .._record import Record
from ..exports import ExportPair, ExportSet
from ..glibc.libs import GlibcLibrary
from ..policy.model import Policy, PolicyEntry

_new = tuple.__new__  # a record built by position (elfdce/_record.py)
FUNCTION_KINDS = ("FUNC", "GNU_IFUNC")
DATA_KINDS = ("OBJECT", "COMMON", "TLS")
# ld.so looks this up in each namespace's libc.so.6 and calls it (elf/dl-open.c, glibc >= 2.32).
EARLY_INIT = "__libc_early_init"
NS3_VERSION = "NS3"
SHIM_ABI = 1  # the layout of struct elfdce_shim_info; bump when it changes


def export_signature(p: ExportPair) -> tuple[str, str, bool, str, int]:
    """What a shim's export of ``p`` must look like: (name, version, default, type, size), an
    IFUNC becoming a FUNC trampoline and the size kept for data only."""
    name, version, default, kind, size = p
    if kind in FUNCTION_KINDS:
        return (name, version, default, "FUNC", 0)
    return (name, version, default, kind, size if kind in DATA_KINDS else 0)


class Slot(Record):
    """One dispatch-table slot; ``version`` None for a table entry the host does not export
    (the slot is kept so the table layout stays DCE's, nothing is exported through it)."""

    index: int  # type: ignore[assignment]
    name: str
    version: str | None
    default: bool
    cls: str  # the policy class: DCE, NATIVE, IFUNC, PRIVATE, …
    kind: str  # the host's symbol type: FUNC or GNU_IFUNC ("" when unbound)

    @property
    def label(self) -> str:
        if self.version is None:
            return self.name
        return f"{self.name}{'@@' if self.default else '@'}{self.version}"


class DataObject(Record):
    """A data pair the shim defines: storage of the host's size, for the caller to fill."""

    pair: ExportPair
    cls: str


class Exclusion(Record):
    """A host pair the shim does not export, and why."""

    pair: ExportPair
    reason: str


class ShimPlan(Record):
    """Everything the generator needs, and the export set the built shim must have."""

    library: GlibcLibrary
    host: ExportSet  # what the host file exports
    slots: tuple[Slot, ...]
    data: tuple[DataObject, ...]
    no_ops: tuple[ExportPair, ...]  # defined as functions that return at once
    excluded: tuple[Exclusion, ...]
    entries: tuple[str, ...]  # the shim's own NS3 functions: <lib>_setup, <lib>_describe
    exported: tuple[ExportPair, ...]  # the host pairs it exports (host kind and size kept)

    @property
    def describe(self) -> str:
        return f"{self.library.key}_describe"

    def expected(self) -> set[tuple[str, str, bool, str, int]]:
        """(name, version, default, type, size) the built shim must export: the host's pairs
        (IFUNCs become FUNC trampolines; sizes for data only) and its NS3 entries."""
        out = {export_signature(p) for p in self.exported}
        out.update((e, NS3_VERSION, True, "FUNC", 0) for e in self.entries)
        return out

    def export_set(self) -> ExportSet:
        """The version nodes and pairs the shim's exact version script must list."""
        return self.host._replace(pairs=self.exported)


def plan_shim(library: GlibcLibrary, host: ExportSet, policy: Policy) -> ShimPlan:
    """The plan of the shim replacing ``library`` (whose host exports are ``host``)."""
    by_name, position = _first_entries(policy)
    functions: list[ExportPair] = []
    data: list[DataObject] = []
    no_ops: list[ExportPair] = []
    excluded: list[Exclusion] = []
    for p in host.pairs:
        entry = by_name.get(p.name)
        if library.key == "libc" and p.name == EARLY_INIT:
            no_ops.append(p)
        elif entry is None:
            excluded.append(Exclusion(p, "not in the policy"))
        elif entry.cls == "UNSUPPORTED":
            excluded.append(Exclusion(p, f"UNSUPPORTED in the policy: {entry.note or 'no reason given'}"))
        elif p.kind in FUNCTION_KINDS:
            functions.append(p)
        elif p.kind in DATA_KINDS:
            data.append(DataObject(p, entry.cls))
        else:
            excluded.append(Exclusion(p, f"symbol type {p.kind}: neither a function nor data"))
    slots = _slots(policy, functions, by_name, position)
    entries = (library.setup, f"{library.key}_describe")
    gone = {(e.pair.name, e.pair.version) for e in excluded}
    exported = tuple(p for p in host.pairs if (p.name, p.version) not in gone)
    return ShimPlan(library, host, tuple(slots), tuple(data), tuple(no_ops), tuple(excluded),
                    entries, exported)


def _first_entries(policy: Policy) -> tuple[dict[str, PolicyEntry], dict[str, int]]:
    """The first entry of the policy naming each name, and that entry's position."""
    by_name: dict[str, PolicyEntry] = {}
    position: dict[str, int] = {}
    for i, e in enumerate(policy.entries):
        for n in e.names:
            if n not in by_name:
                by_name[n] = e
                position[n] = i
    return by_name, position


def _slots(policy: Policy, functions: list[ExportPair], by_name: dict[str, PolicyEntry],
           position: dict[str, int]) -> list[Slot]:
    """The dispatch table: one slot per table entry of the policy, in its order (bound to the
    entry's default pair, or to its last, or reserved when the host lacks the name), then every
    other function pair in the order of the policy's entries."""
    bound_to: dict[str, ExportPair] = {}  # per name: its first default pair, else its last pair
    for p in functions:
        chosen = bound_to.get(p.name)
        if chosen is None or not chosen.default:
            bound_to[p.name] = p
    # Slots by position (`_new`, as the reader builds symbols): ~4,000 of them for libc, in
    # every shim build (benchmarks/run.py --only shim).
    slots: list[Slot] = []
    bound: set[tuple[str, str]] = set()
    for e in policy.entries:
        if not e.macro:
            continue
        chosen = bound_to.get(e.name)
        if chosen is not None and (chosen.name, chosen.version) in bound:
            chosen = None  # an entry listed twice: its pair has a slot already
        if chosen is None:
            slots.append(_new(Slot, (len(slots), e.name, None, False, e.cls, "")))
            continue
        bound.add((chosen.name, chosen.version))
        slots.append(_new(Slot, (len(slots), chosen.name, chosen.version, chosen.default, e.cls,
                                 chosen.kind)))
    last = len(position)
    rest = sorted(
        (p for p in functions if (p.name, p.version) not in bound),
        key=lambda p: position.get(p.name, last),
    )
    for p in rest:
        slots.append(_new(Slot, (len(slots), p.name, p.version, p.default, by_name[p.name].cls,
                                 p.kind)))
    return slots


__all__ = ["DataObject", "Exclusion", "ShimPlan", "Slot", "export_signature", "plan_shim"]
