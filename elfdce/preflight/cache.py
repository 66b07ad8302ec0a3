"""What `preflight` may share between the programs of one run (a tree's worker keeps one)."""

from __future__ import annotations

import os

from ..elf import read_elf
from .binding import definitions

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..elf import ElfSymbols
    from ..elf.model import Symbol
    from ..policy.model import Policy, PolicyEntry
    from .classify import Import


class Cache:
    """What `preflight` may share between programs: parsed libraries (by device, inode, size
    and mtime), their definitions, the policy's name index, and the classified imports of a library
    in a given load scope. Programs (read with relocations) are not kept: nothing else loads
    them. The default (`preflight` without a cache) shares nothing."""

    def __init__(self) -> None:
        self._files: dict[tuple[int, int, int, int], ElfSymbols] = {}
        # the same file by another name (merged /usr: /lib/... and /usr/lib/...): the parse
        # shared, the path the loader would report its own
        self._renamed: dict[tuple[tuple[int, int, int, int], str], ElfSymbols] = {}
        self._definitions: dict[int, tuple[ElfSymbols, dict[str, list[Symbol]]]] = {}
        self._import_names: dict[int, tuple[ElfSymbols, frozenset[str]]] = {}
        self._relevant: dict[tuple[int, int], bool] = {}
        self._index: tuple[Policy, dict[str, PolicyEntry]] | None = None
        self.imports: dict[tuple, tuple[Import, ...]] | None = {}
        self.parsed = 0  # files actually read (cache misses)

    @staticmethod
    def _key(path: str) -> tuple[int, int, int, int]:
        st = os.stat(path)
        return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns  # the same file by any name

    def cached(self, path: str) -> ElfSymbols | None:
        """The library at ``path`` if it was read already (and has not changed since)."""
        key = self._key(path)
        elf = self._files.get(key)
        return None if elf is None else self._named(key, elf, path)

    def read(self, path: str, relocations: bool) -> ElfSymbols:
        """`read_elf`; libraries (``relocations`` False) once per file version, whatever the
        name they are reached by (each name keeps its own ``path``)."""
        if relocations:
            self.parsed += 1
            return read_elf(path, relocations=True)
        key = self._key(path)
        elf = self._files.get(key)
        if elf is None:
            elf = read_elf(path, relocations=False)
            self._files[key] = elf
            self.parsed += 1
        return self._named(key, elf, path)

    def _named(self, key: tuple[int, int, int, int], elf: ElfSymbols, path: str) -> ElfSymbols:
        """``elf`` as read under ``path`` (one record per name, so identity caches hold)."""
        if elf.path == path:
            return elf
        renamed = self._renamed.get((key, path))
        if renamed is None:
            renamed = self._renamed[(key, path)] = elf._replace(path=path)
        return renamed

    def definitions(self, elf: ElfSymbols) -> dict[str, list[Symbol]]:
        hit = self._definitions.get(id(elf))
        if hit is None or hit[0] is not elf:
            hit = (elf, definitions(elf))
            self._definitions[id(elf)] = hit
        return hit[1]

    def import_names(self, elf: ElfSymbols) -> frozenset[str]:
        hit = self._import_names.get(id(elf))
        if hit is None or hit[0] is not elf:
            hit = (elf, frozenset(s.name for s in elf.undefined() if s.name))
            self._import_names[id(elf)] = hit
        return hit[1]

    def relevant(self, lib: ElfSymbols, other: ElfSymbols) -> bool:
        """Whether ``other`` defines any name ``lib`` imports (both cached libraries)."""
        key = (id(lib), id(other))
        hit = self._relevant.get(key)
        if hit is None:
            hit = not self.import_names(lib).isdisjoint(self.definitions(other))
            self._relevant[key] = hit
        return hit

    def index(self, policy: Policy) -> dict[str, PolicyEntry]:
        if self._index is None or self._index[0] is not policy:
            self._index = (policy, policy.by_name())
        return self._index[1]


class NoCache(Cache):
    """The `Cache` that shares nothing (`preflight` without one)."""

    def __init__(self) -> None:
        super().__init__()
        self.imports = None

    def read(self, path: str, relocations: bool) -> ElfSymbols:
        """`read_elf`, every time."""
        return read_elf(path, relocations=relocations)

    def definitions(self, elf: ElfSymbols) -> dict[str, list[Symbol]]:
        """`binding.definitions`, every time."""
        return definitions(elf)

    def index(self, policy: Policy) -> dict[str, PolicyEntry]:
        """The policy's name index, every time."""
        return policy.by_name()
