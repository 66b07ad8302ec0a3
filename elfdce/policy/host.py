"""A policy for this host: DCE's table where it applies, a class for every other export.

The default (``versions/dce-1.12.policy.tsv`` then the host rule) lets a user start from
"everything loads" instead of adding one function per failed run. `staleness` says which of a
policy's entries the host no longer has as they were.
"""

from __future__ import annotations

import os

from .._record import Record
from ..elf import read_elf
from ..exports import PRIVATE, ExportPair, ExportSet, from_elf
from ..glibc.libs import FIVE, LocatedLibrary, locate
from .model import Policy, PolicyEntry
from .tsv import read_policy

DEFAULT_POLICY_FILE = "dce-1.12.policy.tsv"


class HostLibrary(Record):
    """One of the five libraries as found on the host (or sysroot), with its exports."""

    located: LocatedLibrary
    exports: ExportSet


def default_policy_path() -> str:
    """The shipped base policy (DCE 1.12's table)."""
    from ..versionmaps import default_prefix_dir

    return os.path.join(default_prefix_dir(), DEFAULT_POLICY_FILE)


def load_policy(path: str | None) -> Policy:
    """The policy file ``path`` (elfdce TSV or a DCE ``libc-ns3.h``), or the shipped default."""
    return read_policy(path or default_policy_path())


def host_libraries(
    sysroot: str | None = None, overrides: dict[str, str] | None = None
) -> list[HostLibrary]:
    """The five libraries with their exports; missing ones are left out."""
    out = []
    for loc in locate(sysroot, overrides):
        if loc.path is not None:
            out.append(HostLibrary(loc, from_elf(read_elf(loc.path, relocations=False))))
    return out


def _class_for(pairs: list[ExportPair]) -> tuple[str, str, str]:
    """(class, macro, note) of a name outside the base table, from its host pairs."""
    compat_only = not any(p.default for p in pairs)
    note = "only compat versions on this host" if compat_only else ""
    kinds = {p.kind for p in pairs}
    if "TLS" in kinds:
        return "TLS", "", "thread-local: cannot be forwarded"
    if all(p.version == PRIVATE for p in pairs):
        return "PRIVATE", "", note
    if "OBJECT" in kinds or "COMMON" in kinds:
        return "DATA", "", note
    if "GNU_IFUNC" in kinds:
        return "IFUNC", "NATIVE", note or "host symbol is an IFUNC"
    return "NATIVE", "NATIVE", note


def complete_policy(base: Policy, libraries: list[HostLibrary]) -> Policy:
    """``base`` in its order, then every other export of ``libraries`` (in library order, names
    sorted) with the class its kind implies: thread-local TLS, GLIBC_PRIVATE-only names
    PRIVATE, data objects DATA, functions NATIVE (IFUNC when the host's symbol is one)."""
    covered = set(base.by_name())
    entries = list(base.entries)
    for lib in libraries:
        by_name: dict[str, list[ExportPair]] = {}
        for p in lib.exports.pairs:
            by_name.setdefault(p.name, []).append(p)
        for name in sorted(by_name):
            if name in covered:
                continue
            covered.add(name)
            cls, macro, note = _class_for(by_name[name])
            entries.append(PolicyEntry(name, cls, macro, (), None, note, completed=True))
    return Policy(tuple(entries))


class StaleEntry(Record):
    """A policy entry the host does not have as the policy assumes (`staleness`)."""

    name: str
    kind: str  # "missing", "compat-only", "moved"
    detail: str


def staleness(policy: Policy, libraries: list[HostLibrary]) -> list[StaleEntry]:
    """Table entries whose names the host libraries no longer export, export only as compat
    versions (``__secure_getenv``), or export with a new default version in libc after
    losing their old home (``pthread_create``: now ``@@GLIBC_2.34`` in libc.so.6)."""
    pairs: dict[str, list[tuple[str, ExportPair]]] = {}
    for lib in libraries:
        for p in lib.exports.pairs:
            pairs.setdefault(p.name, []).append((lib.located.library.soname, p))
    out = []
    for e in policy.table():
        for name in e.names:
            found = pairs.get(name)
            if not found:
                out.append(StaleEntry(name, "missing", "not exported by the host libraries"))
                continue
            defaults = [(so, p) for so, p in found if p.default]
            if not defaults:
                versions = ", ".join(sorted({p.version for _, p in found}))
                out.append(StaleEntry(name, "compat-only", f"only compat versions: {versions}"))
                continue
            so, d = defaults[0]
            older = sorted({p.version for _, p in found if not p.default})
            if so == "libc.so.6" and d.version == "GLIBC_2.34" and older:
                out.append(StaleEntry(name, "moved", f"now {name}@@GLIBC_2.34 in libc.so.6 "
                                      f"(old versions kept as compat: {', '.join(older)})"))
    return out


__all__ = ["FIVE", "HostLibrary", "StaleEntry", "complete_policy", "default_policy_path",
           "host_libraries", "load_policy", "staleness"]
