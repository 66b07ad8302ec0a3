"""Finding the ELF files the differential tests run over."""

from __future__ import annotations

import glob
import os

SYSTEM_DIRS = ("/usr/lib", "/usr/bin", "/usr/sbin", "/usr/libexec")

# Debian cross libcs (apt-get install libc6-<arch>-cross): triplet directories under /usr.
CROSS_LIBS = ("libc.so.6", "libm.so.6", "ld-*.so*", "ld.so.*", "ld64.so.*")


def is_elf(path: str) -> bool:
    """A regular file (not a link) that starts with the ELF magic."""
    try:
        if os.path.islink(path) or not os.path.isfile(path):
            return False
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def system_elf_files(dirs: tuple[str, ...] = SYSTEM_DIRS) -> list[str]:
    """Every ELF file under ``dirs``, symlinks skipped, sorted."""
    out = []
    for top in dirs:
        for root, _dirs, files in os.walk(top):
            for name in files:
                path = os.path.join(root, name)
                if is_elf(path):
                    out.append(path)
    return sorted(out)


def cross_libc_files() -> list[str]:
    """libc.so.6, libm.so.6 and the dynamic loader of every installed Debian cross libc."""
    out = []
    for d in sorted(glob.glob("/usr/*-linux-gnu*/lib")):
        for pattern in CROSS_LIBS:
            out.extend(p for p in sorted(glob.glob(os.path.join(d, pattern))) if is_elf(p))
    return out
