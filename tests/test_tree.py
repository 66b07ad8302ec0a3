"""Whole trees: finding ELF files, the shared cache giving the same answers as none, parallel
runs equal to serial ones, the persisted results, the CLI (summary, JSON, exit statuses,
Ctrl-C, the progress bar only on a terminal) and the /usr sweep."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import warnings

import jsonschema
import pytest
from conftest import ROOT, compile_c

import elfdce
from elfdce.policy.host import complete_policy, host_libraries, load_policy
from elfdce.preflight import Cache, preflight
from elfdce.tree import run_tree
from elfdce.tree.files import find_under

PROGRAMS = os.path.join(ROOT, "csrc", "programs")
SCHEMA = os.path.join(os.path.dirname(elfdce.__file__), "schemas", "tree.schema.json")
SYSTEM = ("/usr/lib", "/usr/bin", "/usr/sbin", "/usr/libexec")


@pytest.fixture(scope="module")
def policy():
    return complete_policy(load_policy(None), host_libraries())


@pytest.fixture(scope="module")
def tree(tmp_path_factory, gcc):
    """A small tree: PIE and non-PIE programs, a copy of a library, junk, links, a FIFO."""
    d = tmp_path_factory.mktemp("tree")
    (d / "bin").mkdir()
    (d / "lib").mkdir()
    for name, flags in (("net_threads", ["-pie", "-fPIE"]), ("shim_native", ["-pie", "-fPIE"]),
                        ("answer", ["-no-pie", "-fno-PIE"])):
        compile_c(str(d / "bin" / name), *flags, "-O1", os.path.join(PROGRAMS, f"{name}.c"),
                  "-lpthread", compiler=gcc)
    shutil.copy("/lib/x86_64-linux-gnu/libm.so.6", d / "lib" / "libm.so.6")
    (d / "lib" / "notes.txt").write_text("not ELF\n")
    (d / "lib" / "empty").write_bytes(b"")
    (d / "lib" / "truncated.so").write_bytes(b"\x7fELF\x02\x01\x01" + b"\0" * 20)
    os.symlink(d / "bin" / "shim_native", d / "bin" / "link-in-tree")
    os.symlink("/bin/ls", d / "bin" / "link-out-of-tree")
    os.symlink("/usr/bin", d / "linked-dir")
    os.link(d / "bin" / "net_threads", d / "bin" / "hardlink")
    os.mkfifo(d / "lib" / "fifo")
    return d


def find_elf_files(dirs):
    """Every ELF file under ``dirs``, sorted, each hard-linked file once."""
    seen: set[tuple[int, int]] = set()
    return sorted({p for d in dirs for p in find_under(d, seen)})


def test_find_elf_files_by_magic_without_following_links(tree):
    found = find_elf_files([str(tree)])
    names = sorted(os.path.relpath(p, tree) for p in found)
    # one of the two hard-linked names, no link, no junk; the truncated ELF is found (and later
    # reported as an error)
    assert len([n for n in names if n in ("bin/hardlink", "bin/net_threads")]) == 1
    assert set(names) - {"bin/hardlink", "bin/net_threads"} == {
        "bin/shim_native", "bin/answer", "lib/libm.so.6", "lib/truncated.so"}


def test_shared_cache_answers_as_no_cache(policy):
    """The cache shares libraries and library import classifications between programs: the
    reports must be exactly what an uncached pre-flight gives, for real programs."""
    programs = [p for p in find_elf_files(["/usr/bin", "/usr/sbin"])][::7][:70]
    cache = Cache()
    libraries: set[tuple[int, int]] = set()
    done = loads = 0
    for p in programs:
        try:
            plain = preflight(p, policy)
        except elfdce.ElfError:
            continue
        shared = preflight(p, policy, cache=cache)
        assert shared == plain, p
        done += 1
        for o in plain.closure.loaded()[1:]:
            st = os.stat(o.path)
            libraries.add((st.st_dev, st.st_ino))
            loads += 1
    # each program read once, each library once however many programs loaded it
    assert cache.parsed == done + len(libraries) and loads > 2 * len(libraries)
    assert cache.imports  # library classifications were reused


def test_shared_cache_keeps_the_name_each_program_reaches_a_library_by(policy, tmp_path,
                                                                       host_libc):
    """One library file under two names (merged /usr: /lib/... is /usr/lib/...): the cache
    parses it once, and each program's report still names the path its own search found.
    (Debian 13's coreutils `factor`, whose RUNPATH is /usr/lib/x86_64-linux-gnu, showed it.)"""
    libdir = os.path.dirname(host_libc)
    other = ("/usr" + libdir) if not libdir.startswith("/usr/") else libdir[len("/usr"):]
    if not os.path.samefile(libdir, other):
        pytest.skip(f"{libdir} and {other} are not one directory here (no merged /usr)")
    src = tmp_path / "p.c"
    src.write_text("int main(void) { return 0; }\n")
    plain = compile_c(tmp_path / "plain", str(src))
    via_runpath = compile_c(tmp_path / "via_runpath", str(src), f"-Wl,-rpath,{other}",
                            "-Wl,--enable-new-dtags")
    cache = Cache()
    first = preflight(plain, policy, cache=cache)
    second = preflight(via_runpath, policy, cache=cache)
    assert second == preflight(via_runpath, policy)
    libc = [o for o in second.closure.loaded() if o.needed == "libc.so.6"][0]
    assert libc.path == libc.elf.path and libc.path.startswith(other)
    assert first.closure.loaded()[1].path != libc.path
    files = {(os.stat(o.path).st_dev, os.stat(o.path).st_ino)
             for r in (first, second) for o in r.closure.loaded()[1:]}
    assert cache.parsed == 2 + len(files)  # the two programs, each library file once


def test_parallel_run_equals_serial(tree, policy):
    one = run_tree([str(tree)], "preflight", policy=policy, jobs=1)
    two = run_tree([str(tree)], "preflight", policy=policy, jobs=2)
    assert one.results == two.results
    s = one.summary()
    assert (s["files"], s["errors"], s["programs"]) == (5, 1, 3)
    by = {os.path.basename(r.path): r for r in one.results}
    assert by["shim_native"].ok and not by["answer"].ok and by["answer"].pie == "exec"
    assert by["truncated.so"].kind == "error" and "truncated.so" in by["truncated.so"].error
    assert s["programs_not_pie"] == 1


def test_persisted_results_are_reused_until_a_file_changes(tmp_path, tree, policy):
    d = tmp_path / "t"
    shutil.copytree(tree / "bin", d / "bin", symlinks=True)
    first = run_tree([str(d)], "preflight", policy=policy, jobs=1, persist=str(tmp_path / "c"))
    again = run_tree([str(d)], "preflight", policy=policy, jobs=1, persist=str(tmp_path / "c"))
    n = len(first.files)  # copytree made the hard link a second file
    assert first.from_cache == 0 and again.from_cache == len(again.files) == n == 4
    assert again.results == first.results
    touched = d / "bin" / "shim_native"
    os.utime(touched, ns=(time.time_ns(), time.time_ns()))
    third = run_tree([str(d)], "preflight", policy=policy, jobs=1, persist=str(tmp_path / "c"))
    assert third.from_cache == n - 1
    assert [r._replace(closure=()) for r in third.results] == \
        [r._replace(closure=()) for r in first.results]


def elfdce(*args, **kw):
    return subprocess.run([sys.executable, "-m", "elfdce", *args], capture_output=True,
                          text=True, timeout=300, **kw)


def test_cli_tree_summary_json_and_status(tree):
    proc = elfdce("preflight", "--tree", str(tree), "--jobs", "2")
    assert proc.returncode == 1  # a non-PIE program and an unreadable file
    assert "5 ELF files" in proc.stdout and "errors (unreadable files): 1" in proc.stdout
    assert "programs that load under DCE: 2" in proc.stdout
    assert "truncated.so" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1  # no progress bar when stderr is not a terminal
    doc = json.loads(elfdce("preflight", "--tree", "--json", str(tree)).stdout)
    jsonschema.validate(doc, json.load(open(SCHEMA)))
    assert doc["summary"]["programs"] == 3
    scan = elfdce("scan", "--tree", "--json", str(tree / "bin"))
    assert scan.returncode == 0
    jsonschema.validate(json.loads(scan.stdout), json.load(open(SCHEMA)))
    assert elfdce("preflight", "--tree", str(tree / "nothing")).returncode == 2
    assert elfdce("preflight", "a", "b").returncode == 2


def test_progress_bar_on_a_terminal(tree):
    import pty

    master, slave = pty.openpty()
    # a terminal that can draw one (rich draws nothing for TERM=dumb, as CI shells may set)
    env = dict(os.environ, TERM="xterm-256color")
    proc = subprocess.Popen([sys.executable, "-m", "elfdce", "scan", "--tree", str(tree)],
                            stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    proc.wait(timeout=120)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    shown = b"".join(chunks)
    assert b"elfdce" in shown and b"\x1b[" in shown  # rich drew (and cleared) its bar


def test_ctrl_c_stops_with_a_partial_summary():
    proc = subprocess.Popen([sys.executable, "-m", "elfdce", "preflight", "--tree", *SYSTEM,
                             "--jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    # interrupt once the worker pool is up (a fixed delay lost the race on a smaller /usr):
    # two children that are forks of elfdce and stay so (the ldconfig the policy runs first
    # shows elfdce's command line too, for the moment between its fork and its exec)
    children = f"/proc/{proc.pid}/task/{proc.pid}/children"
    deadline = time.monotonic() + 30
    seen_since = None
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            with open(children) as f:
                pids = f.read().split()
            cmdlines = [open(f"/proc/{c}/cmdline", "rb").read() for c in pids]
        except OSError:
            cmdlines = []
        if sum(b"elfdce" in c for c in cmdlines) >= 2:
            seen_since = seen_since or time.monotonic()
            if time.monotonic() - seen_since > 0.05:
                break
        else:
            seen_since = None
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    if proc.returncode in (0, 1) and "interrupted" not in err:
        pytest.skip("the whole tree was read before the interrupt could arrive")
    assert proc.returncode == 130, err
    assert "interrupted after" in err and "Traceback" not in err
    assert "ELF file" in out


def count_elf_files(dirs) -> int:
    """Regular files starting with the ELF magic under ``dirs``, symlinks not followed, each
    inode once: an independent count of what the tree run must find."""
    seen = set()
    for top in dirs:
        for d, subdirs, files in os.walk(top):
            subdirs[:] = [x for x in subdirs if not os.path.islink(os.path.join(d, x))]
            for name in files:
                path = os.path.join(d, name)
                try:
                    st = os.lstat(path)
                    if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) in seen:
                        continue
                    with open(path, "rb") as f:
                        if f.read(4) == b"\x7fELF":
                            seen.add((st.st_dev, st.st_ino))
                except OSError:
                    continue
    return len(seen)


@pytest.mark.slow
def test_system_tree_preflight():
    """The whole /usr sweep through the CLI, in a fresh process (workers forked from a big
    process such as pytest would count its pages as theirs)."""
    proc = elfdce("preflight", "--tree", "--json", "--jobs", "2", *SYSTEM)
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(proc.stdout)
    s = doc["summary"]
    print(f"{s['files']} files, {s['programs']} programs, {s['programs_that_load']} load, "
          f"{doc['seconds']:.2f} s, peak RSS {sum(doc['max_rss_kb']) // 1024} MB "
          f"({doc['max_rss_kb']})")
    assert s["files"] == count_elf_files(SYSTEM) and s["errors"] == 0 and not doc["interrupted"]
    assert len(doc["max_rss_kb"]) == 3  # the main process and two workers
    assert sum(doc["max_rss_kb"]) < 500 * 1024


@pytest.mark.parametrize("content", ["[]", "null", '{"format": 1, "entries": {"/x": [1]}}',
                                     "not json", '{"format": 999}'])
def test_a_cache_of_another_shape_is_discarded_with_one_warning(tmp_path, content):
    tree = tmp_path / "t"
    tree.mkdir()
    shutil.copy("/bin/true", tree / "true")
    cache = tmp_path / "cache"
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    first = subprocess.run([sys.executable, "-m", "elfdce", "scan", "--tree", "--cache", str(tree)],
                           capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == 0, first.stderr
    files = list((cache / "elfdce" / "tree").glob("*.json"))
    assert len(files) == 1
    files[0].write_text(content)
    proc = subprocess.run([sys.executable, "-m", "elfdce", "scan", "--tree", "--cache", str(tree)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    warnings = [ln for ln in proc.stderr.splitlines() if "warning" in ln]
    assert len(warnings) == 1 and "discarded" in warnings[0], proc.stderr
    # and the cache is whole again afterwards
    again = subprocess.run([sys.executable, "-m", "elfdce", "scan", "--tree", "--cache", str(tree)],
                           capture_output=True, text=True, env=env, timeout=120)
    assert "warning" not in again.stderr


def test_an_unusable_cache_directory_is_one_warning(tmp_path):
    tree = tmp_path / "t"
    tree.mkdir()
    shutil.copy("/bin/true", tree / "true")
    blocker = tmp_path / "afile"
    blocker.write_text("")
    env = dict(os.environ, XDG_CACHE_HOME=str(blocker))
    proc = subprocess.run([sys.executable, "-m", "elfdce", "scan", "--tree", "--cache", str(tree)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "cannot keep the cache there" in proc.stderr


def _small_tree(tmp_path, n=6):
    d = tmp_path / "tree"
    d.mkdir()
    for i in range(n):
        shutil.copy("/bin/true", d / f"prog{i}")
    return d


def test_a_worker_death_is_an_error_of_the_file_it_was_on(tmp_path, monkeypatch):
    import signal as _signal

    from elfdce.tree import run as T

    d = _small_tree(tmp_path)
    shutil.copy("/bin/true", d / "bomb")
    real = T.analyse

    def analyse(path):  # runs in the forked workers
        if path.endswith("/bomb"):
            os.kill(os.getpid(), _signal.SIGKILL)  # as an OOM kill would
        return real(path)

    monkeypatch.setattr(T, "analyse", analyse)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = T.run_tree([str(d)], "scan", jobs=2)
    # the broken pool's threads are gone before the next pool forks (Python >= 3.12 warns
    # when a fork happens with threads alive: the child may deadlock)
    assert not [w for w in caught if "multi-threaded" in str(w.message)]
    assert not run.interrupted and len(run.results) == 7
    by_path = {r.path: r for r in run.results}
    assert "worker analysing it died" in (by_path[str(d / "bomb")].error or "")
    assert all(by_path[str(d / f"prog{i}")].kind == "program" for i in range(6))


def test_unreadable_files_and_directories_are_errors(tmp_path, monkeypatch):
    from elfdce.tree import run as T

    d = _small_tree(tmp_path, 2)
    (d / "sub").mkdir()
    real_open, real_scandir = os.open, os.scandir
    locked = {str(d / "prog1"), str(d / "sub")}

    def fake_open(path, *a, **k):
        if str(path) in locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *a, **k)

    def fake_scandir(path="."):
        if str(path) in locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(T.os, "open", fake_open)
    monkeypatch.setattr(T.os, "scandir", fake_scandir)
    run = T.run_tree([str(d)], "scan", jobs=1)
    errors = {r.path: r.error for r in run.results if r.kind == "error"}
    assert errors == {str(d / "prog1"): "cannot be read: Permission denied",
                      str(d / "sub"): "directory cannot be listed: Permission denied"}
    assert run.summary()["errors"] == 2


def test_jobs_are_capped(tmp_path):
    from elfdce.tree import run as T

    d = _small_tree(tmp_path, 2)
    run = T.run_tree([str(d)], "scan", jobs=1000)
    assert run.jobs <= 4 * (os.cpu_count() or 1) and len(run.results) == 2
    assert len(run.max_rss_kb) <= 1 + run.jobs


def test_counts_are_said_in_good_english(tmp_path):
    d = _small_tree(tmp_path, 1)
    proc = subprocess.run([sys.executable, "-m", "elfdce", "scan", "--tree", "--jobs", "1",
                           str(d)], capture_output=True, text=True, timeout=60)
    assert "  1 ELF file (1 program) in " in proc.stdout and "with 1 worker" in proc.stdout
