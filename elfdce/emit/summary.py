"""Counts that describe a scanned file: per kind of symbol and per version node."""

from __future__ import annotations

from .._record import Record
from ..elf.constants import SHN_UNDEF, STT_NAMES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..elf.model import ElfSymbols, Symbol


class Counts(Record):
    """How many dynamic symbols of each kind a file has."""

    total: int  # entries of the dynamic symbol table, null entry included
    defined: int  # defined symbols other than version markers
    default: int  # of those, at a default version (@@)
    compat: int  # of those, at a hidden version (@)
    unversioned: int  # of those, without a version
    undefined: int  # imports (the null entry excluded)
    markers: int  # version-node ABS markers
    types: dict[str, int]  # of the defined non-marker symbols, by type name
    binds: dict[str, int]
    versions: dict[str, tuple[int, int]]  # version node -> (@@ count, @ count), defined only


def symbol_filter(
    defined: bool = False, undefined: bool = False, version_node: str | None = None
):  # -> Callable[[Symbol], bool]
    """A predicate for the `scan` filters (``--defined``, ``--undefined``, ``--version-node``)."""

    def keep(s: Symbol) -> bool:
        if defined and s.shndx == SHN_UNDEF:
            return False
        if undefined and (s.shndx != SHN_UNDEF or s.index == 0):
            return False
        if version_node is not None and (s.version is None or s.version.name != version_node):
            return False
        return True

    return keep


def count(elf: ElfSymbols) -> Counts:
    """Counts of ``elf``'s dynamic symbols (see `Counts`)."""
    defined = default = compat = unversioned = undefined = markers = 0
    types: dict[str, int] = {}
    binds: dict[str, int] = {}
    versions: dict[str, list[int]] = {
        d.name: [0, 0] for d in elf.version_defs if not d.is_base
    }
    for s in elf.symbols:
        if s.shndx == SHN_UNDEF:
            if s.index:
                undefined += 1
            continue
        if s.is_version_marker:
            markers += 1
            continue
        defined += 1
        t = STT_NAMES.get(s.info & 0xF, str(s.info & 0xF))
        types[t] = types.get(t, 0) + 1
        b = s.bind_name
        binds[b] = binds.get(b, 0) + 1
        v = s.version
        if v is None:
            unversioned += 1
        elif v.hidden or v.needed_from is not None:
            compat += 1
            versions.setdefault(v.name, [0, 0])[1] += 1
        else:
            default += 1
            versions.setdefault(v.name, [0, 0])[0] += 1
    return Counts(
        len(elf.symbols), defined, default, compat, unversioned, undefined, markers, types,
        binds, {k: (a, b) for k, (a, b) in versions.items()},
    )
