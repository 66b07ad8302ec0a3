"""`scan --json`: one document for all scanned files, with a versioned schema.

The schema is ``elfdce/schemas/scan.schema.json``; ``schema_version`` changes whenever a field
is removed or changes meaning (adding fields does not).
"""

from __future__ import annotations

from ..elf.constants import DF_1_NAMES, DF_NAMES, SHN_UNDEF, VER_FLG_NAMES, flag_names
from ..elf.errors import ElfError
from .summary import count

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ..elf.model import ElfSymbols, Symbol

SCAN_SCHEMA_VERSION = 1


def symbol_dict(s: Symbol) -> dict[str, object]:
    """One symbol as a JSON object."""
    v = s.version
    return {
        "index": s.index,
        "name": s.name,
        "version": None if v is None else v.name,
        "default": None if v is None else v.is_default,
        "needed_from": None if v is None else v.needed_from,
        "type": s.type_name,
        "bind": s.bind_name,
        "visibility": s.visibility_name,
        "size": s.size,
        "value": s.value,
        "section_index": s.shndx,
        "defined": s.shndx != SHN_UNDEF,
        "version_marker": s.is_version_marker,
    }


def file_dict(elf: ElfSymbols, keep: Callable[[Symbol], bool] | None = None) -> dict[str, object]:
    """One scanned file as a JSON object (symbols filtered by ``keep``; the null entry never)."""
    h = elf.header
    c = count(elf)
    dyn = elf.dynamic
    return {
        "path": elf.path,
        "soname": elf.soname,
        "class": h.elf_class,
        "endianness": h.endianness,
        "machine": h.machine_name,
        "e_machine": h.machine,
        "type": h.type_name,
        "osabi": h.osabi,
        "symbols_from": elf.symbols_from,
        "needed": list(elf.needed),
        "rpath": None if dyn is None else dyn.rpath,
        "runpath": None if dyn is None else dyn.runpath,
        "flags": [] if dyn is None else list(flag_names(dyn.flags, DF_NAMES)),
        "flags_1": [] if dyn is None else list(flag_names(dyn.flags_1, DF_1_NAMES)),
        "version_definitions": [
            {"index": d.index, "name": d.name, "flags": list(flag_names(d.flags, VER_FLG_NAMES)),
             "parents": list(d.parents)}
            for d in elf.version_defs
        ],
        "version_needs": [
            {"file": n.file, "versions": [{"index": a.index, "name": a.name} for a in n.versions]}
            for n in elf.version_needs
        ],
        "counts": {
            "total": c.total, "defined": c.defined, "default": c.default, "compat": c.compat,
            "unversioned": c.unversioned, "undefined": c.undefined, "version_markers": c.markers,
            "types": c.types,
            "versions": {k: {"default": a, "compat": b} for k, (a, b) in c.versions.items()},
        },
        "symbols": [
            symbol_dict(s) for s in elf.symbols if s.index and (keep is None or keep(s))
        ],
    }


def scan_document(
    results: Sequence[ElfSymbols | ElfError], keep: Callable[[Symbol], bool] | None = None
) -> dict[str, object]:
    """The whole `scan --json` document; unreadable files appear as ``{"path", "error"}``."""
    files: list[dict[str, object]] = []
    for r in results:
        if isinstance(r, ElfError):
            files.append({"path": r.path, "error": r.problem})
        else:
            files.append(file_dict(r, keep))
    return {"schema_version": SCAN_SCHEMA_VERSION, "files": files}


def dumps(document: object) -> str:
    """Deterministic JSON text, all ASCII: a name whose bytes are not UTF-8 keeps them as
    ``\\udcXX`` escapes (Python's surrogateescape), so the text is always valid UTF-8."""
    import json

    return json.dumps(document, indent=1, ensure_ascii=True) + "\n"
