"""Whole trees: every ELF file under some directories, scanned or pre-flighted in parallel.

Files are found by their magic, not their names; symbolic links are never followed (a link to a
file in the tree is a duplicate, a link out of it is not ours to read) and hard links count
once. Work goes to worker processes in chunks; each worker keeps a `preflight.Cache`, so a
library is parsed once per worker however many programs load it. ``persist`` keeps the results
of a run under the user's cache directory, keyed by each file's path, size and mtime (and, for
a pre-flight, those of every library its closure loaded, and the policy): a re-run analyses
only what changed.
"""

from __future__ import annotations

import os

from ..elf import ElfError
from ..elf.kind import Kind
from .files import find_under, likely_program, likely_programs_first, program_directory
from .records import FileResult, TreeRun
from .store import ResultStore, fingerprint

TYPE_CHECKING = False
if TYPE_CHECKING:
    import concurrent.futures as cf
    from collections.abc import Callable, Iterable, Iterator

    from ..elf import ElfSymbols
    from ..policy.model import Policy
    from ..preflight.cache import Cache

MODES = ("scan", "preflight")
CHUNK = 24  # files per task: big enough to amortise the IPC, small enough to balance 2 cores


# -- the work of one file (runs in the workers) ----------------------------------------------

_worker: dict = {}


def _init_worker(mode: str, policy: Policy | None, sysroot: str | None, in_process: bool) -> None:
    from ..preflight.cache import Cache

    if not in_process:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    _worker.update(mode=mode, policy=policy, sysroot=sysroot, cache=Cache())


def _kind(elf: ElfSymbols) -> str:
    """`FileResult.kind` of a readable file: program, static, library or object."""
    kind = elf.kind
    if kind in Kind.STATIC_PROGRAMS:
        return "static"
    if kind in Kind.PROGRAMS:
        return "program"
    return kind


def analyse(path: str) -> FileResult:
    """The result for one file, with this worker's mode, policy and cache."""
    from ..elf import read_elf

    cache: Cache = _worker["cache"]
    try:
        # A library some program loaded is in the cache already; anything else is read and not
        # kept, with its relocations (for the pre-flight) where programs usually live.
        elf = cache.cached(path) or read_elf(path, relocations=likely_program(path))
        kind = _kind(elf)
        if _worker["mode"] == "scan" or kind != "program":
            undefined = sum(1 for s in elf.symbols if s.name and not s.shndx)
            return FileResult(path, kind, None, len(elf.symbols), undefined, None, None, (), (),
                              ())
        if elf.relocations is None:
            elf = read_elf(path, relocations=True)
        from ..preflight.check import preflight

        report = preflight(path, _worker["policy"], sysroot=_worker["sysroot"], cache=cache,
                           program_elf=elf)
    except ElfError as err:
        return _unreadable(path, str(err))
    except OSError as err:
        return _unreadable(path, f"{path}: {err.strerror or err}")
    missing = tuple(sorted({i.label for i in report.missing()}))
    closure = []
    for o in report.closure.loaded()[1:]:
        try:
            st = os.stat(o.path)
        except OSError:
            continue
        closure.append((o.path, st.st_size, st.st_mtime_ns))
    return FileResult(path, kind, None, len(elf.symbols), len(report.imports), report.ok,
                      report.info.pie, missing,
                      tuple(o.needed for o in report.closure.missing), tuple(closure))


def _unreadable(path: str, error: str) -> FileResult:
    return FileResult(path, "error", error, 0, 0, None, None, (), (), ())


def _analyse_chunk(paths: list[str]) -> tuple[list[FileResult], int, int]:
    """The results of ``paths``, with the pid and peak RSS of the process that made them."""
    return [analyse(p) for p in paths], os.getpid(), peak_rss_kb()


def peak_rss_kb() -> int:
    """This process's peak resident set size in KiB: VmHWM of the current program image.
    (getrusage's ru_maxrss survives execve, so a process started by a big one, such as a test
    runner, would report its parent's size.)"""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# -- the run -------------------------------------------------------------------------------------


def run_tree(
    dirs: Iterable[str],
    mode: str = "preflight",
    *,
    policy: Policy | None = None,
    sysroot: str | None = None,
    jobs: int | None = None,
    persist: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TreeRun:
    """Find the ELF files under ``dirs`` and analyse each (``mode`` scan or preflight) with
    ``jobs`` worker processes (default: one per core; 1 runs in this process). ``persist`` is
    a cache directory for results across runs. ``progress(done, total)`` is called as files
    finish. Ctrl-C stops the run: the result then holds what finished (``interrupted``)."""
    import time

    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    if mode == "preflight" and policy is None:
        raise ValueError("a pre-flight needs a policy")
    start = time.perf_counter()
    # more workers than a few per core only cost memory (a forked pool starts them all at once)
    jobs = max(1, min(jobs or os.cpu_count() or 1, 4 * (os.cpu_count() or 1)))
    store = ResultStore(persist, fingerprint(mode, policy, sysroot)) if persist else None
    # Directories of programs first: their pre-flight fills the workers' library caches. The
    # work starts as soon as the first directory is walked, while the others are.
    tops = sorted(dirs, key=lambda d: not program_directory(d))
    state = _RunState(store, progress)
    rss: list[int] = []
    interrupted = False
    try:
        if jobs == 1:
            _run_in_process(state, tops, mode, policy, sysroot)
        else:
            rss = _run_pool(state, tops, jobs, mode, policy, sysroot)
    except KeyboardInterrupt:
        interrupted = True
    _save(store, state)
    own = peak_rss_kb()
    files = sorted(state.files)
    ordered = tuple(state.results[p] for p in files if p in state.results)
    return TreeRun(mode, tuple(files), ordered, jobs, time.perf_counter() - start, interrupted,
                   state.from_cache, (own, *rss))


def _run_in_process(state: _RunState, tops: list[str], mode: str, policy: Policy | None,
                    sysroot: str | None) -> None:
    """The run with one job: the work of the workers, chunk by chunk, in this process."""
    _init_worker(mode, policy, sysroot, in_process=True)
    for todo in state.discover(tops):
        for i in range(0, len(todo), CHUNK):
            state.add(_analyse_chunk(todo[i:i + CHUNK])[0])


def _save(store: ResultStore | None, state: _RunState) -> None:
    """Keep the results in ``store``, if any, and say what went wrong with it on stderr."""
    if store is not None and state.results:
        store.save(state.results.values())
    if store is not None and store.warning:
        import sys

        print(f"elfdce: warning: {store.warning}", file=sys.stderr)


class _RunState:
    """Files found so far, results so far, and the progress callback."""

    def __init__(self, store: ResultStore | None,
                 progress: Callable[[int, int], None] | None) -> None:
        self.store, self.progress = store, progress
        self.files: list[str] = []
        self.results: dict[str, FileResult] = {}
        self.from_cache = 0

    def discover(self, tops: list[str]) -> Iterator[list[str]]:
        """Per top directory: walk it, take stored results, yield what is left to analyse."""
        seen: set[tuple[int, int]] = set()
        for top in tops:
            problems: list[tuple[str, str]] = []
            found = [p for p in find_under(top, seen, problems) if p not in self.results]
            for path, why in problems:
                self.files.append(path)
                self.results[path] = FileResult(path, "error", why, 0, 0, None, None, (), (), ())
            self.files += found
            todo = []
            for p in found:
                hit = self.store.get(p) if self.store is not None else None
                if hit is None:
                    todo.append(p)
                else:
                    self.results[p] = hit
                    self.from_cache += 1
            self.tick()
            yield likely_programs_first(todo)

    def add(self, chunk: list[FileResult]) -> None:
        self.results.update((r.path, r) for r in chunk)
        self.tick()

    def tick(self) -> None:
        if self.progress:
            self.progress(len(self.results), len(self.files))


def _run_pool(state: _RunState, tops: list[str], jobs: int, mode: str, policy: Policy | None,
              sysroot: str | None) -> list[int]:
    """The run with ``jobs`` worker processes, fed chunk by chunk as directories are walked;
    the peak RSS of each worker, largest first."""
    pool = _Pool(state, jobs, (mode, policy, sysroot, False))
    try:
        for todo in state.discover(tops):
            for i in range(0, len(todo), CHUNK):
                pool.submit(todo[i:i + CHUNK])
            pool.drain(block=False)
        while pool.pending:
            pool.drain(block=True)
    except KeyboardInterrupt:
        pool.kill()
        raise
    pool.executor.shutdown(wait=True)
    return sorted(pool.worker_rss.values(), reverse=True)


class _Pool:
    """The worker processes of a run, the chunks they are on, and what to do when one dies."""

    def __init__(self, state: _RunState, jobs: int, initargs: tuple) -> None:
        import multiprocessing

        self.state, self.jobs, self.initargs = state, jobs, initargs
        self.worker_rss: dict[int, int] = {}  # pid -> peak RSS (KiB)
        self.context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
        self.executor = self._new_executor(jobs)
        self.pending: dict[cf.Future, list[str]] = {}  # chunk being analysed -> its paths

    def _new_executor(self, workers: int) -> cf.ProcessPoolExecutor:
        import concurrent.futures as cf

        return cf.ProcessPoolExecutor(max_workers=workers, mp_context=self.context,
                                      initializer=_init_worker, initargs=self.initargs)

    def submit(self, chunk: list[str]) -> None:
        """Hand ``chunk`` to a worker (after a worker death, to the pool that replaces it)."""
        from concurrent.futures.process import BrokenProcessPool

        try:
            self.pending[self._submit(chunk)] = chunk
        except BrokenProcessPool:
            self.drain(False)
            self.pending[self._submit(chunk)] = chunk

    def _submit(self, chunk: list[str]) -> cf.Future:
        import signal

        # The pool forks its workers inside submit: a Ctrl-C landing in the fork was swallowed
        # by an at-fork handler, or left the executor half started. Held back until submit
        # returns, it arrives where the run can stop cleanly.
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            return self.executor.submit(_analyse_chunk, chunk)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def _collect(self, fut: cf.Future) -> None:
        """Take the results of a finished chunk, and its worker's peak RSS."""
        chunk, pid, peak = fut.result()
        self.worker_rss[pid] = max(self.worker_rss.get(pid, 0), peak)
        self.state.add(chunk)

    def drain(self, block: bool) -> None:
        """Collect the finished chunks (``block``: all, as they finish). When a worker died,
        the chunks not collected are redone file by file (`_isolate`) and a new pool takes
        over."""
        import concurrent.futures as cf
        from concurrent.futures.process import BrokenProcessPool

        pending = self.pending
        futures = cf.as_completed(list(pending)) if block else [f for f in pending if f.done()]
        lost: list[str] = []
        broken = False
        for fut in futures:
            try:
                self._collect(fut)
            except BrokenProcessPool:
                broken = True
                lost += pending[fut]
            pending.pop(fut, None)
            if broken:
                break
        if broken:
            lost += [p for chunk in pending.values() for p in chunk]
            pending.clear()
            # wait: its manager thread must be gone before the next pool forks (a fork with
            # threads alive can deadlock the child; Python 3.12+ warns)
            self.executor.shutdown(wait=True, cancel_futures=True)
            self._isolate(lost)
            self.executor = self._new_executor(self.jobs)

    def _isolate(self, paths: list[str]) -> None:
        """After a worker died: each file of the lost chunks alone in a fresh worker, so the
        one that kills it (an OOM kill, a crash) becomes an error of its own."""
        from concurrent.futures.process import BrokenProcessPool

        for path in paths:
            with self._new_executor(1) as single:
                try:
                    self._collect(single.submit(_analyse_chunk, [path]))
                except BrokenProcessPool:
                    self.state.add([FileResult(path, "error", "the worker analysing it died "
                                               "(killed, or out of memory)", 0, 0, None, None,
                                               (), (), ())])

    def kill(self) -> None:
        """Stop at once, on Ctrl-C. The workers ignore SIGINT: end them (waiting for the chunks
        they are on could take long), then let the executor see them gone, so that nothing of
        it is left for the interpreter's exit to trip over. (Submitting cannot be interrupted:
        SIGINT is held back.)"""
        for proc in list((getattr(self.executor, "_processes", None) or {}).values()):
            proc.kill()
        self.executor.shutdown(wait=True, cancel_futures=True)


__all__ = ["FileResult", "MODES", "ResultStore", "TreeRun", "analyse",
           "run_tree"]
