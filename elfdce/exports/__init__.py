"""What a library exports, as a version script sees it: `sets` (nodes, pairs, labels), `abilist`
(glibc's abilist format), `diff` (two export sets compared), `stubs` (assembly of a stub
library with the same exports)."""

from __future__ import annotations

from .sets import (
    PRIVATE, ExportPair, ExportSet, VersionNode, c_identifier, from_elf, import_label,
    internal_name, names_needing_symver, pair_label,
)

__all__ = [
    "PRIVATE", "ExportPair", "ExportSet", "VersionNode", "c_identifier", "from_elf",
    "import_label", "internal_name", "names_needing_symver", "pair_label",
]
