"""What becomes of each import once it is bound: the policy's class (DCE, NATIVE, DATA), or
missing, unsupported, external, weak.

An import the five replaced libraries provide on the host goes to the replacement: it is what
the policy's entry says, or, with the replacements actually built (``--replacements``), what
they export. Every other import stays with the library that provides it (external), and an
unresolved weak one is allowed.
"""

from __future__ import annotations

import os
from itertools import chain

from .._record import Record
from ..elf import constants as C
from ..elf import read_elf
from ..exports.sets import import_label
from ..glibc.libs import FIVE
from .binding import definitions, matches, provider, version_undefined

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..elf import ElfSymbols
    from ..elf.model import Symbol
    from ..policy.model import PolicyEntry
    from .binding import LoadedObject, Scope
    from .cache import Cache

    # the replacements built: (soname, scan, definitions by name)
    Built = list[tuple[str, ElfSymbols, dict[str, list[Symbol]]]]

REPLACED = {lib.soname for lib in FIVE}
VERDICTS = ("DCE", "NATIVE", "DATA", "missing", "unsupported", "external", "weak")


class Import(Record):
    """One imported symbol of one object and what becomes of it."""

    importer: str  # path of the importing object
    name: str
    version: str | None
    needed_from: str | None  # the verneed file the version is asked of
    weak: bool
    provider: str | None  # soname (or path) of the object that defines it on the host
    verdict: str  # one of VERDICTS
    detail: str
    data: bool = False  # a data object (STT_OBJECT/STT_TLS), not a function
    completed: bool = False  # its policy entry was added for the host, not in DCE's table

    @property
    def label(self) -> str:
        """``name@version`` (``name`` when unversioned)."""
        return import_label(self.name, self.version)


def read_replacements(directory: str) -> dict[str, ElfSymbols]:
    """The replacement libraries built in ``directory`` (``libc-ns3.so`` …, DCE's or elfdce's),
    by the soname each carries (``libc.so.6``); OSError/ElfError for an unreadable one."""
    out: dict[str, ElfSymbols] = {}
    for lib in FIVE:
        path = os.path.join(directory, f"{lib.key}-ns3.so")
        if os.path.isfile(path):
            elf = read_elf(path, relocations=False)
            out[elf.soname or lib.soname] = elf
    if not out:
        raise FileNotFoundError(2, "no libc-ns3.so (or other replacement) in it", directory)
    return out


def replacements_loaded(loaded: tuple[LoadedObject, ...],
                        replacements: dict[str, ElfSymbols]) -> Built:
    """The replacements the program loads, in load order, with their definitions."""
    return [(soname, replacements[soname], definitions(replacements[soname]))
            for soname in dict.fromkeys(o.elf.soname for o in loaded)
            if soname in replacements]


class Binding(Record):
    """What one program's imports are bound and classed against."""

    scope: Scope
    defined_versions: dict[str, set[str]]  # version names by the soname (or DT_NEEDED name)
    entries: dict[str, PolicyEntry]  # the policy's entries by name (`Policy.by_name`)
    interp: set[str]  # sonames of the dynamic loader
    built: Built | None  # the replacements built, when they decide


def _soname(o: LoadedObject) -> str:
    """Its soname, or its file name when it has none."""
    return o.elf.soname or os.path.basename(o.path)


def classified_imports(loaded: tuple[LoadedObject, ...], binding: Binding,
                       cache: Cache) -> list[Import]:
    """The imports of every loaded object but the replaced libraries and the loader, in load
    order; a library's are taken from ``cache.imports`` when they were classed in the same
    scope (`_scope_key`) already."""
    imports: list[Import] = []
    memo = cache.imports
    scope = binding.scope
    program_names = set(scope[0][1]) if scope else set()
    skipped = REPLACED | binding.interp  # replaced by DCE, or the loader itself
    for o in loaded:
        if o.how != "program" and _soname(o) in skipped:
            continue
        if memo is None or o.how == "program":
            imports.extend(imports_of(o, binding))
            continue
        key = _scope_key(o, scope, cache, program_names)
        hit = memo.get(key)
        if hit is None:
            hit = memo[key] = tuple(imports_of(o, binding))
        imports.extend(hit)
    return imports


def _scope_key(o: LoadedObject, scope: Scope, cache: Cache, program_names: set[str]) -> tuple:
    """What decides how the library ``o``'s imports bind and are classed."""
    # A library's imports bind the same way wherever the same objects, in the same order,
    # define the names it imports (and the program, first in the scope, interposes the same
    # ones): one classification per such set, shared by every program.
    providers = tuple(x.path for x, _, _ in scope[1:]
                      if x is not o and cache.relevant(o.elf, x.elf))
    return (o.path, providers, cache.import_names(o.elf) & program_names)


def imports_of(o: LoadedObject, binding: Binding) -> list[Import]:
    """Each named import of ``o``, bound in the scope and classed; a program's copies of
    library data count as imports (a copy nothing defines stops the load: "symbol lookup
    error")."""
    out = []
    for s in chain(o.elf.undefined(), o.elf.copied()):
        if s.name == "":
            continue
        version = s.version.name if s.version else None
        needed_from = s.version.needed_from if s.version else None
        weak = s.bind == C.STB_WEAK
        found = provider(s.name, version, o, binding.scope)
        verdict, detail = by_policy(s.name, version, needed_from, weak, found, binding)
        if binding.built is not None and verdict not in ("external", "weak") and (
                found is not None and found.elf.soname in REPLACED or verdict == "missing"):
            verdict, detail = by_replacements(s.name, version, needed_from, binding)
        entry = binding.entries.get(s.name)
        out.append(Import(o.path, s.name, version, needed_from, weak,
                          None if found is None else found.elf.soname or found.path,
                          verdict, detail, s.type in (C.STT_OBJECT, C.STT_TLS),
                          entry is not None and entry.completed))
    return out


def by_replacements(name: str, version: str | None, needed_from: str | None,
                    binding: Binding) -> tuple[str, str]:
    """The verdict of an import against the replacements actually built."""
    assert binding.built is not None
    if version_undefined(version, needed_from, binding.defined_versions):
        return "missing", f"the replacement {needed_from} does not define version {version}"
    for soname, elf, defs in binding.built:
        for d in defs.get(name, ()):
            if matches(d, version, bool(elf.version_defs)):
                entry = binding.entries.get(name)
                if entry is not None and entry.cls in ("DCE", "NATIVE", "DATA"):
                    return entry.cls, f"exported by the replacement {soname}"
                kind = "DATA" if d.is_object or d.is_tls else "NATIVE"
                return kind, f"exported by the replacement {soname} (outside the table)"
    return "missing", f"no replacement the program loads exports {import_label(name, version)}"


def by_policy(name: str, version: str | None, needed_from: str | None, weak: bool,
              found: LoadedObject | None, binding: Binding) -> tuple[str, str]:
    """The verdict of an import bound to ``found`` (None: nothing defines it), by the policy."""
    if version_undefined(version, needed_from, binding.defined_versions):
        # ld.so: "version `X' not found (required by …)"
        return "missing", f"{needed_from} does not define version {version}"
    if found is None:
        if weak:
            return "weak", "unresolved weak import (allowed)"
        return "missing", "no loaded object exports it"
    soname = _soname(found)
    if soname in binding.interp:
        return "external", f"from the dynamic loader {soname} (DCE does not replace it)"
    if soname not in REPLACED:
        return "external", f"from {soname}"
    entry = binding.entries.get(name)
    if entry is None:
        return "missing", f"the policy has no entry: the replacement {soname} will not export it"
    if entry.cls in ("DCE", "NATIVE", "DATA"):
        return entry.cls, entry.note
    if entry.cls == "IFUNC":
        return "NATIVE", "forwarded to the host's IFUNC-resolved implementation"
    return "unsupported", f"{entry.cls}{': ' + entry.note if entry.note else ''}"
