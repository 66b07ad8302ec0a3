"""elfdce's speed, measured against its peers in the same run, interleaved.

    python benchmarks/run.py [--only peers,inprocess,versions,tree,shim,forward] [--update-readme]

Sections (all by default):

* ``peers`` — whole process on this machine's libc.so.6, each command run in turn, ``--runs``
  rounds: ``readelf --dyn-syms -W``, ``objdump -T``, ``python -m elfdce scan --format readelf``,
  a pyelftools script and a LIEF script printing the same name@[@]VERSION list
  (``benchmarks/peers/``), and the interpreter's own start (``python -c pass``, ``python -m`` of
  an empty module), which bounds what any Python tool can reach. Medians and ratios to readelf.
* ``inprocess`` — ``elfdce.scan()`` of libc.so.6, the five libraries, libstdc++.
* ``versions`` — ``python -m elfdce versions --style dce`` (the five maps in one process)
  against a C program doing the same per library (``csrc/mkversion/dce_mkversion.c``, compiled
  here with -O2), five runs of it per round.
* ``tree`` — ``elfdce preflight --tree`` of /usr/lib, /usr/bin, /usr/sbin, /usr/libexec with 2
  workers and with 1, against one ``readelf --dyn-syms -W`` per file (``xargs -n1``, one at a
  time and two at a time); files/s, ratios, peak RSS (main process plus workers).
* ``shim`` — generating and compiling the full libc shim against the bare compiler on the same
  generated sources with the same flags (the commands build_ext runs), and the whole CLI.

The Python commands run the project's ``.venv/bin/python`` (README's set-up) when this script
runs outside a virtual environment, else this interpreter; the machine line names it.

Budgets: scan <= 1.25x readelf (issue #16); in-process libc.so.6 <= 3 ms; tree pre-flight
>= 3x faster than a readelf per file, peak RSS <= 500 MB (issue #7); shim generate + compile
<= 1.5x the bare compiler (issue #6). Writes benchmarks/results/<date>.json and Markdown tables
(README shows them between the bench markers with ``--update-readme``); a second run on one
day writes ``<date>T<hhmm>.json``, keeping the earlier results to compare with.
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import glob
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

from elfdce.glibc.libs import FIVE  # noqa: E402  (the five libraries DCE replaces)

SECTIONS = ("peers", "inprocess", "versions", "tree", "shim", "forward")
SYSTEM_TREE = ("/usr/lib", "/usr/bin", "/usr/sbin", "/usr/libexec")


def interpreter() -> str:
    """The Python the measured commands run: this one in a virtual environment, else the
    project's .venv (a bare interpreter has neither the peers' packages nor the same start)."""
    venv = os.path.join(ROOT, ".venv", "bin", "python")
    if sys.prefix == sys.base_prefix and os.path.exists(venv):
        return venv
    return sys.executable


PY = interpreter()


def multiarch_dir() -> str:
    """The directory of this machine's libc.so.6 (Debian multiarch layout first)."""
    triplet = f"{platform.machine()}-linux-gnu"
    for d in (f"/lib/{triplet}", f"/usr/lib/{triplet}", "/lib64", "/usr/lib64", "/lib", "/usr/lib"):
        if os.path.exists(os.path.join(d, "libc.so.6")):
            return d
    raise SystemExit("no libc.so.6 found")


def wall(cmd: list[str], cwd: str | None = None, stdin=None) -> float:  # noqa: ANN001
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=cwd,
                   stdin=stdin)
    return time.perf_counter() - t


def interleaved(commands: dict[str, list[str]], runs: int, warmup: int = 2,
                cwd: dict[str, str] | None = None) -> dict[str, list[float]]:
    """Wall times (s) of each command, run in turn for ``runs`` rounds (order alternating)."""
    times: dict[str, list[float]] = {k: [] for k in commands}
    for i in range(runs + warmup):
        order = list(commands.items())
        if i % 2:
            order.reverse()
        for name, cmd in order:
            t = wall(cmd, (cwd or {}).get(name))
            if i >= warmup:
                times[name].append(t)
    return times


def medians_ms(times: dict[str, list[float]]) -> dict[str, float]:
    return {k: statistics.median(v) * 1e3 for k, v in times.items()}


def rows(title: str, med: dict[str, float], base: str, unit: str = "ms",
         base_name: str = "readelf") -> list[str]:
    out = [f"| {title} | median ({unit}) | ratio to {base_name} |", "|---|---:|---:|"]
    b = med[base]
    out += [f"| `{k}` | {v:.1f} | {v / b:.2f}x |" for k, v in med.items()]
    return out


# -- peers ---------------------------------------------------------------------------------------

def labels(text: str) -> set[str]:
    """name@[@]VERSION words of a peer's output, version-node markers (name = version) left out."""
    out = set()
    for word in text.split():
        name, _, version = word.replace("@@", "@").partition("@")
        if version and name != version.lstrip("@"):
            out.add(word)
    return out


def peers_section(lib: str, runs: int, doc: dict) -> list[str]:
    empty = tempfile.mkdtemp(prefix="elfdce-bench-")
    with open(os.path.join(empty, "elfdce_empty_module.py"), "w") as f:
        f.write("")
    compileall.compile_dir(empty, quiet=1)
    py = PY
    peers = os.path.join(HERE, "peers")
    commands = {
        "readelf --dyn-syms -W": ["readelf", "--dyn-syms", "-W", lib],
        "objdump -T": ["objdump", "-T", lib],
        "python -m elfdce scan --format readelf": [py, "-m", "elfdce", "scan", "--format",
                                                   "readelf", lib],
        "pyelftools script": [py, os.path.join(peers, "pyelftools_versions.py"), lib],
        "LIEF script": [py, os.path.join(peers, "lief_versions.py"), lib],
        "python -c pass": [py, "-c", "pass"],
        "python -m <empty module>": [py, "-m", "elfdce_empty_module"],
    }
    # the three Python peers must print the same name@[@]VERSION set as elfdce
    outputs = {k: subprocess.run(commands[k], capture_output=True, text=True, check=True).stdout
               for k in ("python -m elfdce scan --format readelf", "pyelftools script",
                         "LIEF script")}
    sets = {k: labels(v) for k, v in outputs.items()}
    agree = all(v == sets["python -m elfdce scan --format readelf"] for v in sets.values())
    times = interleaved(commands, runs, cwd={"python -m <empty module>": empty})
    med = medians_ms(times)
    nsyms = len(elfdce.scan(lib, relocations=False).symbols)
    table = rows(f"whole process ({os.path.basename(lib)}, {nsyms} symbols)", med,
                 "readelf --dyn-syms -W")
    ratio = med["python -m elfdce scan --format readelf"] / med["readelf --dyn-syms -W"]
    start = med["python -c pass"] / med["readelf --dyn-syms -W"]
    print("\n".join(table))
    print(f"\nname@VERSION lists of elfdce, pyelftools and LIEF agree: {agree} "
          f"({len(sets['python -m elfdce scan --format readelf'])} labels)")
    print(f"budget: scan {ratio:.2f}x readelf (target <= 1.25x, issue #16); the interpreter's "
          f"own start (python -c pass) {start:.2f}x\n")
    doc["peers"] = {"library": lib, "runs": runs, "median_ms": med, "agree": agree,
                    "ratio_scan_to_readelf": ratio, "ratio_python_start_to_readelf": start,
                    "ms": {k: sorted(round(x * 1e3, 3) for x in v) for k, v in times.items()}}
    return table


# -- in process ----------------------------------------------------------------------------------

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


def inprocess_section(doc: dict) -> list[str]:
    libdir = multiarch_dir()
    paths = [os.path.join(libdir, lib.soname) for lib in FIVE
             if os.path.exists(os.path.join(libdir, lib.soname))]
    stdcxx = sorted(glob.glob(os.path.join(libdir, "libstdc++.so.6*")))
    paths += [p for p in stdcxx if not os.path.islink(p)][:1]
    med = {p: statistics.median(v) * 1e3 for p, v in in_process(paths, 50).items()}
    table = ["| in-process `elfdce.scan()` | symbols | median (ms) |", "|---|---:|---:|"]
    table += [f"| {os.path.basename(p)} | {len(elfdce.scan(p).symbols)} | {v:.2f} |"
              for p, v in med.items()]
    print("\n".join(table) + "\n")
    doc["in_process_median_ms"] = med
    return table


# -- versions ------------------------------------------------------------------------------------

def versions_section(runs: int, doc: dict) -> list[str]:
    from elfdce.versionmaps import default_prefix_dir

    work = tempfile.mkdtemp(prefix="elfdce-bench-versions-")
    exe = os.path.join(work, "dce_mkversion")
    subprocess.run(["gcc", "-O2", "-o", exe, os.path.join(ROOT, "csrc", "mkversion",
                                                          "dce_mkversion.c")], check=True)
    libdir = multiarch_dir()
    prefixes = default_prefix_dir()
    c_cmds = []
    for lib in FIVE:
        c_cmds.append([exe, os.path.join(libdir, lib.soname),
                       os.path.join(prefixes, lib.prefix_file),
                       os.path.join(work, f"c-{lib.map_file}")])
    os.makedirs(os.path.join(work, "py"))
    py_cmd = [PY, "-m", "elfdce", "versions", "--style", "dce", "--out-dir",
              os.path.join(work, "py")]
    times: dict[str, list[float]] = {"python -m elfdce versions --style dce": [],
                                     "C baseline (5 runs of dce_mkversion)": []}
    for i in range(runs + 2):
        steps = [("python -m elfdce versions --style dce", lambda: wall(py_cmd)),
                 ("C baseline (5 runs of dce_mkversion)", lambda: sum(wall(c) for c in c_cmds))]
        for name, step in (steps if i % 2 else steps[::-1]):
            t = step()
            if i >= 2:
                times[name].append(t)
    same = all(open(os.path.join(work, f"c-{lib.map_file}"), "rb").read()
               == open(os.path.join(work, "py", lib.map_file), "rb").read() for lib in FIVE)
    med = medians_ms(times)
    table = rows("the five version maps (dce style)", med, "C baseline (5 runs of dce_mkversion)",
                 base_name="C")
    print("\n".join(table))
    print(f"\nthe maps are byte-identical: {same}\n")
    doc["versions"] = {"runs": runs, "median_ms": med, "identical": same}
    shutil.rmtree(work, ignore_errors=True)
    return table


# -- tree ----------------------------------------------------------------------------------------

def tree_section(rounds: int, doc: dict) -> list[str]:
    from elfdce.tree.files import find_under

    dirs = [d for d in SYSTEM_TREE if os.path.isdir(d)]
    seen: set[tuple[int, int]] = set()  # a file linked under two of them counts once
    files = sorted({p for d in dirs for p in find_under(d, seen)})
    listing = tempfile.NamedTemporaryFile("w", delete=False, prefix="elfdce-bench-files-")
    listing.write("\n".join(files) + "\n")
    listing.close()
    py = PY
    tree_cmd = [py, "-m", "elfdce", "preflight", "--tree", "--json", *dirs]

    def ours(jobs: int) -> tuple[float, dict]:
        t = time.perf_counter()
        proc = subprocess.run([*tree_cmd, "--jobs", str(jobs)], capture_output=True, text=True)
        elapsed = time.perf_counter() - t
        if proc.returncode not in (0, 1):
            raise SystemExit(f"tree pre-flight failed: {proc.stderr}")
        return elapsed, json.loads(proc.stdout)

    def readelf_each(parallel: int) -> float:
        with open(listing.name) as f:
            return wall(["xargs", "-d", "\n", "-n1", f"-P{parallel}", "readelf", "--dyn-syms",
                         "-W"], stdin=f)

    names = ("elfdce preflight --tree (2 workers)", "elfdce preflight --tree (1 worker)",
             "readelf --dyn-syms -W per file, one at a time",
             "readelf --dyn-syms -W per file, two at a time")
    times: dict[str, list[float]] = {k: [] for k in names}
    last: dict = {}
    for i in range(rounds):
        steps = [(names[0], lambda: ours(2)), (names[1], lambda: ours(1)),
                 (names[2], lambda: (readelf_each(1), None)),
                 (names[3], lambda: (readelf_each(2), None))]
        for name, step in (steps if i % 2 else steps[::-1]):
            t, out = step()
            times[name].append(t)
            if out is not None:
                last[name] = out
    os.unlink(listing.name)
    med = {k: statistics.median(v) for k, v in times.items()}
    two = last[names[0]]
    n = two["summary"]["files"]
    rss_mb = sum(two["max_rss_kb"]) / 1024
    table = [f"| tree pre-flight of {', '.join(dirs)} ({n} ELF files) | median (s) | files/s "
             "| speed vs one readelf per file |", "|---|---:|---:|---:|"]
    base = med[names[2]]
    table += [f"| {k} | {v:.2f} | {n / v:.0f} | {base / v:.2f}x |" for k, v in med.items()]
    table += ["", f"errors: {two['summary']['errors']}; peak RSS of the 2-worker run (main + "
              f"workers): {rss_mb:.0f} MB ({', '.join(str(k // 1024) for k in two['max_rss_kb'])}"
              f" MB); 1 -> 2 workers: {med[names[1]] / med[names[0]]:.2f}x"]
    print("\n".join(table) + "\n")
    doc["tree"] = {"rounds": rounds, "files": n, "median_s": med, "errors": two["summary"]["errors"],
                   "peak_rss_mb_total": rss_mb, "max_rss_kb": two["max_rss_kb"],
                   "speedup_vs_readelf_sequential": base / med[names[0]],
                   "speedup_vs_readelf_two_at_a_time": med[names[3]] / med[names[0]],
                   "scaling_1_to_2_workers": med[names[1]] / med[names[0]],
                   "summary": two["summary"]}
    return table


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
    cli = [PY, "-m", "elfdce", "shim", "build", "--lib", "libc", "-o",
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


def forward_section(rounds: int, doc: dict) -> list[str]:
    """The cost of one forwarded call (x86_64): strlen through elfdce's trampoline (the shim's
    own macros), through a trampoline built as ns-3-dce builds its libc.cc (g++ -O0,
    __builtin_apply of 128 bytes), and natively, each called through a pointer into a shared
    library; rounds interleaved, medians of the ns per call."""
    from elfdce.data import csrc_dir

    here = os.path.join(HERE, "forward")
    work = tempfile.mkdtemp(prefix="elfdce-bench-forward-")
    lib, exe = os.path.join(work, "libfwd.so"), os.path.join(work, "harness")
    subprocess.run(["g++", "-O0", "-g", "-fPIC", "-c", os.path.join(here, "dce_style.cc"),
                    "-o", os.path.join(work, "dce.o")], check=True)
    subprocess.run(["gcc", "-c", f"-Wa,-I{os.path.join(csrc_dir(), 'shim')}",
                    os.path.join(here, "elfdce_style.s"), "-o", os.path.join(work, "el.o")],
                   check=True)
    subprocess.run(["gcc", "-shared", "-nostdlib", "-o", lib, os.path.join(work, "dce.o"),
                    os.path.join(work, "el.o")], check=True)
    subprocess.run(["gcc", "-O0", "-o", exe, os.path.join(here, "harness.c"), lib,
                    f"-Wl,-rpath,{work}"], check=True)
    times: dict[str, list[float]] = {"native": [], "dce": [], "elfdce": []}
    for _ in range(rounds):
        out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            name, ns = line.split()
            times[name].append(float(ns))
    shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    doc["forward"] = {"rounds": rounds, "median_ns_per_call": med,
                      "elfdce_to_dce": med["elfdce"] / med["dce"],
                      "elfdce_to_native": med["elfdce"] / med["native"]}
    names = {"native": "strlen called directly (the floor)",
             "dce": "DCE-style trampoline (__builtin_apply, -O0)",
             "elfdce": "elfdce trampoline (jmp *slot)"}
    over = {k: med[k] - med["native"] for k in med}
    doc["forward"]["overhead_elfdce_to_dce"] = over["elfdce"] / over["dce"]
    table = [f"| forwarded call (strlen, {rounds} rounds of 2e7 calls) | median (ns) | "
             "ratio to native | added to the call (ns) |", "|---|---:|---:|---:|"]
    for k in ("native", "dce", "elfdce"):
        table.append(f"| {names[k]} | {med[k]:.2f} | {med[k] / med['native']:.2f}x | "
                     f"{over[k]:.2f} |")
    print("\n".join(table))
    print(f"\nbudget: elfdce {med['elfdce'] / med['dce']:.3f}x DCE's trampoline, call included "
          f"(target <= 0.1), {over['elfdce'] / over['dce']:.3f}x of what it adds; "
          f"{med['elfdce'] / med['native']:.2f}x the native call (target <= 3)\n")
    return table


# The first cell of each section's table, to find it among README's tables.
TABLE_STARTS = {"peers": "| whole process (", "inprocess": "| in-process ",
                "versions": "| the five version maps", "tree": "| tree pre-flight of",
                "shim": "| libc shim (", "forward": "| forwarded call ("}


def update_readme(tables: dict[str, list[str]], machine: str) -> None:
    """Replace the tables between README's bench markers; a section not run keeps its table."""
    readme = os.path.join(ROOT, "README.md")
    with open(readme) as f:
        text = f.read()
    start, end = "<!-- bench:start -->\n", "<!-- bench:end -->"
    i, j = text.index(start) + len(start), text.index(end)
    old: dict[str, list[str]] = {}
    section = None
    for chunk in text[i:j].strip("\n").split("\n\n"):  # a table and the paragraphs after it
        section = next((k for k, head in TABLE_STARTS.items() if chunk.startswith(head)), section)
        if section is not None and not chunk.startswith("Machine: "):
            old.setdefault(section, []).append(chunk)
    kept = [k for k in SECTIONS if k not in tables and k in old]
    body = "\n\n".join("\n\n".join(old[k]) if k in kept else "\n".join(tables[k])
                        for k in SECTIONS if k in tables or k in kept)
    if kept:
        machine += f" ({', '.join(kept)}: from an earlier run)"
    tmp = readme + ".tmp"
    with open(tmp, "w") as f:
        f.write(text[:i] + body + f"\n\n{machine}\n" + text[j:])
    os.replace(tmp, readme)
    print("updated README.md")


def save(doc: dict) -> None:
    """Write benchmarks/results/<date>.json (<date>T<hhmm>.json if the day has results)."""
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    path = os.path.join(HERE, "results", f"{datetime.date.today().isoformat()}.json")
    if os.path.exists(path):  # keep the day's earlier results: they are what to compare with
        path = os.path.join(HERE, "results",
                            f"{datetime.datetime.now().strftime('%Y-%m-%dT%H%M')}.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)
    print(f"saved {os.path.relpath(path, ROOT)}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=21, help="rounds of the whole-process peers")
    ap.add_argument("--lib", default=None, help="library for the peers (default: this libc.so.6)")
    ap.add_argument("--only", default=",".join(SECTIONS),
                    help=f"comma-separated sections (default all: {','.join(SECTIONS)})")
    ap.add_argument("--tree-rounds", type=int, default=3, help="rounds of the tree section")
    ap.add_argument("--shim-runs", type=int, default=9, help="runs of the shim section")
    ap.add_argument("--no-save", action="store_true", help="do not write benchmarks/results/")
    ap.add_argument("--update-readme", action="store_true",
                    help="replace the tables between the bench markers in README.md")
    args = ap.parse_args()
    only = args.only.split(",")
    unknown = sorted(set(only) - set(SECTIONS))
    if unknown:
        ap.error(f"unknown sections: {', '.join(unknown)}")
    # Installed packages carry bytecode; make sure a source checkout does too (with
    # PYTHONDONTWRITEBYTECODE set, nothing else would write it and every start would recompile).
    compileall.compile_dir(os.path.dirname(elfdce.__file__), quiet=1)
    machine = (f"{os.cpu_count()} cores, {platform.platform()}, Python "
               f"{platform.python_version()} ({PY})")
    doc: dict = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
                 "machine": machine}
    tables: dict[str, list[str]] = {}
    lib = args.lib or os.path.join(multiarch_dir(), "libc.so.6")
    if "peers" in only:
        tables["peers"] = peers_section(lib, max(args.runs, 15), doc)
    if "inprocess" in only:
        tables["inprocess"] = inprocess_section(doc)
    if "versions" in only:
        tables["versions"] = versions_section(15, doc)
    if "tree" in only:
        tables["tree"] = tree_section(max(args.tree_rounds, 1), doc)
    if "shim" in only:
        result = shim_build(max(args.shim_runs, 5))
        doc["shim_build"] = result
        table = rows(f"libc shim ({result['exports']} exports, {result['slots']} slots)",
                     result["median_ms"], "bare compiler (same sources and flags)",
                     base_name="bare compiler")
        print("\n".join(table))
        print(f"\nbudget: shim generate + compile {result['ratio_generate_compile_to_bare']:.2f}x "
              "the bare compiler (target <= 1.5x); the whole CLI process "
              f"{result['ratio_cli_to_bare']:.2f}x\n")
        tables["shim"] = table
    if "forward" in only:
        tables["forward"] = forward_section(7, doc)
    print(f"machine: {machine}")

    if args.update_readme:
        update_readme(tables, f"Machine: {machine}; {doc['date']}.")
    if not args.no_save:
        save(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
