"""Finding the ELF files of a tree: by their magic, never following a link, a hard link once."""

from __future__ import annotations

import os
import stat

from ..elf import constants as C



def find_under(top: str, seen: set[tuple[int, int]],
               problems: list[tuple[str, str]] | None = None) -> list[str]:
    """The ELF files under ``top`` not in ``seen`` (device, inode), which it extends. Files
    and directories that cannot be read are added to ``problems`` as (path, why)."""
    out: list[str] = []
    problems = [] if problems is None else problems

    def consider(path: str, dev: int, inode: int) -> None:
        if (dev, inode) in seen:
            return
        try:
            # O_NONBLOCK: a FIFO that slipped through must not block us
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as err:
            problems.append((path, f"cannot be read: {err.strerror or err}"))
            return
        try:
            if os.read(fd, 4) != C.ELFMAG or not stat.S_ISREG(os.fstat(fd).st_mode):
                return
        except OSError:
            return
        finally:
            os.close(fd)
        seen.add((dev, inode))
        out.append(path)

    try:
        st = os.stat(top)  # a top-level argument may itself be a link: the user named it
    except OSError:
        return out
    if not stat.S_ISDIR(st.st_mode):
        consider(top, st.st_dev, st.st_ino)
        return out
    stack = [(top, st.st_dev)]
    while stack:
        d, dev = stack.pop()
        try:
            entries = list(os.scandir(d))
        except OSError as err:
            problems.append((d, f"directory cannot be listed: {err.strerror or err}"))
            continue
        for e in entries:
            try:
                if e.is_symlink():
                    continue
                if e.is_dir(follow_symlinks=False):
                    stack.append((e.path, e.stat(follow_symlinks=False).st_dev))
                elif e.is_file(follow_symlinks=False):
                    consider(e.path, dev, e.inode())
            except OSError:
                continue
    return sorted(out)


def program_directory(directory: str) -> bool:
    """A ``bin``, ``sbin`` or ``libexec`` directory, or one below such."""
    return any(x in ("bin", "sbin", "libexec") for x in directory.split("/"))


def likely_program(path: str) -> bool:
    return program_directory(os.path.dirname(path))


def likely_programs_first(files: list[str]) -> list[str]:
    """``files`` with those under a ``bin``, ``sbin`` or ``libexec`` directory first: their
    pre-flight fills each worker's library cache, so the libraries met afterwards are mostly
    cache hits (and the rest need not be kept). Only the order of work depends on names."""
    return [p for p in files if likely_program(p)] + [p for p in files if not likely_program(p)]
