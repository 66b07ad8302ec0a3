"""A program as ``elfdce run`` loads it: a DF_1_PIE-free cached copy, and where its ``main`` is
(`elfdce.elf.entry.find_main`: ``main`` is rarely a dynamic symbol)."""

from __future__ import annotations

import hashlib
import os

from ..elf import ElfError, read_elf
from ..elf.entry import MainFunction, find_main
from ..elf.kind import Kind


def loadable_copy(path: str, directory: str | None = None) -> str:
    """A copy of the PIE ``path`` with DF_1_PIE cleared (glibc >= 2.30 refuses to dlopen it
    otherwise), cached per file version (path, inode, size, mtime) under ``directory``
    (default: `cache_dir`/run)."""
    from ..elf.fixpie import fix_pie
    from ..fsutil import cache_dir

    elf = read_elf(path, relocations=False)
    kind = elf.kind
    if kind not in Kind.LOADABLE:
        raise ElfError(path, f"not a PIE program ({elf.header.type_name}, {kind}): DCE loads "
                       "programs as position-independent executables (build with -fPIE -pie)")
    if kind == Kind.PIE_WITHOUT_FLAG:
        return path  # an older linker did not set DF_1_PIE: dlopen takes it as it is
    # keyed by the file's identity and version, not its bytes: hashing a crafted 20 GB sparse
    # file would read 20 GB of zeros
    st = os.stat(path)
    identity = f"{os.path.realpath(path)}\0{st.st_dev}\0{st.st_ino}\0{st.st_size}\0{st.st_mtime_ns}"
    digest = hashlib.sha256(identity.encode("utf-8", "surrogateescape")).hexdigest()[:20]
    directory = directory or os.path.join(cache_dir(), "run")
    out = os.path.join(directory, f"{os.path.basename(path)}-{digest}")
    if not os.path.exists(out):
        os.makedirs(directory, exist_ok=True)
        fix_pie(path, out)
    return out


__all__ = ["MainFunction", "find_main", "loadable_copy"]
