"""Footprints kept per build: ``<cache_dir>/syscalls/<machine>-<build-id>.json``.

A library's footprint depends on its code (its GNU build-id names it; a file without one is
named by the SHA-256 of its bytes) and on the libraries its imports were resolved in (ld.so for
libc: their paths and build-ids are kept in the entry and checked on load). An entry is
written atomically (`fsutil.write_atomic`); one that cannot be read, is of another format or
analysis version, or names another build, is ignored and rebuilt.

Format (JSON, ``"format": "elfdce-syscalls"``, ``"version": FORMAT_VERSION``)::

    {"format", "version", "analysis", "path", "build_id", "machine", "soname",
     "deps": [[path, build_id], ...],
     "footprints": [[[syscall, ...], vdso, [reason, ...], exceptional, [direct, ...]], ...],
     "pairs": [[name, version or null, footprint index, default, exceptional path], ...]}

(the last field of a pair: the function is itself one of the no-return paths footprints leave
out, abort or __stack_chk_fail: a library importing it leaves it out too)
"""

from __future__ import annotations

import json
import os

from .footprint import LibraryFootprint, make_footprint

FORMAT = "elfdce-syscalls"
FORMAT_VERSION = 2
# bumped whenever the analysis changes what it derives: older entries are rebuilt
ANALYSIS_VERSION = 4  # 3: numbers.py from Linux 7.2's headers (fchmodat2, mseal … named);
# 4: aarch64 glibc >= 2.41's vDSO slots


def directory() -> str:
    """Where the entries live."""
    from ..fsutil import cache_dir

    return os.path.join(cache_dir(), "syscalls")


def key(path: str) -> tuple[str, str, str | None]:
    """(entry file name, machine, build id) of the library at ``path``; ElfError for a file
    that is not one elfdce can analyse."""
    from ..elf import read_elf
    from ..elf.image import Image, build_id
    from .footprint import check_library

    elf = read_elf(path, relocations=False)
    machine = check_library(elf)
    bid = build_id(Image(elf))
    if bid is None:
        import hashlib

        from ..fsutil import read_input

        name = "sha256-" + hashlib.sha256(read_input(path, 1 << 30)).hexdigest()
    else:
        name = bid
    return f"{machine}-{name}.json", machine, bid


def entry_path(path: str) -> str:
    """The cache file that holds (or would hold) ``path``'s footprint."""
    return os.path.join(directory(), key(path)[0])


def load(path: str) -> LibraryFootprint | None:
    """The kept footprint of the library at ``path``, or None (none kept, unreadable, stale)."""
    name, machine, bid = key(path)
    try:
        with open(os.path.join(directory(), name), "rb") as f:
            doc = json.loads(f.read())
        if (doc.get("format") != FORMAT or doc.get("version") != FORMAT_VERSION
                or doc.get("analysis") != ANALYSIS_VERSION or doc.get("machine") != machine
                or doc.get("build_id") != bid):
            return None
        for dep_path, dep_bid in doc["deps"]:
            if _build_id_of(dep_path) != dep_bid:
                return None  # ld.so changed beside it: the imports may resolve differently
        fps = [make_footprint(tuple(s), bool(v), tuple(u), bool(e), tuple(d))
               for s, v, u, e, d in doc["footprints"]]
        by_pair = {}
        defaults = {}
        exceptional = set()
        for fname, version, index, default, exc in doc["pairs"]:
            by_pair[(fname, version)] = fps[index]
            if default:
                defaults[fname] = version
            if exc:
                exceptional.add((fname, version))
        return LibraryFootprint(path, bid, machine, doc.get("soname"), by_pair, defaults,
                                tuple((p, b) for p, b in doc["deps"]), from_cache=True,
                                exceptional=frozenset(exceptional))
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None  # missing, corrupt or of another shape: rebuilt by the caller


def _build_id_of(path: str) -> str | None:
    from ..elf import ElfError, read_elf
    from ..elf.image import Image, build_id

    try:
        return build_id(Image(read_elf(path, relocations=False)))
    except (ElfError, OSError):
        return "(unreadable)"


def store(lib: LibraryFootprint) -> str | None:
    """Keep ``lib``; the entry's path, or None when the cache cannot be written."""
    from ..fsutil import write_atomic

    index: dict = {}
    footprints: list[list] = []
    pairs: list[list] = []
    for (name, version), fp in sorted(lib.by_pair.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        if fp not in index:
            index[fp] = len(footprints)
            footprints.append([list(fp.syscalls), fp.vdso, list(fp.unknown), fp.exceptional,
                               list(fp.direct)])
        pairs.append([name, version, index[fp], lib.defaults.get(name, 0) == version,
                      (name, version) in lib.exceptional])
    doc = {"format": FORMAT, "version": FORMAT_VERSION, "analysis": ANALYSIS_VERSION,
           "path": lib.path, "build_id": lib.build_id, "machine": lib.machine,
           "soname": lib.soname, "deps": [list(d) for d in lib.deps],
           "footprints": footprints, "pairs": pairs}
    try:
        name = key(lib.path)[0]
        os.makedirs(directory(), exist_ok=True)
        target = os.path.join(directory(), name)
        write_atomic(target, json.dumps(doc, separators=(",", ":")).encode())
        return target
    except OSError:
        return None


__all__ = ["ANALYSIS_VERSION", "FORMAT", "FORMAT_VERSION", "directory", "entry_path", "key",
           "load", "store"]
