"""What changed between two export sets: the list a DCE maintainer needs after a glibc upgrade."""

from __future__ import annotations

from .._record import Record
from .sets import PRIVATE, ExportPair, ExportSet

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..policy.model import Policy


class Change(Record):
    """One difference. ``kind``: added, removed, changed (kind or size), moved (the default
    version of a name changed), compat-only (a name lost its default version)."""

    kind: str
    name: str
    old: str | None  # "name@@V", "name@V", or a description
    new: str | None
    policy: str | None = None  # the class the policy gives the name, None when it has none


def _key(p: ExportPair) -> tuple[str, str]:
    return (p.name, p.version)


def _shape(p: ExportPair) -> tuple[str, int]:
    kind = "FUNC" if p.kind == "GNU_IFUNC" else p.kind  # an abilist says F for both
    return (kind, p.size if p.is_data else 0)


def diff_exports(old: ExportSet, new: ExportSet, policy: Policy | None = None) -> list[Change]:
    """Changes from ``old`` to ``new``. When either side comes from an abilist (no @/@@ in
    it) GLIBC_PRIVATE is left out of both and default versions are not compared."""
    defaults = old.defaults_known and new.defaults_known
    if not defaults:
        old = old.without_private()
        new = new.without_private()
    a = {_key(p): p for p in old.pairs}
    b = {_key(p): p for p in new.pairs}

    def label(p: ExportPair) -> str:  # without @/@@ where one side cannot tell them apart
        return p.label if defaults else f"{p.name} {p.version}"

    out: list[Change] = []
    for k in sorted(a.keys() - b.keys()):
        out.append(Change("removed", k[0], label(a[k]), None))
    for k in sorted(b.keys() - a.keys()):
        out.append(Change("added", k[0], None, label(b[k])))
    for k in sorted(a.keys() & b.keys()):
        if _shape(a[k]) != _shape(b[k]):
            (ka, sa), (kb, sb) = _shape(a[k]), _shape(b[k])
            out.append(Change("changed", k[0], f"{label(a[k])} {ka} {sa}",
                              f"{label(b[k])} {kb} {sb}"))
    if defaults:
        da = {p.name: p for p in old.pairs if p.default}
        db = {p.name: p for p in new.pairs if p.default}
        names_b = {p.name for p in new.pairs}
        for name in sorted(da.keys() & db.keys()):
            if da[name].version != db[name].version:
                out.append(Change("moved", name, da[name].label, db[name].label))
        for name in sorted((da.keys() - db.keys()) & names_b):
            compat = sorted(p.label for p in new.pairs if p.name == name)
            out.append(Change("compat-only", name, da[name].label, ", ".join(compat)))
    if policy is not None:
        index = policy.by_name()
        out = [c._replace(policy=index[c.name].cls if c.name in index else None) for c in out]
    order = {"removed": 0, "compat-only": 1, "moved": 2, "changed": 3, "added": 4}
    return sorted(out, key=lambda c: (order[c.kind], c.name, c.old or "", c.new or ""))


def read_exports(path: str) -> ExportSet:
    """A library (any ELF file) or a glibc abilist, told apart by the ELF magic; a FIFO, device
    or huge file is refused before it is read (`read_input`). Raises ElfError, AbilistError or
    InputError."""
    from ..elf import ElfError, read_elf
    from .sets import from_elf

    try:
        return from_elf(read_elf(path, relocations=False))
    except ElfError as err:
        if "not an ELF file" not in str(err):
            raise
    from .abilist import parse_abilist
    from ..fsutil import read_text_input

    return parse_abilist(read_text_input(path), path)


__all__ = ["Change", "PRIVATE", "diff_exports", "read_exports"]
