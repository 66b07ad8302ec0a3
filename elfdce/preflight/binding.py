"""Find a program's DT_NEEDED closure the way glibc's loader does, and bind its imports.

Search order for a needed name without a slash (glibc elf/dl-load.c, _dl_map_object): the
DT_RPATH of the requesting object and of the objects that loaded it (only when the requester
has no DT_RUNPATH), LD_LIBRARY_PATH, the requester's DT_RUNPATH, the ld.so.cache, then the
default directories. ``$ORIGIN`` expands to the requester's directory. A candidate of another
ELF class or machine is skipped, as the loader skips it. Objects are loaded breadth first; the
global lookup scope is that order (the program first).
"""

from __future__ import annotations

import itertools
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
    """An object of the closure that was found and read: how it was asked for, where it was
    found, its scan."""

    needed: str  # the DT_NEEDED string (the program's own path for the program)
    path: str
    elf: ElfSymbols
    needed_by: str | None  # path of the object whose DT_NEEDED named it (None: the program)
    how: str  # "program", "path", "rpath", "LD_LIBRARY_PATH", "runpath", "ld.so.cache", "default"


class MissingObject(Record):
    """A DT_NEEDED name the loader would not find (nothing of the program's class and machine
    under that name). ``path``, ``elf`` and ``how`` read as a `LoadedObject`'s would."""

    needed: str  # the DT_NEEDED string
    needed_by: str  # path of the object whose DT_NEEDED named it

    @property
    def path(self) -> None:
        return None

    @property
    def elf(self) -> None:
        return None

    @property
    def how(self) -> str:
        return "not found"


class Closure(Record):
    """The program and every object it needs, in load (= global lookup scope) order."""

    objects: tuple[LoadedObject | MissingObject, ...]

    @property
    def missing(self) -> tuple[MissingObject, ...]:
        return tuple(o for o in self.objects if isinstance(o, MissingObject))

    def loaded(self) -> tuple[LoadedObject, ...]:
        return tuple(o for o in self.objects if isinstance(o, LoadedObject))


def _expand(entry: str, origin: str) -> str:
    for token in ("$ORIGIN", "${ORIGIN}"):
        entry = entry.replace(token, origin)
    return entry


def _split_paths(value: str | None, origin: str) -> list[str]:
    return [_expand(p, origin) for p in (value or "").split(":") if p]


def _origin(o: LoadedObject) -> str:
    """What ``$ORIGIN`` expands to in ``o``'s strings: its directory."""
    return os.path.dirname(os.path.abspath(o.path))


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
    missing library is reported as a `MissingObject`. ``read(path, relocations)`` replaces
    `read_elf` (a cache shared across many programs).
    """
    read = read or _read
    prog = read(program, True)
    search = _Search(
        root=sysroot or "",
        want=(prog.header.machine, prog.header.elf_class),
        read=read,
        cache=_cache(sysroot) if use_cache else [],
        defaults=library_dirs(sysroot or "/"),
        library_path=[p for p in library_path if p],
    )
    return Closure(tuple(_load_breadth_first(program, prog, search)))


def _load_breadth_first(
    program: str, prog: ElfSymbols, search: _Search,
) -> list[LoadedObject | MissingObject]:
    """The objects in ld.so's load order: the program, then the DT_NEEDED names of each loaded
    object in turn, a name or a file already loaded skipped."""
    first = LoadedObject(program, program, prog, None, "program")
    objects: list[LoadedObject | MissingObject] = [first]
    names: set[str] = set()
    # ld.so recognises a file it has loaded already by device and inode (dl-load.c)
    files = {_file_id(program)}
    queue: list[tuple[LoadedObject, ...]] = [(first,)]  # each object, then those that loaded it
    while queue:
        chain = queue.pop(0)
        obj = chain[0]
        for needed in obj.elf.needed:
            if needed in names:
                continue
            names.add(needed)
            found = search.find(needed, chain)
            if found is None:
                objects.append(MissingObject(needed, obj.path))
                continue
            path, how, elf = found
            real = _file_id(path)
            if real in files:  # the same file under another name: loaded once
                continue
            files.add(real)
            loaded = LoadedObject(needed, path, elf, obj.path, how)
            objects.append(loaded)
            if elf.soname:
                names.add(elf.soname)
            queue.append((loaded, *chain))
    return objects


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


class _Search(Record):
    """Where ld.so looks for one program's libraries, and which objects it takes."""

    root: str  # the sysroot ("" for the host)
    want: tuple[int, int]  # the program's (e_machine, ELF class)
    read: Callable[[str, bool], ElfSymbols]
    cache: list[tuple[str, str, str]]  # (soname, flags, path) of the ld.so.cache
    defaults: list[str]
    library_path: list[str]  # LD_LIBRARY_PATH

    def find(self, needed: str, chain: tuple[LoadedObject, ...]
             ) -> tuple[str, str, ElfSymbols] | None:
        """(path, how, scan) of the object ``needed`` names, asked for by ``chain[0]`` (loaded
        by ``chain[1]``, … up to the program), or None when the loader would find none."""
        requester = chain[0]
        origin = _origin(requester)
        if "$ORIGIN" in needed or "${ORIGIN}" in needed:
            # ld.so expands it in DT_NEEDED too (_dl_dst_substitute)
            needed = _expand(needed, origin)
        if "/" in needed:
            return self._first([(self._inside(needed), "path")])
        dynamic = requester.elf.dynamic
        assert dynamic is not None  # it has DT_NEEDED entries
        found = self._first((os.path.join(self._inside(d), needed), how)
                            for d, how in self._directories(chain, dynamic.runpath, origin))
        # DF_1_NODEFLIB skips the cache and default dirs
        if found is None and not (dynamic.flags_1 & 0x800):
            found = self._first(itertools.chain(
                ((path, "ld.so.cache") for soname, _flags, path in self.cache if soname == needed),
                ((os.path.join(d, needed), "default") for d in self.defaults)))
        return found

    def _directories(self, chain: tuple[LoadedObject, ...], runpath: str | None,
                     origin: str) -> list[tuple[str, str]]:
        """(directory, how) searched before the cache: the DT_RPATH of the requester and of each
        object that loaded it, up to the program (only when the requester has no DT_RUNPATH),
        LD_LIBRARY_PATH, then the requester's DT_RUNPATH (``runpath``)."""
        dirs: list[tuple[str, str]] = []
        if runpath is None:
            for o in chain:
                if o.elf.dynamic is not None:
                    dirs += [(d, "rpath") for d in _split_paths(o.elf.dynamic.rpath, _origin(o))]
        dirs += [(d, "LD_LIBRARY_PATH") for d in self.library_path]
        dirs += [(d, "runpath") for d in _split_paths(runpath, origin)]
        return dirs

    def _first(self, paths: Iterable[tuple[str, str]]) -> tuple[str, str, ElfSymbols] | None:
        """The first (path, how, scan) of ``paths`` (path, how) that the loader would take."""
        for path, how in paths:
            elf = self._candidate(path)
            if elf is not None:
                return path, how, elf
        return None

    def _candidate(self, path: str) -> ElfSymbols | None:
        """The object at ``path`` if it is a readable one of the program's class and machine."""
        if not os.path.isfile(path):
            return None
        try:
            elf = self.read(path, False)  # only the program's relocations are looked at
        except ElfError:
            return None
        return elf if (elf.header.machine, elf.header.elf_class) == self.want else None

    def _inside(self, d: str) -> str:
        """``d`` inside the sysroot when it is absolute."""
        root = self.root
        return os.path.join(root, d.lstrip("/")) if root and d.startswith("/") else d


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


# The global lookup scope: each loaded object, its definitions by name, whether it has version
# definitions (an import's version binds to any definition of an object without versions).
Scope = list[tuple[LoadedObject, dict[str, list["Symbol"]], bool]]


def lookup_scope(loaded: tuple[LoadedObject, ...],
                 definitions_of: Callable[[ElfSymbols], dict[str, list[Symbol]]]) -> Scope:
    """The global lookup scope of ``loaded`` (load order, the program first)."""
    # (the program's own definitions are not shared: nothing else loads it)
    return [(o, definitions(o.elf) if o.how == "program" else definitions_of(o.elf),
             bool(o.elf.version_defs)) for o in loaded]


def defined_versions(loaded: tuple[LoadedObject, ...]) -> dict[str, set[str]]:
    """The version names each loaded object defines, by its DT_NEEDED name and its soname (what
    an import's verneed file names)."""
    out = {}
    for o in loaded:
        names = {d.name for d in o.elf.version_defs}
        out[o.needed] = names
        if o.elf.soname:
            out[o.elf.soname] = names
    return out


def provider(name: str, version: str | None, importer: LoadedObject,
             scope: Scope) -> LoadedObject | None:
    """The first object of the scope but ``importer`` with a definition the import binds to
    (glibc elf/dl-lookup.c do_lookup_x over the scope)."""
    for obj, defs, has_versions in scope:
        candidates = defs.get(name)
        if candidates is None or obj is importer:
            continue
        for d in candidates:
            if matches(d, version, has_versions):
                return obj
    return None


def version_undefined(version: str | None, needed_from: str | None,
                      versions: dict[str, set[str]]) -> bool:
    """The import asks ``needed_from`` (a file whose versions are known) for a version it does
    not define: ld.so refuses to load the program ("version `X' not found", dl-version.c)."""
    if version is None or needed_from is None:
        return False
    have = versions.get(needed_from)
    return have is not None and version not in have


def interpreter_sonames(closure: Closure) -> set[str]:
    """The sonames of the dynamic loader among the loaded objects."""
    return {o.elf.soname for o in closure.loaded()
            if o.elf.soname and o.elf.soname.startswith("ld")}
