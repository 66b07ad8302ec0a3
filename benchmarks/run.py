"""elfdce's speed budgets, measured against readelf in the same run.

    python benchmarks/run.py [--runs N] [--lib PATH] [--no-save]

1. Whole process: ``python -m elfdce scan --format readelf LIB`` and ``readelf --dyn-syms -W LIB``,
   interleaved run by run (so both see the same machine load); medians and their ratio. The
   interpreter's own start (``python -c pass``, and ``python -m`` of an empty module) is measured
   in the same loop, since it bounds what any Python tool can reach.
2. In process: ``elfdce.scan()`` of libc.so.6 and of the four other libraries DCE replaces.
3. Shim build (``--only shim``): generating and compiling the full libc shim (plan, sources,
   cffi's build_ext compile and link, rescan) against the bare compiler on the same generated
   sources with the same flags (the compile and link commands build_ext runs), interleaved; and
   the whole ``python -m elfdce shim build --lib libc`` process.

Budgets: whole process <= 1.0x readelf (issue #2); in-process libc.so.6 <= 3 ms; shim
generate + compile <= 1.5x the bare compiler (issue #6).
Writes benchmarks/results/<date>.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

import elfdce  # noqa: E402

FIVE = ("libc.so.6", "libpthread.so.0", "librt.so.1", "libm.so.6", "libdl.so.2")


def multiarch_dir() -> str:
    """The directory of this machine's libc.so.6 (Debian multiarch layout first)."""
    triplet = f"{platform.machine()}-linux-gnu"
    for d in (f"/lib/{triplet}", f"/usr/lib/{triplet}", "/lib64", "/usr/lib64", "/lib", "/usr/lib"):
        if os.path.exists(os.path.join(d, "libc.so.6")):
            return d
    raise SystemExit("no libc.so.6 found")


def wall(cmd: list[str], cwd: str | None = None) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=cwd)
    return time.perf_counter() - t


def whole_process(lib: str, runs: int) -> dict[str, list[float]]:
    """Interleaved wall times (seconds) of each command, ``runs`` each after 3 warm-ups."""
    empty = tempfile.mkdtemp(prefix="elfdce-bench-")
    with open(os.path.join(empty, "elfdce_empty_module.py"), "w") as f:
        f.write("")
    compileall.compile_dir(empty, quiet=1)
    py = sys.executable
    commands = {
        "readelf --dyn-syms -W": ["readelf", "--dyn-syms", "-W", lib],
        "python -m elfdce scan --format readelf": [py, "-m", "elfdce", "scan", "--format",
                                                   "readelf", lib],
        "python -c pass": [py, "-c", "pass"],
        "python -m <empty module>": [py, "-m", "elfdce_empty_module"],
    }
    cwd = {"python -m <empty module>": empty}
    times: dict[str, list[float]] = {k: [] for k in commands}
    for i in range(runs + 3):
        order = list(commands.items())
        if i % 2:
            order.reverse()
        for name, cmd in order:
            t = wall(cmd, cwd.get(name))
            if i >= 3:
                times[name].append(t)
    return times


def in_process(paths: list[str], runs: int) -> dict[str, list[float]]:
    out = {}
    for p in paths:
        elfdce.scan(p)
        ts = []
        for _ in range(runs):
            t = time.perf_counter()
            elfdce.scan(p)
            ts.append(time.perf_counter() - t)
        out[p] = ts
    return out


def shim_build(runs: int) -> dict:
    """Section 3 (see the module docstring); times in ms."""
    from elfdce.policy.host import complete_policy, host_libraries, load_policy
    from elfdce.shim.build import build_shim, compile_flags, link_flags, toolchain_environment

    work = tempfile.mkdtemp(prefix="elfdce-bench-shim-")
    policy = complete_policy(load_policy(None), host_libraries())
    out = os.path.join(work, "libc-ns3.so")
    first = build_shim("libc", policy, out)  # also pays setuptools' import, once
    src = first.sources
    cc = toolchain_environment(src.arch)["CC"].split()
    cflags = (sysconfig.get_config_var("CFLAGS") or "").split() + \
        (sysconfig.get_config_var("CCSHARED") or "").split()
    obj, lib = os.path.join(work, "bare.o"), os.path.join(work, "bare.so")
    bare = [
        [*cc, *cflags, f"-I{sysconfig.get_paths()['include']}", f"-I{src.directory}",
         *compile_flags(src), "-c", src.c_file, "-o", obj],
        [*cc, "-shared", obj, *link_flags(first.plan, src), "-o", lib],
    ]
    cli = [sys.executable, "-m", "elfdce", "shim", "build", "--lib", "libc", "-o",
           os.path.join(work, "cli", "libc-ns3.so")]
    times: dict[str, list[float]] = {"generate + compile (elfdce, in process)": [],
                                     "bare compiler (same sources and flags)": [],
                                     "python -m elfdce shim build --lib libc": []}
    def elfdce_build() -> float:
        t = time.perf_counter()
        build_shim("libc", policy, out)
        return time.perf_counter() - t

    def bare_build() -> float:
        t = time.perf_counter()
        for cmd in bare:
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - t

    steps = list(zip(times, (elfdce_build, bare_build, lambda: wall(cli))))
    for i in range(runs + 1):
        for name, step in (steps if i % 2 else steps[::-1]):  # alternate who goes first
            t = step()
            if i:
                times[name].append(t)
    shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    bare_ms = med["bare compiler (same sources and flags)"]
    return {
        "runs": runs, "median_ms": med,
        "ratio_generate_compile_to_bare": med["generate + compile (elfdce, in process)"] / bare_ms,
        "ratio_cli_to_bare": med["python -m elfdce shim build --lib libc"] / bare_ms,
        "slots": len(first.plan.slots), "exports": first.exported,
        "bare_commands": [" ".join(c) for c in bare],
    }


def shim_table(result: dict) -> list[str]:
    bare = result["median_ms"]["bare compiler (same sources and flags)"]
    rows = [f"| libc shim ({result['exports']} exports, {result['slots']} slots) | median (ms) "
            "| ratio to bare compiler |", "|---|---:|---:|"]
    rows += [f"| {k} | {v:.0f} | {v / bare:.2f}x |" for k, v in result["median_ms"].items()]
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=21, help="runs per command (>= 15)")
    ap.add_argument("--lib", default=None, help="library to scan (default: this libc.so.6)")
    ap.add_argument("--no-save", action="store_true", help="do not write benchmarks/results/")
    ap.add_argument("--only", choices=("scan", "shim"), help="run one section")
    ap.add_argument("--shim-runs", type=int, default=9, help="runs of the shim section")
    ap.add_argument("--update-readme", action="store_true",
                    help="replace the table between the bench markers in README.md")
    args = ap.parse_args()
    # Installed packages carry bytecode; make sure a source checkout does too (with
    # PYTHONDONTWRITEBYTECODE set, nothing else would write it and every start would recompile).
    compileall.compile_dir(os.path.dirname(elfdce.__file__), quiet=1)
    doc: dict = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "executable": sys.executable},
    }
    tables: list[str] = []
    if args.only in (None, "scan"):
        tables += scan_section(args, doc)
    if args.only in (None, "shim"):
        result = shim_build(max(args.shim_runs, 5))
        doc["shim_build"] = result
        rows = shim_table(result)
        print(f"\n{result['runs']} interleaved runs each\n")
        print("\n".join(rows))
        print(f"\nbudget: shim generate + compile {result['ratio_generate_compile_to_bare']:.2f}x "
              "the bare compiler (target <= 1.5x); the whole CLI process "
              f"{result['ratio_cli_to_bare']:.2f}x")
        tables += [""] + rows
    print(f"machine: {platform.node() or '?'}, {os.cpu_count()} cores, {platform.platform()}, "
          f"Python {platform.python_version()} ({sys.executable})")

    if args.update_readme:
        readme = os.path.join(ROOT, "README.md")
        text = open(readme).read()
        start, end = "<!-- bench:start -->\n", "<!-- bench:end -->"
        i, j = text.index(start) + len(start), text.index(end)
        tmp = readme + ".tmp"
        with open(tmp, "w") as f:
            f.write(text[:i] + "\n".join(tables) + "\n" + text[j:])
        os.replace(tmp, readme)
        print("updated README.md")
    if not args.no_save:
        os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
        path = os.path.join(HERE, "results", f"{datetime.date.today().isoformat()}.json")
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        os.replace(tmp, path)
        print(f"saved {os.path.relpath(path, ROOT)}")
    return 0


def scan_section(args: argparse.Namespace, doc: dict) -> list[str]:
    """Sections 1 and 2; returns the Markdown rows."""
    libdir = multiarch_dir()
    lib = args.lib or os.path.join(libdir, "libc.so.6")
    wp = whole_process(lib, max(args.runs, 15))
    med = {k: statistics.median(v) * 1e3 for k, v in wp.items()}
    readelf = med["readelf --dyn-syms -W"]
    five = [os.path.join(libdir, n) for n in FIVE if os.path.exists(os.path.join(libdir, n))]
    ip = in_process(five, 50)
    ip_med = {p: statistics.median(v) * 1e3 for p, v in ip.items()}

    nsyms = len(elfdce.scan(lib, relocations=False).symbols)
    table = [f"| command ({os.path.basename(lib)}, {nsyms} symbols) | median (ms) | ratio to readelf |",
             "|---|---:|---:|"]
    table += [f"| `{k}` | {v:.1f} | {v / readelf:.2f}x |" for k, v in med.items()]
    table += ["", "| in-process `elfdce.scan()` | symbols | median (ms) |", "|---|---:|---:|"]
    table += [f"| {os.path.basename(p)} | {len(elfdce.scan(p).symbols)} | {v:.2f} |"
              for p, v in ip_med.items()]
    print(f"{max(args.runs, 15)} interleaved runs of each command; in process: median of 50\n")
    print("\n".join(table))
    ratio = med["python -m elfdce scan --format readelf"] / readelf
    libc_ms = ip_med.get(os.path.join(libdir, "libc.so.6"))
    print(f"\nbudgets: whole process {ratio:.2f}x readelf (target <= 1.0x); "
          f"in-process libc.so.6 {libc_ms:.2f} ms (target <= 3 ms)")
    doc.update({
        "library": lib,
        "whole_process_ms": {k: sorted(round(x * 1e3, 3) for x in v) for k, v in wp.items()},
        "whole_process_median_ms": med,
        "ratio_scan_to_readelf": ratio,
        "in_process_median_ms": ip_med,
    })
    return table


if __name__ == "__main__":
    sys.exit(main())
