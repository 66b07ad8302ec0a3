"""Writing output files atomically."""

from __future__ import annotations

import os
import stat
import tempfile

# Text inputs (policies, prefix maps, abilists, caches) are small: DCE 1.12's table is 20 KB,
# glibc's libc.abilist 100 KB. A larger file is a mistake or an attack, not an input.
TEXT_LIMIT = 64 << 20


class InputError(Exception):
    """An input file that cannot be read as one: ``str()`` is ``PATH: problem``."""

    def __init__(self, path: str, problem: str) -> None:
        from .elf.errors import one_line

        super().__init__(one_line(f"{path}: {problem}"))
        self.path, self.problem = path, problem


def read_input(path: str, limit: int = TEXT_LIMIT) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them. A FIFO, device or
    directory is refused before any read (opened non-blocking, so a FIFO cannot hang us); so
    is a larger file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as err:
        raise InputError(path, err.strerror or str(err)) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(path, "is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(path, "not a regular file (a FIFO, socket or device)")
        if st.st_size > limit:
            raise InputError(path, f"{st.st_size} bytes: larger than the {limit >> 20} MiB "
                             "an input of this kind may be")
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise InputError(path, f"grew past {limit >> 20} MiB while being read")
        return b"".join(chunks)
    except OSError as err:
        raise InputError(path, err.strerror or str(err)) from None
    finally:
        os.close(fd)


def read_text_input(path: str, limit: int = TEXT_LIMIT) -> str:
    """`read_input` decoded as UTF-8; undecodable bytes kept (surrogateescape)."""
    return read_input(path, limit).decode("utf-8", "surrogateescape")


def cache_dir() -> str:
    """elfdce's cache directory: ``$XDG_CACHE_HOME/elfdce`` (default ``~/.cache/elfdce``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "elfdce")


def temp_prefix() -> str:
    """Temporary files carry the writer's pid, so a later run can tell a dead run's leftovers."""
    return f".elfdce-{os.getpid()}-"


def remove_stale_temporaries(directory: str) -> None:
    """Remove ``.elfdce-<pid>-*`` files in ``directory`` whose process no longer runs."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        parts = name.split("-", 2)
        if len(parts) != 3 or parts[0] != ".elfdce" or not parts[1].isdigit():
            continue
        try:
            os.kill(int(parts[1]), 0)
            continue  # its writer is alive
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        try:
            os.unlink(os.path.join(directory, name))
        except OSError:
            pass


def write_set(files: list[tuple[str, bytes]], mode: int = 0o644) -> None:
    """Write several files as a set: every one to a temporary file first, then all renamed; a
    failure while writing (a full disk) leaves every old file as it was and no temporary."""
    staged: list[tuple[str, str]] = []
    try:
        for path, data in files:
            directory = os.path.dirname(os.path.abspath(path))
            remove_stale_temporaries(directory)
            fd, tmp = tempfile.mkstemp(prefix=temp_prefix(), dir=directory)
            staged.append((tmp, path))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, mode)
    except BaseException:
        _discard(*(tmp for tmp, _ in staged))
        raise
    for tmp, path in staged:
        os.replace(tmp, path)


def write_atomic(path: str, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename,
    so a reader never sees a half-written file and an interrupted run leaves the old one."""
    directory = os.path.dirname(os.path.abspath(path))
    remove_stale_temporaries(directory)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(), dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        _discard(tmp)
        raise


def _discard(*temporaries: str) -> None:
    """Remove the temporaries a failed or interrupted write leaves."""
    for tmp in temporaries:
        if os.path.exists(tmp):
            os.unlink(tmp)


def holds(path: str, data: bytes) -> bool:
    """Whether ``path`` is a file holding exactly ``data``."""
    try:
        with open(path, "rb") as f:
            return f.read(len(data) + 1) == data
    except OSError:
        return False


def write_if_changed(path: str, data: bytes, mode: int = 0o644) -> bool:
    """`write_atomic` unless ``path`` already holds ``data`` (its mtime then stays, so a build
    tool does not redo what depends on it). Returns whether it wrote."""
    if holds(path, data):
        return False
    write_atomic(path, data, mode)
    return True


def copy_sparse(src: str, dst: str) -> None:
    """Copy ``src`` to a new file ``dst`` a chunk at a time (never the whole file in memory),
    keeping holes (SEEK_DATA/SEEK_HOLE): a 20 GB sparse file stays a few blocks; mode kept."""
    import errno

    chunk = 1 << 20
    fin = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(fin).st_size
        fout = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            pos = 0
            while pos < size:
                try:
                    start = os.lseek(fin, pos, os.SEEK_DATA)
                except OSError as err:
                    if err.errno == errno.ENXIO:  # only a hole is left
                        break
                    start = pos  # no SEEK_DATA here: copy everything
                try:
                    end = os.lseek(fin, start, os.SEEK_HOLE)
                except OSError:
                    end = size
                while start < end:
                    data = os.pread(fin, min(chunk, end - start), start)
                    if not data:
                        break
                    done = 0
                    while done < len(data):  # a full file system may write part of it
                        n = os.pwrite(fout, data[done:], start + done)
                        if n <= 0:
                            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), dst)
                        done += n
                    start += len(data)
                pos = max(end, start)
            os.ftruncate(fout, size)
            os.fchmod(fout, os.fstat(fin).st_mode & 0o7777)
        finally:
            os.close(fout)
    finally:
        os.close(fin)


def check_output(path: str) -> None:
    """OSError naming ``path`` when a file cannot be written there: a directory, or a directory
    that does not exist (checked before any work, so no error names a temporary file)."""
    import errno

    if os.path.isdir(path):
        raise OSError(errno.EISDIR, "is a directory (give the output file's name)", path)
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise OSError(errno.ENOENT, "its directory does not exist", path)


def patched_copy(path: str, output: str, edits: list[tuple[int, bytes]]) -> str:
    """Write ``output`` (atomically; ``path`` itself allowed) as ``path`` with each
    (offset, bytes) of ``edits`` written over it: copied a chunk at a time with holes kept (a
    sparse 3 GB file is not read into memory). A symlink given as ``output`` is followed (its
    target changes, the link stays); errors name ``output``, never the temporary. Returns the
    path written."""
    output = os.path.realpath(output) if os.path.islink(output) else output
    check_output(output)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(), dir=os.path.dirname(os.path.abspath(output)))
    os.close(fd)
    try:
        copy_sparse(path, tmp)
        with open(tmp, "r+b") as f:
            for offset, data in edits:
                f.seek(offset)
                f.write(data)
        os.replace(tmp, output)
    except OSError as err:  # a full disk: the user's path, not the temporary's
        _discard(tmp)
        raise OSError(err.errno, err.strerror, output) from None
    except BaseException:
        _discard(tmp)
        raise
    return output
