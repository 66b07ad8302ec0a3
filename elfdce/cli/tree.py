"""``--tree`` for `scan` and `preflight`: every ELF file under directories, in parallel."""

from __future__ import annotations

import contextlib
import os
import sys

from ..emit.words import count

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterator

    from ..policy.model import Policy
    from ..tree import TreeRun

TREE_SCHEMA_VERSION = 1


def add_tree_options(p: argparse.ArgumentParser) -> None:
    """``--tree`` and the options that go with it."""
    g = p.add_argument_group("whole trees")
    g.add_argument("--tree", action="store_true",
                   help="the paths are directories: analyse every ELF file under them (found "
                   "by magic; links not followed), in parallel, and print a summary")
    g.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help="worker processes (default: one per core)")
    g.add_argument("--cache", action="store_true",
                   help="keep results under the user cache dir (~/.cache/elfdce/tree) and reuse "
                   "those whose file (and, for a pre-flight, every library it loads) is "
                   "unchanged (path, size, mtime)")
    g.add_argument("--top", type=int, default=20, metavar="N",
                   help="missing symbols to list, by how many programs need them (default 20)")


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr when it is a terminal (``enabled``); silent otherwise."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(TextColumn("elfdce"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True, console=Console(stderr=True)) as progress:
        task = progress.add_task("files", total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def run(args: argparse.Namespace, mode: str, policy: Policy | None, name: str) -> int:
    """Run the tree, print the summary (or JSON); exit status 0 all fine, 1 findings (an
    unreadable file, or a program that will not load), 2 usage, 130 interrupted."""
    from ..tree import run_tree

    dirs = args.paths
    missing = [d for d in dirs if not os.path.exists(d)]
    if missing:
        print(f"elfdce {name} --tree: {', '.join(missing)}: no such file or directory",
              file=sys.stderr)
        return 2
    if args.jobs is not None and args.jobs < 1:
        print(f"elfdce {name} --tree: --jobs must be at least 1", file=sys.stderr)
        return 2
    persist = None
    if args.cache:
        from ..fsutil import cache_dir

        persist = cache_dir()
    with _progress(sys.stderr.isatty()) as progress:
        result = run_tree(dirs, mode, policy=policy, sysroot=getattr(args, "sysroot", None),
                          jobs=args.jobs, persist=persist, progress=progress)
    summary = result.summary(args.top)
    if getattr(args, "json", False) or getattr(args, "format", None) == "json":
        text = _json(result, dirs, summary)
    else:
        text = _text(result, dirs, summary, name)
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
    sys.stdout.flush()
    for r in result.results:
        if r.error:
            print(f"elfdce {name}: {r.error}", file=sys.stderr)
    if result.interrupted:
        print(f"elfdce {name} --tree: interrupted after {len(result.results)} of "
              f"{count(len(result.files), 'file')} (the summary covers those)", file=sys.stderr)
        return 130
    bad = summary["errors"] or (mode == "preflight"
                                and summary["programs_that_load"] < summary["programs"])
    return 1 if bad else 0


def _text(result: TreeRun, dirs: list[str], s: dict, name: str) -> str:
    rate = len(result.results) / result.seconds if result.seconds else 0.0

    kinds = ", ".join(count(n, k) for k, n in s["kinds"].items())
    lines = [
        f"elfdce {name} --tree {' '.join(dirs)}",
        f"  {count(s['files'], 'ELF file')} ({kinds}) in {result.seconds:.2f} s: "
        f"{rate:.0f} files/s with {count(result.jobs, 'worker')}"
        + (f", {result.from_cache} from the cache" if result.from_cache else ""),
        f"  errors (unreadable files): {s['errors']}",
    ]
    if result.mode == "preflight":
        lines += [
            f"  programs: {s['programs']}",
            f"  programs that load under DCE: {s['programs_that_load']}",
            f"  programs missing symbols: {s['programs_missing_symbols']}",
            f"  programs missing libraries: {s['programs_missing_libraries']}",
            f"  programs DCE cannot load (not PIE): {s['programs_not_pie']}",
        ]
        if s["top_missing"]:
            lines.append("  most needed missing symbols (programs):")
            lines += [f"    {t['programs']:>5}  {t['symbol']}" for t in s["top_missing"]]
    else:
        symbols = sum(r.symbols for r in result.results)
        imports = sum(r.imports for r in result.results)
        lines.append(f"  dynamic symbols: {symbols} ({imports} imports)")
    return "\n".join(lines) + "\n"


def _json(result: TreeRun, dirs: list[str], summary: dict) -> str:
    from ..emit.json import dumps

    files = []
    for r in result.results:
        entry: dict = {"path": r.path, "kind": r.kind, "error": r.error, "symbols": r.symbols,
                       "imports": r.imports}
        if result.mode == "preflight" and r.kind == "program":
            entry.update(ok=r.ok, pie=r.pie, missing=list(r.missing),
                         missing_libraries=list(r.missing_libraries),
                         libraries=[c[0] for c in r.closure])
        files.append(entry)
    return dumps({
        "schema_version": TREE_SCHEMA_VERSION,
        "mode": result.mode,
        "dirs": dirs,
        "jobs": result.jobs,
        "seconds": round(result.seconds, 3),
        "interrupted": result.interrupted,
        "from_cache": result.from_cache,
        "max_rss_kb": list(result.max_rss_kb),
        "summary": summary,
        "files": files,
    })
