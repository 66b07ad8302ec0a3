"""Will this program run under DCE, and what is missing? The whole answer, before a build.

`binding` finds the program's closure and binds every import as ld.so does; `classify` says
what becomes of each (DCE, NATIVE, DATA, missing, unsupported, external, weak); `verdict`
applies DCE's rules to the result. This module puts them together: `preflight` gives the
`Report` of one program.
"""

from __future__ import annotations

import os

from .._record import Record
from ..emit.words import count
from .binding import Closure, defined_versions, interpreter_sonames, lookup_scope, resolve_closure
from .cache import Cache, NoCache
from .classify import (
    VERDICTS,
    Binding,
    Import,
    classified_imports,
    read_replacements,
    replacements_loaded,
)
from .verdict import Facts, ProgramInfo, Setting, Verdict, program_info, verdict

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ..elf import ElfSymbols
    from ..policy.model import Policy


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

    def verdict(self, setting: Setting) -> Verdict:
        """What happens to it inside the DCE ``setting`` describes (`verdict.verdict`)."""
        return verdict(Facts(self.info, self.closure, self.imports, setting))

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
    versions = defined_versions(loaded)
    built = None
    if replacements is not None:
        built = replacements_loaded(loaded, replacements)
        for soname, elf, _ in built:
            versions[soname] = {d.name for d in elf.version_defs}
    binding = Binding(lookup_scope(loaded, cache.definitions), versions, cache.index(policy),
                      interpreter_sonames(closure), built)
    imports = classified_imports(loaded, binding, cache)
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


__all__ = ["Import", "ProgramInfo", "Report", "Setting", "Verdict", "preflight",
           "program_info", "read_replacements"]
