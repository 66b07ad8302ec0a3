"""The one exception the reader raises."""

from __future__ import annotations


class ElfError(Exception):
    """A file that cannot be read as the ELF data asked for.

    ``str(err)`` is one line: ``PATH: what is wrong``.
    """

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem

    def __reduce__(self):  # picklable across worker processes
        return (type(self), (self.path, self.problem))
