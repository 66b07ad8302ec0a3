"""The results of a tree run: one `FileResult` a file, a `TreeRun` for the whole."""

from __future__ import annotations

from .._record import Record


class FileResult(Record):
    """One file of a tree run."""

    path: str
    kind: str  # program, library, static, object, error
    error: str | None
    symbols: int
    imports: int  # undefined dynamic symbols (scan), or imports classed (pre-flight, closure)
    ok: bool | None  # pre-flight of a program: loads under DCE
    pie: str | None
    missing: tuple[str, ...]  # name@version of the missing imports
    missing_libraries: tuple[str, ...]
    closure: tuple[tuple[str, int, int], ...]  # (path, size, mtime_ns) of the libraries loaded


class TreeRun(Record):
    """A finished (or interrupted) run."""

    mode: str
    files: tuple[str, ...]  # every ELF file found
    results: tuple[FileResult, ...]  # in the order of ``files``; fewer when interrupted
    jobs: int
    seconds: float
    interrupted: bool
    from_cache: int
    max_rss_kb: tuple[int, ...]  # peak RSS of the main process, then of each worker

    def summary(self, top: int = 20) -> dict:
        """Counts, and the most-needed missing symbols (by how many programs need them)."""
        kinds: dict[str, int] = {}
        for r in self.results:
            kinds[r.kind] = kinds.get(r.kind, 0) + 1
        programs = [r for r in self.results if r.kind == "program"]
        needed: dict[str, int] = {}
        for r in programs:
            for label in set(r.missing):
                needed[label] = needed.get(label, 0) + 1
        ranked = sorted(needed.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        return {
            "files": len(self.files),
            "analysed": len(self.results),
            "kinds": dict(sorted(kinds.items())),
            "errors": kinds.get("error", 0),
            "programs": len(programs),
            "programs_that_load": sum(1 for r in programs if r.ok),
            "programs_missing_symbols": sum(1 for r in programs if r.missing),
            "programs_missing_libraries": sum(1 for r in programs if r.missing_libraries),
            "programs_not_pie": sum(1 for r in programs if r.pie not in (None, "pie",
                                                                         "pie-without-flag")),
            "top_missing": [{"symbol": k, "programs": n} for k, n in ranked],
        }
