"""Persisted results of tree runs: one JSON file per mode, policy and elfdce version, each entry
keyed by the file's size and mtime and those of the libraries its closure loaded."""

from __future__ import annotations

import hashlib
import os

from .records import FileResult

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..policy.model import Policy

CACHE_FORMAT = 2  # 2: kinds from elf.kind.classify (a static PIE is "static", not "library")


def fingerprint(mode: str, policy: Policy | None, sysroot: str | None) -> str:
    """The name of the results file of a run: the cache format, elfdce's version, the mode,
    the sysroot and the policy."""
    from .. import __version__

    h = hashlib.sha256(f"{CACHE_FORMAT}|{__version__}|{mode}|{sysroot}".encode())
    if policy is not None:
        h.update(repr(policy.entries).encode("utf-8", "surrogateescape"))
    return h.hexdigest()[:24]


def _stat_key(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


class ResultStore:
    """Results of earlier runs under ``directory`` (one file per mode/policy/version)."""

    def __init__(self, directory: str, fingerprint: str) -> None:
        import json

        from ..fsutil import InputError, read_text_input

        self.path = os.path.join(directory, "tree", f"{fingerprint}.json")
        self.entries: dict[str, list] = {}
        self.warning: str | None = None  # said once by the caller
        if not os.path.lexists(self.path):
            return
        try:
            doc = json.loads(read_text_input(self.path))
            if not isinstance(doc, dict) or doc.get("format") != CACHE_FORMAT:
                raise ValueError("another format")
            entries = doc["entries"]
            if not isinstance(entries, dict) or not all(
                    isinstance(v, list) and len(v) == 2 and isinstance(v[0], list)
                    and isinstance(v[1], list) and len(v[1]) >= 10 for v in entries.values()):
                raise ValueError("entries of another shape")
            self.entries = entries
        except (InputError, ValueError, KeyError, TypeError) as err:
            self.warning = f"{self.path}: not a cache of this elfdce ({err}): discarded"

    def get(self, path: str) -> FileResult | None:
        """The stored result, if the file and every library its closure loaded are unchanged."""
        entry = self.entries.get(path)
        try:
            if entry is None or _stat_key(path) != tuple(entry[0]):
                return None
            fields = entry[1]
            path_, kind, error, symbols, imports, ok, pie = fields[:7]
            result = FileResult(path_, kind, error, symbols, imports, ok, pie, tuple(fields[7]),
                                tuple(fields[8]), tuple(tuple(c) for c in fields[9]))
            for lib, size, mtime in result.closure:
                if _stat_key(lib) != (size, mtime):
                    return None
        except (TypeError, ValueError):  # an entry written by hand or by another version
            return None
        return result

    def save(self, results: Iterable[FileResult]) -> None:
        import json

        from ..fsutil import write_atomic

        for r in results:
            key = _stat_key(r.path)
            if key is not None and r.kind != "error":
                self.entries[r.path] = [list(key), list(r)]
        text = json.dumps({"format": CACHE_FORMAT, "entries": self.entries}, ensure_ascii=True,
                          separators=(",", ":"))
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            write_atomic(self.path, text.encode())
        except OSError as err:  # a cache directory that is a file, read-only, full
            self.warning = (f"{err.filename or self.path}: cannot keep the cache there "
                            f"({err.strerror or err}); results not kept")
