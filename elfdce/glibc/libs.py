"""The five libraries DCE replaces, and how to find the file the loader would use for each."""

from __future__ import annotations

import glob
import os
import subprocess

from .._record import Record
from ..elf import ElfError, ElfSymbols, read_header

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable


class GlibcLibrary(Record):
    """One of the libraries DCE replaces: its short name, soname and NS3 setup entry."""

    key: str  # "libc", used for libc.version, libc-ns3.version, --lib libc=PATH
    soname: str
    setup: str  # the entry the simulator calls to fill the replacement's table

    @property
    def map_file(self) -> str:
        return f"{self.key}.version"

    @property
    def prefix_file(self) -> str:
        return f"{self.key}-ns3.version"


FIVE = (
    GlibcLibrary("libc", "libc.so.6", "libc_setup"),
    GlibcLibrary("libpthread", "libpthread.so.0", "libpthread_setup"),
    GlibcLibrary("librt", "librt.so.1", "librt_setup"),
    GlibcLibrary("libm", "libm.so.6", "libm_setup"),
    GlibcLibrary("libdl", "libdl.so.2", "libdl_setup"),
)
BY_KEY = {lib.key: lib for lib in FIVE}
BY_KEY.update({lib.soname: lib for lib in FIVE})

# uname machine -> (e_machine, ELF class) of the native libraries, to pick the right
# `ldconfig -p` line on a multilib system.
_NATIVE = {
    "x86_64": (62, 64), "aarch64": (183, 64), "armv7l": (40, 32), "armv8l": (40, 32),
    "i686": (3, 32), "i386": (3, 32), "s390x": (22, 64), "ppc64le": (21, 64), "ppc64": (21, 64),
    "riscv64": (243, 64), "mips64": (8, 64), "loongarch64": (258, 64),
}


class LocatedLibrary(Record):
    """Where a library was found (``path`` None when it was not), and how."""

    library: GlibcLibrary
    path: str | None
    how: str  # "--lib", "ldconfig", "sysroot DIR", "multiarch", or why it is missing


_LDCONFIG_MEMO: dict[tuple[tuple[str, ...], int], list[tuple[str, str, str]]] = {}


def _ldconfig_entries(args: tuple[str, ...] = ("-p",)) -> list[tuple[str, str, str]]:
    """(soname, flags, path) from ``ldconfig -p`` (``args`` may add ``-C CACHE``); empty where
    ldconfig is missing. Remembered per process until the cache file changes (its mtime)."""
    cache = args[args.index("-C") + 1] if "-C" in args else "/etc/ld.so.cache"
    try:
        key = (args, os.stat(cache).st_mtime_ns)
    except OSError:
        key = (args, -1)
    if key not in _LDCONFIG_MEMO:
        _LDCONFIG_MEMO[key] = _run_ldconfig(args)
    return list(_LDCONFIG_MEMO[key])


def _run_ldconfig(args: tuple[str, ...]) -> list[tuple[str, str, str]]:
    for exe in ("/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"):
        try:
            out = subprocess.run([exe, *args], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        entries = []
        for line in out.splitlines():
            name, sep, path = line.strip().partition(" => ")
            if not sep:
                continue
            soname, _, flags = name.partition(" ")
            entries.append((soname, flags.strip("()"), path))
        return entries
    return []


_LIBRARY_DIRS: dict[str, list[str]] = {}


def library_dirs(root: str) -> list[str]:
    """The directories a loader searches under ``root``: multiarch first, then lib64, lib
    (looked up once per root and process)."""
    if root not in _LIBRARY_DIRS:
        _LIBRARY_DIRS[root] = _library_dirs(root)
    return list(_LIBRARY_DIRS[root])


def _library_dirs(root: str) -> list[str]:
    dirs = []
    for base in ("lib", "usr/lib"):
        dirs.extend(sorted(glob.glob(os.path.join(root, base, "*-linux-gnu*"))))
    for base in ("lib64", "usr/lib64", "lib", "usr/lib"):
        dirs.append(os.path.join(root, base))
    return [d for d in dirs if os.path.isdir(d)]


def native_machine() -> tuple[int, int] | None:
    """(e_machine, ELF class) of this machine's own libraries, or None for an unknown one."""
    return _NATIVE.get(os.uname().machine)


def _matches_native(path: str) -> bool:
    want = native_machine()
    if want is None:
        return True
    try:
        h = read_header(path)
    except ElfError:
        return False
    return (h.machine, h.elf_class) == want


def locate(
    sysroot: str | None = None, overrides: dict[str, str] | None = None,
    libraries: Iterable[GlibcLibrary] = FIVE,
) -> list[LocatedLibrary]:
    """Find, for each library, the file the dynamic loader would use for its soname.

    ``overrides`` maps a key or soname (``libc``, ``libc.so.6``) to a path. Without a
    ``sysroot`` the host's ``ldconfig -p`` cache is asked first (the native-architecture entry),
    then the multiarch and default directories; with one, only the directories under it. Our
    own process is never inspected (that is what made DCE's tool miss the ≥ 2.34 stubs).
    """
    overrides = {BY_KEY[k].key if k in BY_KEY else k: v for k, v in (overrides or {}).items()}
    cache = _ldconfig_entries() if sysroot is None else []
    dirs = library_dirs(sysroot or "/")
    out = []
    for lib in libraries:
        if lib.key in overrides:
            out.append(LocatedLibrary(lib, overrides[lib.key], "--lib"))
            continue
        found = None
        for soname, _flags, path in cache:
            if soname == lib.soname and os.path.exists(path) and _matches_native(path):
                found = LocatedLibrary(lib, path, "ldconfig")
                break
        if found is None:
            for d in dirs:
                path = os.path.join(d, lib.soname)
                if os.path.exists(path) and (sysroot is not None or _matches_native(path)):
                    how = f"sysroot {sysroot}" if sysroot else "multiarch"
                    found = LocatedLibrary(lib, path, how)
                    break
        if found is None:
            where = f"under {sysroot}" if sysroot else "in the ldconfig cache or library directories"
            found = LocatedLibrary(lib, None, f"no {lib.soname} {where}")
        out.append(found)
    return out


def glibc_release(libc_path: str) -> tuple[int, int] | None:
    """The release a libc.so.6 states in its banner ("… release version 2.31."), or None."""
    import mmap
    import re

    try:
        with open(libc_path, "rb") as f, mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ) as data:
            found = re.search(rb"release version (\d+)\.(\d+)", data)
            # (the match reads the mapping: take its groups before it is closed)
            return (int(found.group(1)), int(found.group(2))) if found else None
    except (OSError, ValueError):
        return None


def require_glibc_library(elf: ElfSymbols, key: str) -> None:
    """ElfError unless ``elf`` can stand for the library ``key``: libc must be a glibc libc.so.6
    (GLIBC_ version nodes and ``gnu_get_libc_version``); any other must define version nodes
    (a file without them would give an empty map and an empty shim)."""
    if key == "libc":
        if not any(d.name.startswith("GLIBC_2.") for d in elf.version_defs) or not any(
                s.name == "gnu_get_libc_version" for s in elf.exports()):
            raise ElfError(elf.path, "not a glibc libc.so.6 (no GLIBC_ version nodes or no "
                           "gnu_get_libc_version)")
    elif not any(not d.is_base for d in elf.version_defs):
        raise ElfError(elf.path, f"defines no version nodes: it cannot stand for "
                       f"{BY_KEY[key].soname}")


def is_version_placeholder(name: str) -> bool:
    """A >= 2.34 stub's hidden marker (``__libpthread_version_placeholder``): no interface."""
    return name.startswith("__lib") and name.endswith("_version_placeholder")


def is_merged_stub(elf: ElfSymbols) -> bool:
    """A glibc >= 2.34 stub (libpthread.so.0, librt.so.1, libdl.so.2, …): version nodes, but
    no exports other than the hidden ``__lib*_version_placeholder``."""
    nodes = [d for d in elf.version_defs if not d.is_base]
    exports = {s.name for s in elf.exports()}
    return bool(nodes) and all(is_version_placeholder(n) for n in exports)
