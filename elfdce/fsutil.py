"""Writing output files atomically."""

from __future__ import annotations

import os
import tempfile


def cache_dir() -> str:
    """elfdce's cache directory: ``$XDG_CACHE_HOME/elfdce`` (default ``~/.cache/elfdce``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "elfdce")


def write_atomic(path: str, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename,
    so a reader never sees a half-written file and an interrupted run leaves the old one."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".elfdce-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


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
