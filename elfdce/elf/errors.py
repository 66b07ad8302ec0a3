"""The one exception the reader raises."""

from __future__ import annotations


# Control characters (a crafted section name, a file name with a newline) written as \xNN, so
# the message stays the one line it promises.
_ONE_LINE: dict[int, str] = {}  # filled on first use: kept off the scan path


def one_line(text: str) -> str:
    """``text`` with its control characters written as ``\\xNN``."""
    if not _ONE_LINE:
        _ONE_LINE.update({c: f"\\x{c:02x}" for c in (*range(32), 127)})
    return text.translate(_ONE_LINE)


class ElfError(Exception):
    """A file that cannot be read as the ELF data asked for.

    ``str(err)`` is one line: ``PATH: what is wrong``.
    """

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(one_line(f"{path}: {problem}"))
        self.path = path
        self.problem = problem

    def __reduce__(self):  # picklable across worker processes
        return (type(self), (self.path, self.problem))
