"""Version maps for DCE's five replacement libraries: the replacement for ``dcemakeversion``.

The glibc >= 2.34 rule the maps follow: libpthread.so.0, librt.so.1 and libdl.so.2 (and
libutil, libanl) are stubs that define their old version nodes but export only a hidden
placeholder; their functions live in libc.so.6, at ``@@GLIBC_2.34`` with the old versions kept
as compat pairs (``pthread_create@GLIBC_2.2.5``). The loader checks that a file a program needs
*defines* each version node the program asks of it, then looks the symbol up in every loaded
object. So a stub's replacement map carries the stub's version nodes (and its NS3 setup entry),
and the libc replacement carries the compat pairs: both are what `exact` style produces from the
host files, without special cases.
"""

from __future__ import annotations

import os

from .._record import Record
from ..elf import ElfSymbols, read_elf
from .script import dce_nodes, dce_script, exact_script, symver_header
from ..exports import ExportPair, ExportSet, from_elf
from ..glibc.libs import BY_KEY, GlibcLibrary, is_merged_stub

STYLES = ("exact", "dce")


class VersionMap(Record):
    """One generated map and what it covers."""

    source: str  # the library file it was generated from
    style: str
    script: str
    symver: tuple[ExportPair, ...]  # pairs needing .symver (exact style; empty for dce)
    exports: ExportSet  # what the host file exports (GLIBC_PRIVATE dropped if asked)
    listed: frozenset[tuple[str, str]]  # (name, version) pairs the map makes the replacement export
    stub: bool  # a glibc >= 2.34 merged stub

    @property
    def missing(self) -> tuple[ExportPair, ...]:
        """Host pairs this map cannot give the replacement (what `dce` style loses)."""
        return tuple(p for p in self.exports.pairs if (p.name, p.version) not in self.listed)


def default_prefix_dir() -> str:
    """The NS3 prefix maps shipped with elfdce (``versions/`` in a checkout)."""
    from ..data import versions_dir

    return versions_dir()


def read_prefix(library: GlibcLibrary, prefix_dir: str | None = None) -> str:
    """The bytes of ``<key>-ns3.version`` (decoded), which start every map."""
    from ..fsutil import read_input

    path = os.path.join(prefix_dir or default_prefix_dir(), library.prefix_file)
    return read_input(path).decode("utf-8")


def build_map(
    lib: str | ElfSymbols, *, style: str = "exact", prefix: str = "", private: bool = True
) -> VersionMap:
    """The version map of style ``exact`` or ``dce`` for the library ``lib`` (a path or a scan).

    ``private=False`` drops the GLIBC_PRIVATE node and its pairs (exact style only: DCE's tool
    keeps them).
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}, not {style!r}")
    elf = lib if isinstance(lib, ElfSymbols) else read_elf(lib, relocations=False)
    exports = from_elf(elf)
    if style == "exact":
        if not private:
            exports = exports.without_private()
        listed = frozenset((p.name, p.version) for p in exports.pairs)
        return VersionMap(elf.path, style, exact_script(exports, prefix), exports.symver_pairs(),
                          exports, listed, is_merged_stub(elf))
    nodes = dce_nodes(elf)
    listed = frozenset((name, node) for node, names, _ in nodes for name in names)
    return VersionMap(elf.path, style, dce_script(elf, prefix, nodes), (), exports, listed,
                      is_merged_stub(elf))


def version_script(
    lib: str | ElfSymbols, style: str = "exact", *, prefix: str | None = None,
    private: bool = True,
) -> str:
    """The GNU ld version script for the replacement of ``lib``.

    ``prefix`` defaults to elfdce's NS3 prefix map for the library's soname (none for a library
    DCE does not replace).
    """
    elf = lib if isinstance(lib, ElfSymbols) else read_elf(lib, relocations=False)
    if prefix is None:
        known = BY_KEY.get(elf.soname or "")
        prefix = read_prefix(known) if known else ""
    return build_map(elf, style=style, prefix=prefix, private=private).script


def compat_pairs(lib: str | ElfSymbols, *, private: bool = True) -> tuple[ExportPair, ...]:
    """The pairs of ``lib`` that need a ``.symver`` directive next to its exact map."""
    return build_map(lib, style="exact", private=private).symver


__all__ = [
    "STYLES", "VersionMap", "build_map", "compat_pairs", "default_prefix_dir", "read_prefix",
    "symver_header", "version_script",
]
