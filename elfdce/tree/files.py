"""Finding the ELF files of a tree: by their magic, never following a link, a hard link once."""

from __future__ import annotations

import os
import stat

from ..elf import constants as C

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


def find_under(top: str, seen: set[tuple[int, int]],
               problems: list[tuple[str, str]] | None = None) -> list[str]:
    """The ELF files under ``top`` not in ``seen`` (device, inode), which it extends. Files
    and directories that cannot be read are added to ``problems`` as (path, why)."""
    out: list[str] = []
    problems = [] if problems is None else problems

    def consider(path: str, dev: int, inode: int) -> None:
        if (dev, inode) not in seen and _is_elf(path, problems):
            seen.add((dev, inode))
            out.append(path)

    try:
        st = os.stat(top)  # a top-level argument may itself be a link: the user named it
    except OSError:
        return out
    if not stat.S_ISDIR(st.st_mode):
        consider(top, st.st_dev, st.st_ino)
        return out
    _walk(top, st.st_dev, consider, problems)
    return sorted(out)


def _is_elf(path: str, problems: list[tuple[str, str]]) -> bool:
    """Whether ``path`` is a regular file starting with the ELF magic; one that cannot be
    opened is added to ``problems``."""
    try:
        # O_NONBLOCK: a FIFO that slipped through must not block us
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as err:
        problems.append((path, f"cannot be read: {err.strerror or err}"))
        return False
    try:
        return os.read(fd, 4) == C.ELFMAG and stat.S_ISREG(os.fstat(fd).st_mode)
    except OSError:
        return False
    finally:
        os.close(fd)


def _walk(top: str, top_dev: int, consider: Callable[[str, int, int], None],
          problems: list[tuple[str, str]]) -> None:
    """``consider(path, device, inode)`` for each file under the directory ``top``, never
    following a symbolic link; a directory that cannot be listed is added to ``problems``."""
    stack = [(top, top_dev)]
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


def program_directory(directory: str) -> bool:
    """A ``bin``, ``sbin`` or ``libexec`` directory, or one below such."""
    return any(x in ("bin", "sbin", "libexec") for x in directory.split("/"))


def likely_program(path: str) -> bool:
    """Whether ``path`` is in a program directory (bin/, sbin/, libexec/): read it with
    relocations from the start."""
    return program_directory(os.path.dirname(path))


def likely_programs_first(files: list[str]) -> list[str]:
    """``files`` with those under a ``bin``, ``sbin`` or ``libexec`` directory first: their
    pre-flight fills each worker's library cache, so the libraries met afterwards are mostly
    cache hits (and the rest need not be kept). Only the order of work depends on names."""
    return [p for p in files if likely_program(p)] + [p for p in files if not likely_program(p)]
