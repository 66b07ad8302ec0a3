"""Will this program load under DCE, and what is missing? The whole answer, before a build.

Every import of the program and of the libraries it brings (the five glibc libraries that DCE
replaces and the dynamic loader excepted) is bound the way ld.so binds it, then classed by the
policy: DCE, NATIVE, DATA, missing (nobody exports that name@version, or the replacement will not
because the policy lacks it), unsupported (TLS, GLIBC_PRIVATE, UNSUPPORTED), external (another
library the program brings provides it), weak (an unresolved weak import: allowed).
"""

from __future__ import annotations

import os

from .._record import Record
from ..emit.words import count
from ..exports.sets import import_label
from ..elf import constants as C
from ..elf import read_elf
from ..elf.constants import COPY_AND_IRELATIVE
from ..elf.kind import Kind, classify
from ..glibc.libs import FIVE
from .binding import Closure, LoadedObject, definitions, matches, resolve_closure
from .cache import Cache, NoCache

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ..elf import ElfSymbols
    from ..elf.model import Symbol
    from ..policy.model import Policy, PolicyEntry

    # the global lookup scope: (object, its definitions by name, whether it has versions)
    Scope = list[tuple[LoadedObject, dict[str, list[Symbol]], bool]]
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

    @property
    def label(self) -> str:
        """``name@version`` (``name`` when unversioned)."""
        return import_label(self.name, self.version)


class ProgramInfo(Record):
    """What DCE's loading cares about, apart from symbols."""

    pie: str  # "pie", "pie-without-flag", "exec", "static-pie", "dso"
    description: str
    copy_relocations: tuple[str, ...]  # symbols whose data is copied at load time
    executable_stack: bool
    textrel: bool

    @property
    def loadable(self) -> bool:
        return self.pie in ("pie", "pie-without-flag")


class Verdict(Record):
    """`Report.verdict`: the state, its reason, the hazards named."""

    state: str  # "loads", "loads with hazards", "needs fix-pie", "will not load"
    reason: str
    hazards: tuple[str, ...]

    @property
    def exit_status(self) -> int:
        """0 loads (hazards or not), 1 will not load, 3 needs fix-pie."""
        return {"will not load": 1, "needs fix-pie": 3}.get(self.state, 0)

    @property
    def line(self) -> str:
        return f"{self.state}: {self.reason}"


class Report(Record):
    """The preflight of one program."""

    program: str
    info: ProgramInfo
    closure: Closure
    imports: tuple[Import, ...]

    def of(self, importer: str) -> tuple[Import, ...]:
        return tuple(i for i in self.imports if i.importer == importer)

    def missing(self) -> tuple[Import, ...]:
        return tuple(i for i in self.imports if i.verdict == "missing")

    @property
    def ok(self) -> bool:
        """Nothing missing, every needed library found, and a program DCE can load."""
        return not self.missing() and not self.closure.missing and self.info.loadable

    def verdict(self, refuses_pie: bool = True, refuses_execstack: bool = False) -> Verdict:
        """What a user acts on: ``loads``, ``loads with hazards``, ``needs fix-pie`` (loads once
        DF_1_PIE is cleared: glibc >= 2.30 refuses to dlopen it), or ``will not load``, with
        the reason and the hazards."""
        from ..glibc.shared_state import USERS

        hazards = []
        shared = [c for c in self.info.copy_relocations if c in USERS]
        if shared:
            users = sorted({f for c in shared for f in USERS[c]} & {i.name for i in self.imports})
            hazards.append(f"copies {', '.join(shared)} at load time"
                           + (f" and calls {', '.join(users)}, which change the libc's own "
                              "copies: it reads stale values unless they are kept in step"
                              if users else ""))
        unsupported = sorted({i.label for i in self.imports if i.verdict == "unsupported"})
        if unsupported:
            hazards.append(f"{len(unsupported)} import{'s' * (len(unsupported) != 1)} no "
                           f"replacement can forward (TLS, GLIBC_PRIVATE): "
                           f"{', '.join(unsupported[:8])}{' …' if len(unsupported) > 8 else ''}")
        if any(i.name in ("__cxa_throw", "_Unwind_RaiseException") for i in self.imports):
            hazards.append("throws C++ exceptions: in a dlopened PIE, typeinfo its COPY "
                           "relocations take must come from libstdc++ (elfdce run redoes them)")
        if self.info.textrel:
            hazards.append("text relocations")
        missing = self.missing()
        if not self.info.loadable:
            return Verdict("will not load", self.info.description, tuple(hazards))
        if self.closure.missing:
            names = ", ".join(sorted(o.needed for o in self.closure.missing))
            return Verdict("will not load", f"libraries not found: {names}", tuple(hazards))
        if missing:
            return Verdict("will not load", f"{len(missing)} missing import"
                           f"{'s' * (len(missing) != 1)} (no object exports it, or the policy "
                           "has no entry so the replacement will not)", tuple(hazards))
        if self.info.executable_stack and refuses_execstack:
            return Verdict("will not load", "needs an executable stack, which glibc >= 2.41 "
                           "refuses to dlopen", tuple(hazards))
        if self.info.pie == "pie" and refuses_pie:
            return Verdict("needs fix-pie", "DF_1_PIE is set and this glibc (>= 2.30) refuses "
                           "to dlopen it: `elfdce fix-pie` (or a DCE tree prepared by elfdce, "
                           "whose loader clears it)", tuple(hazards))
        if hazards:
            return Verdict("loads with hazards", "every import is bound", tuple(hazards))
        return Verdict("loads", "every import is bound", ())

    def missing_by_library(self) -> dict[str, list[str]]:
        """The missing imports, sorted, by the library that should provide them."""
        out: dict[str, list[str]] = {}
        for i in self.missing():
            where = i.needed_from or i.provider or "(no library)"
            out.setdefault(where, []).append(i.label)
        return {k: sorted(set(v)) for k, v in sorted(out.items())}

    def summary(self) -> str:
        """``prog: 12 imports — 5 DCE, 6 NATIVE, 1 DATA, 0 missing`` (the program's own), then
        the same for the libraries it brings."""
        lines = []
        own = self.of(self.program)
        lines.append(f"{os.path.basename(self.program)}: {_counts(own)}")
        others = tuple(i for i in self.imports if i.importer != self.program)
        if others:
            libs = len({i.importer for i in others})
            lines.append(f"  and {count(libs, 'library')} it loads: {_counts(others)}")
        return "\n".join(lines)


def _counts(imports: tuple[Import, ...]) -> str:
    counts = {v: 0 for v in VERDICTS}
    for i in imports:
        counts[i.verdict] += 1
    parts = [f"{counts[v]} {v}" for v in VERDICTS if counts[v] or v in ("DCE", "NATIVE",
                                                                          "missing")]
    text = f"{count(len(imports), 'import')} — {', '.join(parts)}"
    missing = sorted({i.label for i in imports if i.verdict == "missing"})
    if missing:
        text += ": " + ", ".join(missing)
    return text


# `Kind` -> (ProgramInfo.pie as preflight's JSON has always named it, its description)
_PIE_STATUS = {
    Kind.EXEC: ("exec", "ET_EXEC: not position-independent; DCE can only load PIEs "
                        "(rebuild with -fPIE -pie)"),
    Kind.STATIC: ("exec", "ET_EXEC: not position-independent (a static program); DCE can only "
                          "load PIEs (rebuild with -fPIE -pie)"),
    Kind.OBJECT: ("other", "not a program"),
    Kind.PIE: ("pie", "PIE (DF_1_PIE set: glibc >= 2.30 refuses to dlopen it; "
                      "`elfdce fix-pie` clears the flag)"),
    Kind.STATIC_PIE: ("static-pie", "static PIE: no dynamic imports to replace"),
    Kind.PIE_WITHOUT_FLAG: ("pie-without-flag",
                            "PIE without DF_1_PIE (older linker): dlopen accepts it"),
    Kind.LIBRARY: ("dso", "shared library, not a program"),
}


def program_info(elf: ElfSymbols) -> ProgramInfo:
    """PIE status, COPY relocations, executable stack and text relocations of ``elf``."""
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
    return ProgramInfo(pie, text, tuple(copies), executable_stack, textrel)


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


def preflight(
    program: str, policy: Policy, *, sysroot: str | None = None,
    library_path: Iterable[str] = (), cache: Cache | None = None,
    program_elf: ElfSymbols | None = None,
    replacements: dict[str, ElfSymbols] | None = None,
) -> Report:
    """Bind and class every import of ``program`` and of the libraries it loads; ``cache``
    shares parsed libraries between calls (`Cache`); ``program_elf`` is the program already
    read (with its relocations). With ``replacements`` (soname -> built replacement, from
    `read_replacements`), an import the host's replaced libraries provide must be exported by
    one of the replacements the program loads: what the libraries built really export decides,
    not the policy's table alone."""
    cache = cache or NoCache()
    closure = resolve_closure(program, sysroot=sysroot, library_path=library_path,
                              read=_reader(program, program_elf, cache))
    loaded = closure.loaded()
    scope = _scope(loaded, cache)
    defined_versions = _defined_versions(loaded)
    index = cache.index(policy)
    interp = _interpreter_names(closure)
    built = None
    if replacements is not None:
        built = _replacements_loaded(loaded, replacements)
        for soname, elf, _ in built:
            defined_versions[soname] = {d.name for d in elf.version_defs}
    binding = _Binding(scope, defined_versions, index, interp, built)
    imports = _classified_imports(loaded, binding, cache)
    return Report(program, program_info(loaded[0].elf), closure, tuple(imports))


def _reader(program: str, program_elf: ElfSymbols | None,
            cache: Cache) -> Callable[[str, bool], ElfSymbols]:
    """``cache.read``, but for ``program``, when it was read already (``program_elf``)."""
    if program_elf is None:
        return cache.read
    elf = program_elf

    def read(path: str, relocations: bool) -> ElfSymbols:
        if path == program:
            return elf
        return cache.read(path, relocations)

    return read


def _scope(loaded: tuple[LoadedObject, ...], cache: Cache) -> Scope:
    """The global lookup scope: each loaded object, its definitions by name, whether it has
    version definitions."""
    # (the program's own definitions are not cached: nothing else loads it)
    return [(o, definitions(o.elf) if o.how == "program" else cache.definitions(o.elf),
             bool(o.elf.version_defs)) for o in loaded]


def _defined_versions(loaded: tuple[LoadedObject, ...]) -> dict[str, set[str]]:
    """The version names each loaded object defines, by its DT_NEEDED name and its soname."""
    out = {}
    for o in loaded:
        names = {d.name for d in o.elf.version_defs}
        out[o.needed] = names
        if o.elf.soname:
            out[o.elf.soname] = names
    return out


def _replacements_loaded(loaded: tuple[LoadedObject, ...],
                         replacements: dict[str, ElfSymbols]) -> Built:
    """The replacements the program loads, in load order, with their definitions."""
    return [(soname, replacements[soname], definitions(replacements[soname]))
            for soname in dict.fromkeys(o.elf.soname for o in loaded)
            if soname in replacements]


class _Binding(Record):
    """What one program's imports are bound and classed against."""

    scope: Scope
    defined_versions: dict[str, set[str]]  # version names by the soname (or DT_NEEDED name)
    entries: dict[str, PolicyEntry]  # the policy's entries by name (`Policy.by_name`)
    interp: set[str]  # sonames of the dynamic loader
    built: Built | None  # the replacements built, when they decide


def _soname(o: LoadedObject) -> str:
    """Its soname, or its file name when it has none."""
    return o.elf.soname or os.path.basename(o.path)


def _classified_imports(loaded: tuple[LoadedObject, ...], binding: _Binding,
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
            imports.extend(_imports_of(o, binding))
            continue
        key = _scope_key(o, scope, cache, program_names)
        hit = memo.get(key)
        if hit is None:
            hit = memo[key] = tuple(_imports_of(o, binding))
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


def _imports_of(o: LoadedObject, binding: _Binding) -> list[Import]:
    """Each named import of ``o``, bound in the scope and classed."""
    out = []
    for s in o.elf.undefined():
        if s.name == "":
            continue
        version = s.version.name if s.version else None
        needed_from = s.version.needed_from if s.version else None
        weak = s.bind == C.STB_WEAK
        provider = _provider(s.name, version, o, binding.scope)
        verdict, detail = _classify(s.name, version, needed_from, weak, provider,
                                    binding.defined_versions, binding.entries, binding.interp)
        if binding.built is not None and verdict not in ("external", "weak") and (
                provider is not None and provider.elf.soname in REPLACED or verdict == "missing"):
            verdict, detail = _classify_built(s.name, version, needed_from, binding.built,
                                              binding.defined_versions, binding.entries)
        prov = None if provider is None else provider.elf.soname or provider.path
        out.append(Import(o.path, s.name, version, needed_from, weak, prov, verdict, detail,
                          s.type in (C.STT_OBJECT, C.STT_TLS)))
    return out


def _provider(name: str, version: str | None, importer: LoadedObject,
              scope: Scope) -> LoadedObject | None:
    """The first object of the scope but ``importer`` with a definition the import binds to."""
    for obj, defs, has_versions in scope:
        candidates = defs.get(name)
        if candidates is None or obj is importer:
            continue
        for d in candidates:
            if matches(d, version, has_versions):
                return obj
    return None


def _classify_built(
    name: str, version: str | None, needed_from: str | None,
    built: Built,
    defined_versions: dict[str, set[str]], index: dict[str, PolicyEntry],
) -> tuple[str, str]:
    """The verdict of an import against the replacements actually built."""
    if _version_undefined(version, needed_from, defined_versions):
        return "missing", f"the replacement {needed_from} does not define version {version}"
    for soname, elf, defs in built:
        for d in defs.get(name, ()):
            if matches(d, version, bool(elf.version_defs)):
                entry = index.get(name)
                if entry is not None and entry.cls in ("DCE", "NATIVE", "DATA"):
                    return entry.cls, f"exported by the replacement {soname}"
                kind = "DATA" if d.is_object or d.is_tls else "NATIVE"
                return kind, f"exported by the replacement {soname} (outside the table)"
    return "missing", f"no replacement the program loads exports {import_label(name, version)}"


def _version_undefined(version: str | None, needed_from: str | None,
                       defined_versions: dict[str, set[str]]) -> bool:
    """The import asks ``needed_from`` (a file whose versions are known) for a version it does
    not define: ld.so refuses to load the program."""
    if version is None or needed_from is None:
        return False
    have = defined_versions.get(needed_from)
    return have is not None and version not in have


def _interpreter_names(closure: Closure) -> set[str]:
    names = set()
    for o in closure.loaded():
        if o.elf.soname and o.elf.soname.startswith("ld"):
            names.add(o.elf.soname)
    return names


def _classify(
    name: str, version: str | None, needed_from: str | None, weak: bool,
    provider: LoadedObject | None, defined_versions: dict[str, set[str]],
    index: dict[str, PolicyEntry], interp: set[str],
) -> tuple[str, str]:
    if _version_undefined(version, needed_from, defined_versions):
        # ld.so: "version `X' not found (required by …)"
        return "missing", f"{needed_from} does not define version {version}"
    if provider is None:
        if weak:
            return "weak", "unresolved weak import (allowed)"
        return "missing", "no loaded object exports it"
    soname = _soname(provider)
    if soname in interp:
        return "external", f"from the dynamic loader {soname} (DCE does not replace it)"
    if soname not in REPLACED:
        return "external", f"from {soname}"
    entry = index.get(name)
    if entry is None:
        return "missing", f"the policy has no entry: the replacement {soname} will not export it"
    if entry.cls in ("DCE", "NATIVE", "DATA"):
        return entry.cls, entry.note
    if entry.cls == "IFUNC":
        return "NATIVE", "forwarded to the host's IFUNC-resolved implementation"
    return "unsupported", f"{entry.cls}{': ' + entry.note if entry.note else ''}"
