"""Find a program's DT_NEEDED closure the way glibc's loader does, and bind its imports.

Search order for a needed name without a slash (glibc elf/dl-load.c, _dl_map_object): the
DT_RPATH of the requesting object and of the objects that loaded it (only when the requester
has no DT_RUNPATH), LD_LIBRARY_PATH, the requester's DT_RUNPATH, the ld.so.cache, then the
default directories. ``$ORIGIN`` expands to the requester's directory. A candidate of another
ELF class or machine is skipped, as the loader skips it. Objects are loaded breadth first; the
global lookup scope is that order (the program first).
"""

from __future__ import annotations

import os

from .._record import Record
from ..elf import ElfError, ElfSymbols, read_elf
from ..elf.constants import SHN_ABS
from ..glibc.libs import _ldconfig_entries, library_dirs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ..elf.model import Symbol


class LoadedObject(Record):
    """One object of the closure: how it was asked for, where it was found, its scan."""

    needed: str  # the DT_NEEDED string (the program's own path for the program)
    path: str | None  # None: not found
    elf: ElfSymbols | None
    needed_by: str | None  # path of the object whose DT_NEEDED named it
    how: str  # "program", "rpath", "LD_LIBRARY_PATH", "runpath", "ld.so.cache", "default", …


class Closure(Record):
    """The program and every object it needs, in load (= global lookup scope) order."""

    objects: tuple[LoadedObject, ...]

    @property
    def missing(self) -> tuple[LoadedObject, ...]:
        return tuple(o for o in self.objects if o.path is None)

    def loaded(self) -> tuple[LoadedObject, ...]:
        return tuple(o for o in self.objects if o.elf is not None)


def _expand(entry: str, origin: str) -> str:
    for token in ("$ORIGIN", "${ORIGIN}"):
        entry = entry.replace(token, origin)
    return entry


def _split_paths(value: str | None, origin: str) -> list[str]:
    return [_expand(p, origin) for p in (value or "").split(":") if p]


def resolve_closure(
    program: str,
    *,
    sysroot: str | None = None,
    library_path: Iterable[str] = (),
    use_cache: bool = True,
    read: Callable[[str, bool], ElfSymbols] | None = None,
) -> Closure:
    """Load ``program`` and its DT_NEEDED closure as ld.so would (without running anything).

    ``library_path`` plays LD_LIBRARY_PATH. With a ``sysroot``, absolute search paths are taken
    inside it, its ``etc/ld.so.cache`` is read (through ``ldconfig -C``), and its default
    directories are searched. Raises `ElfError` for an unreadable program; an unreadable or
    missing library is reported as a `LoadedObject` without ``elf``. ``read(path,
    relocations)`` replaces `read_elf` (a cache shared across many programs).
    """
    root = sysroot or ""
    read = read or _read
    prog = read(program, True)
    want = (prog.header.machine, prog.header.elf_class)
    cache = _cache(sysroot) if use_cache else []
    defaults = library_dirs(sysroot or "/")
    library_path = [p for p in library_path if p]
    objects = [LoadedObject(program, program, prog, None, "program")]
    by_soname: dict[str, int] = {}
    # ld.so recognises a file it has loaded already by device and inode (dl-load.c)
    by_path: dict[tuple[int, int], int] = {_file_id(program): 0}
    parents: dict[int, int | None] = {0: None}
    queue = [0]
    while queue:
        i = queue.pop(0)
        obj = objects[i]
        assert obj.elf is not None and obj.path is not None
        origin = os.path.dirname(os.path.abspath(obj.path))
        for needed in obj.elf.needed:
            if needed in by_soname:
                continue
            found = _search(needed, i, objects, parents, origin, library_path, cache, defaults,
                            root, want, read)
            if found is None:
                objects.append(LoadedObject(needed, None, None, obj.path, "not found"))
                by_soname[needed] = len(objects) - 1
                continue
            path, how, elf = found
            real = _file_id(path)
            if real in by_path:  # the same file under another name: loaded once
                by_soname[needed] = by_path[real]
                continue
            objects.append(LoadedObject(needed, path, elf, obj.path, how))
            j = len(objects) - 1
            by_soname[needed] = by_path[real] = j
            if elf.soname:
                by_soname.setdefault(elf.soname, j)
            parents[j] = i
            queue.append(j)
    return Closure(tuple(objects))


def _file_id(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def _read(path: str, relocations: bool) -> ElfSymbols:
    return read_elf(path, relocations=relocations)


def _cache(sysroot: str | None) -> list[tuple[str, str, str]]:
    if sysroot is None:
        return _ldconfig_entries()
    path = os.path.join(sysroot, "etc", "ld.so.cache")
    if not os.path.exists(path):
        return []
    entries = _ldconfig_entries(("-p", "-C", path))
    return [(s, f, os.path.join(sysroot, p.lstrip("/"))) for s, f, p in entries]


def _search(
    needed: str, requester: int, objects: list[LoadedObject], parents: dict[int, int | None],
    origin: str, library_path: list[str], cache: list[tuple[str, str, str]],
    defaults: list[str], root: str, want: tuple[int, int],
    read: Callable[[str, bool], ElfSymbols],
) -> tuple[str, str, ElfSymbols] | None:
    def candidate(path: str) -> ElfSymbols | None:
        if not os.path.isfile(path):
            return None
        try:
            elf = read(path, False)  # only the program's relocations are looked at
        except ElfError:
            return None
        return elf if (elf.header.machine, elf.header.elf_class) == want else None

    def inside(d: str) -> str:
        return os.path.join(root, d.lstrip("/")) if root and d.startswith("/") else d

    if "$ORIGIN" in needed or "${ORIGIN}" in needed:
        needed = _expand(needed, origin)  # ld.so expands it in DT_NEEDED too (_dl_dst_substitute)
    if "/" in needed:
        path = inside(needed)
        elf = candidate(path)
        return (path, "path", elf) if elf else None
    dirs: list[tuple[str, str]] = []
    req = objects[requester].elf
    assert req is not None and req.dynamic is not None
    if req.dynamic.runpath is None:
        # DT_RPATH of the requester, then of each object that loaded it, up to the program
        k: int | None = requester
        while k is not None:
            o = objects[k]
            if o.elf is not None and o.elf.dynamic is not None and o.path is not None:
                o_origin = os.path.dirname(os.path.abspath(o.path))
                dirs += [(d, "rpath") for d in _split_paths(o.elf.dynamic.rpath, o_origin)]
            k = parents.get(k)
    dirs += [(d, "LD_LIBRARY_PATH") for d in library_path]
    dirs += [(d, "runpath") for d in _split_paths(req.dynamic.runpath, origin)]
    for d, how in dirs:
        path = os.path.join(inside(d), needed)
        elf = candidate(path)
        if elf is not None:
            return path, how, elf
    if not (req.dynamic.flags_1 & 0x800):  # DF_1_NODEFLIB skips the cache and default dirs
        for soname, _flags, path in cache:
            if soname == needed:
                elf = candidate(path)
                if elf is not None:
                    return path, "ld.so.cache", elf
        for d in defaults:
            path = os.path.join(d, needed)
            elf = candidate(path)
            if elf is not None:
                return path, "default", elf
    return None


def definitions(elf: ElfSymbols) -> dict[str, list[Symbol]]:
    """The symbols ``elf`` exports, by name (what the loader can bind an import to)."""
    out: dict[str, list[Symbol]] = {}
    for s in elf.symbols:
        # Symbol.is_export, unrolled (this runs over every symbol of every loaded object):
        # defined, not local, default or protected visibility, not a version-node marker
        _index, name, value, _size, info, other, shndx, version = s
        if not shndx or not info >> 4 or other & 3 not in (0, 3):
            continue
        if (shndx == SHN_ABS and value == 0 and version is not None
                and version.needed_from is None and version.name == name):
            continue
        out.setdefault(name, []).append(s)
    return out


def matches(definition: Symbol, version: str | None, has_versions: bool) -> bool:
    """Whether an import of ``version`` (None: unversioned) binds to ``definition``
    (glibc elf/dl-lookup.c check_match): a versioned import needs that version, default or
    hidden, unless the defining object has no versions at all; an unversioned one takes a
    non-hidden definition."""
    v = definition.version
    if version is None:
        return v is None or not v.hidden
    if v is None:
        return not has_versions
    return v.name == version and v.needed_from is None
