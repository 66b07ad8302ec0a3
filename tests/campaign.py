"""A mutation campaign over every command that reads an ELF file, each case in its own process.

    python tests/campaign.py [--cases N] [--workers 2] [--seed S]

Seeds: libc.so.6 of x86_64, i686, aarch64, s390x, powerpc and mips64el, a small versioned
library, and copies of two without section headers. A case mutates the headers or the
dynamic-linking data of a seed (1 to 4 values, interesting ones: 0, 0x7f…, 0xff…) or truncates
it, then runs one command on it in a forked child with an address-space limit: scan (table,
readelf, json, abilist), versions --lib, diff, check-host --libc, preflight, fix-pie,
fix-unique. A traceback, an exit status other than 0 to 3, more than ``--seconds`` or more
than ``--rss-mb`` of memory beyond what the child started with counts as a failure; the
summary says how many of each. tests/test_campaign.py runs a slice of it.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import signal
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from conftest import HOST_LIBC, compile_c  # noqa: E402

LIBCS = [HOST_LIBC, "/usr/i686-linux-gnu/lib/libc.so.6",
         "/usr/aarch64-linux-gnu/lib/libc.so.6", "/usr/s390x-linux-gnu/lib/libc.so.6",
         "/usr/powerpc-linux-gnu/lib/libc.so.6", "/usr/mips64el-linux-gnuabi64/lib/libc.so.6"]
DCE_112 = os.path.join(ROOT, "versions", "dce-1.12.policy.tsv")
# (command, weight): the slow ones (check-host disassembles, preflight binds) less often
COMMANDS = [("scan", 14), ("scan-readelf", 10), ("scan-json", 10), ("scan-abilist", 10),
            ("versions", 10), ("diff", 10), ("fix-pie", 12), ("fix-unique", 12),
            ("preflight", 8), ("check-host", 4)]
VALUES = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF,
          0x80000000, 0xFFFFFFFF, 1 << 32, (1 << 63) - 1, 1 << 63, (1 << 64) - 1]


def seeds(workdir: str) -> list:
    """The seed files as test_fuzz's `Base` (bytes and the regions worth mutating)."""
    from test_fuzz import Base

    out = []
    for path in LIBCS:
        if os.path.exists(path):
            with open(path, "rb") as f:
                out.append(Base(path, f.read()))
    src = os.path.join(ROOT, "csrc", "testlib")
    lib = os.path.join(workdir, "libversioned.so.1")
    compile_c(lib, "-shared", "-fPIC", "-O1", "-nostdlib", os.path.join(src, "versioned.c"),
              f"-Wl,--version-script={os.path.join(src, 'versioned.map')}",
              "-Wl,-soname,libversioned.so.1")
    with open(lib, "rb") as f:
        small = f.read()
    out.append(Base("versioned", small))
    out.append(Base("versioned-no-sections", small, strip_sections=True))
    with open(LIBCS[0], "rb") as f:
        out.append(Base("libc-no-sections", f.read(), strip_sections=True))
    return out


def argv_for(command: str, path: str, out: str) -> list[str]:
    return {
        "scan": ["scan", path], "scan-readelf": ["scan", "--format", "readelf", path],
        "scan-json": ["scan", "--json", path], "scan-abilist": ["scan", "--format", "abilist", path],
        "versions": ["versions", "--lib", f"libc={path}", "--out-dir", out],
        "diff": ["diff", path, LIBCS[0]], "fix-pie": ["fix-pie", path, "-o", out + "/x"],
        "fix-unique": ["fix-unique", path, "-o", out + "/x"],
        "preflight": ["preflight", "--policy", DCE_112, path],
        "check-host": ["check-host", "--libc", path],
    }[command]


def mutate(rng: random.Random, base, data: bytearray) -> list[tuple[int, bytes]]:
    """Change 1 to 4 values of ``data`` in place; returns (offset, original bytes) to undo."""
    undo = []
    for _ in range(rng.randint(1, 4)):
        start, end = rng.choice(base.regions)
        width = rng.choice((1, 2, 4, 8))
        if end - start < width:
            continue
        at = rng.randrange(start, end - width + 1)
        value = rng.choice(VALUES) if rng.random() < 0.7 else rng.getrandbits(8 * width)
        undo.append((at, bytes(data[at:at + width])))
        data[at:at + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, rng.choice(("little", "big")))
    return undo


def run_case(argv: list[str], seconds: float, rss_mb: int) -> tuple[str, float, int]:
    """Fork, run the CLI on ``argv`` in the child; (outcome, seconds, KiB over the start)."""
    from elfdce.cli import main

    start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            limit = (start_rss + rss_mb * 1024 + (1 << 20)) * 1024  # KiB -> bytes, + room
            resource.setrlimit(resource.RLIMIT_AS, (max(limit, 4 << 30), max(limit, 4 << 30)))
            os._exit(main(argv))
        except SystemExit as e:
            os._exit(e.code if isinstance(e.code, int) else 2)
        except BaseException:
            with open(os.environ["ELFDCE_CAMPAIGN_LOG"], "a") as f:
                f.write(f"--- {argv}\n{traceback.format_exc()}\n")
            os._exit(99)
    deadline = t + seconds
    while True:
        wpid, status, usage = os.wait4(pid, os.WNOHANG)
        if wpid:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            return "timeout", time.monotonic() - t, 0
        time.sleep(0.0005)
    took = time.monotonic() - t
    grew = max(0, usage.ru_maxrss - start_rss)
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}", took, grew
    code = os.WEXITSTATUS(status)
    if code == 99:
        return "traceback", took, grew
    if code not in (0, 1, 2, 3):
        return f"exit {code}", took, grew
    if grew > rss_mb * 1024:
        return "memory", took, grew
    return "ok", took, grew


def worker(index: int, cases: int, seed: int, seconds: float, rss_mb: int, log: str) -> dict:
    """Run ``cases`` cases; the counts of each outcome, the slowest case and the peak growth."""
    import elfdce.glibc.disasm  # noqa: F401  (imported once, before the forks)
    from elfdce.glibc.libs import locate
    from elfdce.policy.host import load_policy

    os.environ["ELFDCE_CAMPAIGN_LOG"] = log
    locate()  # ldconfig -p, memoised before the forks
    load_policy(DCE_112)
    rng = random.Random(seed * 1000 + index)
    work = tempfile.mkdtemp(prefix=f"elfdce-campaign-{index}-")
    bases = seeds(work)
    weighted = [c for c, w in COMMANDS for _ in range(w)]
    counts: dict[str, int] = {}
    slowest, peak = 0.0, 0
    files = {}
    for b in bases:
        path = os.path.join(work, os.path.basename(b.name).replace(".so", "") + f"-{len(files)}.so")
        with open(path, "wb") as f:
            f.write(b.data)
        files[b.name] = (path, bytearray(b.data))
    out = os.path.join(work, "out")
    os.makedirs(out)
    for _ in range(cases):
        base = rng.choice(bases)
        path, data = files[base.name]
        truncate = rng.random() < 0.05
        undo = [] if truncate else mutate(rng, base, data)
        if truncate:
            with open(path, "r+b") as f:
                f.truncate(rng.randrange(0, len(data)))
        else:
            with open(path, "r+b") as f:
                for at, _old in undo:
                    f.seek(at)
                    f.write(data[at:at + len(_old)])
        outcome, took, grew = run_case(argv_for(rng.choice(weighted), path, out), seconds, rss_mb)
        counts[outcome] = counts.get(outcome, 0) + 1
        slowest, peak = max(slowest, took), max(peak, grew)
        if truncate:
            with open(path, "wb") as f:
                f.write(data)
        else:
            with open(path, "r+b") as f:
                for at, old in undo:
                    data[at:at + len(old)] = old
                    f.seek(at)
                    f.write(old)
    return {"counts": counts, "slowest": slowest, "peak_kb": peak}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--rss-mb", type=int, default=200)
    a = ap.parse_args(argv)
    log = os.path.join(tempfile.gettempdir(), f"elfdce-campaign-{os.getpid()}.log")
    started = time.monotonic()
    import concurrent.futures as cf
    import multiprocessing

    per = [a.cases // a.workers + (i < a.cases % a.workers) for i in range(a.workers)]
    ctx = multiprocessing.get_context("fork")
    with cf.ProcessPoolExecutor(a.workers, mp_context=ctx) as pool:
        results = list(pool.map(worker, range(a.workers), per, [a.seed] * a.workers,
                                [a.seconds] * a.workers, [a.rss_mb] * a.workers,
                                [log] * a.workers))
    counts: dict[str, int] = {}
    for r in results:
        for k, v in r["counts"].items():
            counts[k] = counts.get(k, 0) + v
    slowest = max(r["slowest"] for r in results)
    peak = max(r["peak_kb"] for r in results)
    bad = sum(v for k, v in counts.items() if k != "ok")
    print(f"{sum(counts.values())} cases in {time.monotonic() - started:.0f} s: "
          + ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
          + f"; slowest {slowest:.2f} s, peak growth {peak / 1024:.0f} MB")
    if os.path.exists(log):
        print(f"tracebacks: {log}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
