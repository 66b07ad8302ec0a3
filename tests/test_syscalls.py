"""`elfdce syscalls`: the system-call footprint of every exported glibc function, held against
what strace sees each function do, against Debian's other glibc builds and the aarch64 cross
libc, and the build-id cache; the syscall tables against the kernel headers installed here."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time

import jsonschema
import pytest
from conftest import HOST_LIBC, HOST_MERGED, ROOT, host_suite, require_package, run_cli

import elfdce
from elfdce.glibc.libs import locate
from elfdce.syscalls import classes, footprint, gentable
from elfdce.syscalls.numbers import NAMES

SCHEMA_PATH = os.path.join(os.path.dirname(elfdce.__file__), "schemas", "syscalls.schema.json")
CASES = os.path.join(ROOT, "csrc", "programs", "syscall_cases.c")
CROSS_LIBC = "/usr/aarch64-linux-gnu/lib/libc.so.6"
GLIBC_CACHE = os.environ.get("ELFDCE_GLIBC_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "elfdce", "glibcs")
# Debian's other builds that scripts/fetch-glibcs unpacks (2.31, 2.41, the newest)
SUITES = ("bullseye", "trixie", "sid")
# what is pure in every glibc (no syscall, nothing unknown, no vDSO)
PURE = ("strlen", "memcpy", "memset", "strcmp", "strchr", "abs", "toupper")


def schema() -> dict:
    with open(SCHEMA_PATH) as f:
        return json.load(f)


@pytest.fixture(autouse=True)
def own_cache(tmp_path_factory, monkeypatch):
    """Every test keeps its footprints in a cache of the session (the user's stays as it was)."""
    base = tmp_path_factory.getbasetemp() / "xdg-cache"
    base.mkdir(exist_ok=True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(base))


@pytest.fixture(scope="module")
def host(host_libc):
    from elfdce.syscalls import libc_footprint

    return libc_footprint(host_libc, use_cache=False)


def other_libc(suite: str) -> str | None:
    root = os.path.join(GLIBC_CACHE, suite, "root")
    if not os.path.isdir(root):
        return None
    return next((loc.path for loc in locate(root) if loc.library.key == "libc" and loc.path),
                None)


# --- the ground truth: strace -------------------------------------------------------------------


def strace_regions(text: str) -> dict[str, set[str]]:
    """{label: syscall names the marking thread made between "B:label" and "E:label"}. A
    signal delivered in between and the rt_sigreturn that ends its handler are the handler's
    (the program's), not the function's; other threads and processes are left out."""
    regions: dict[str, set[str]] = {}
    marker = re.compile(r'write\(99, "([BE]):([^"]+)"')
    call = re.compile(r"^(\d+)\s+(?:<\.\.\. (\w+) resumed>|(\w+)\()")
    current = None
    main_pid = None
    in_handler = False
    for line in text.splitlines():
        m = marker.search(line)
        pid = line.split(None, 1)[0] if line[:1].isdigit() else None
        if m:
            main_pid = pid
            current = m.group(2) if m.group(1) == "B" else None
            if current is not None:
                regions[current] = set()
            continue
        if current is None or pid != main_pid:
            continue
        if re.match(r"^\d+\s+--- SIG", line):
            in_handler = True
            continue
        c = call.match(line)
        if c is None or c.group(2):  # "+++ exited", or the rest of a call counted already
            continue
        if in_handler and c.group(3) == "rt_sigreturn":
            in_handler = False
            continue
        regions[current].add(c.group(3))
    return regions


@pytest.fixture(scope="module")
def traced(tmp_path_factory, gcc, host_libc):
    """(regions, the program) of csrc/programs/syscall_cases.c under strace."""
    require_package("strace", shutil.which("strace") is not None, "strace (the ground truth)")
    if elfdce.scan(host_libc).header.machine_name != elfdce.scan("/bin/true").header.machine_name:
        pytest.skip("the host libc is not this machine's")
    work = tmp_path_factory.mktemp("strace")
    prog = work / "syscall_cases"
    # before glibc 2.34 pthread_* are libpthread's and timer_create librt's (-lpthread, -lrt);
    # from 2.34 both archives are empty and libc has them
    subprocess.run([gcc, "-O0", "-fno-builtin", "-U_FORTIFY_SOURCE", "-Wl,-z,now", "-o", str(prog), CASES,
                    "-lm", "-lrt", "-lpthread"], check=True, timeout=300)
    scratch = work / "scratch"
    scratch.mkdir()
    trace = work / "trace"
    proc = subprocess.run(["strace", "-f", "-qq", "-e", "trace=all", "-o", str(trace),
                           str(prog), str(scratch)], capture_output=True, text=True,
                          timeout=300, cwd=work)
    if proc.returncode != 0 and "ptrace" in proc.stderr:
        pytest.skip(f"strace cannot trace here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    return strace_regions(trace.read_text()), str(prog)


def bound_pairs(prog: str) -> dict[str, tuple[str, str | None, str]]:
    """{name: (imported name, version, library soname)} of the program's imports."""
    out = {}
    for s in elfdce.scan(prog).undefined():
        if s.version is not None and s.version.needed_from:
            out[s.name] = (s.name, s.version.name, s.version.needed_from)
    return out


def test_every_syscall_strace_sees_is_in_the_footprint(traced, host, host_libc):
    regions, prog = traced
    imports = bound_pairs(prog)
    libm = footprint.find_beside(host_libc, "libm.so.6")
    from elfdce.syscalls import libc_footprint

    libs = {"libc.so.6": host, "libm.so.6": libc_footprint(libm) if libm else None}
    if not HOST_MERGED:  # before glibc 2.34 the program binds pthread_*, timer_create and the
        # cancellation points (accept, read, …) to libpthread and librt
        for soname in ("libpthread.so.0", "librt.so.1"):
            path = footprint.find_beside(host_libc, soname)
            libs[soname] = libc_footprint(path) if path else None
    checked, misses, classes_seen, beyond_known = [], [], set(), []
    for label, seen in sorted(regions.items()):
        # before glibc 2.33 stat, fstat and lstat are libc_nonshared.a's inline wrappers of
        # __xstat, __fxstat and __lxstat (the program links them in); glibc >= 2.38 binds strtol
        # & co. to their C2x forms under _GNU_SOURCE (__isoc23_strtol)
        old_stat = {"stat": "__xstat", "fstat": "__fxstat", "lstat": "__lxstat"}.get(label)
        candidates = (label, label + "64", "__" + label, "__isoc23_" + label) + (
            (old_stat,) if old_stat else ())
        name = next((n for n in candidates if n in imports), None)
        assert name is not None, f"{label}: the program imports no such function"
        _, version, soname = imports[name]
        lib = libs.get(soname)
        assert lib is not None, f"{label} comes from {soname}"
        fp = lib.lookup(name, version)
        assert fp is not None, f"{name}@{version}: no footprint in {soname}"
        checked.append(label)
        classes_seen.update(fp.classes or ("none",))
        if fp.is_pure:
            assert not seen, f"{label} is derived pure but strace saw {sorted(seen)}"
        extra = set(seen) - set(fp.syscalls)
        if extra and fp.unknown:  # what it could not follow (a stdio vtable …) did it
            beyond_known.append(f"{label}: {sorted(extra)} through {fp.unknown[0]}")
        elif extra:
            misses.append(f"{label}: strace saw {sorted(extra)} beyond {fp.syscalls}")
    assert not misses, "\n".join(misses)
    assert len(checked) >= 50, checked
    # a footprint with unknown reasons covers what it could not follow; most are exact
    print(f"{len(checked)} functions checked; beyond the known part of an unknown footprint: "
          f"{beyond_known}")
    assert len(beyond_known) <= len(checked) // 10, beyond_known
    assert {"fd", "socket", "time", "sleep", "signal", "process", "memory", "identity",
            "none"} <= classes_seen, classes_seen
    # the regions are real: the functions that must make a syscall made it
    for label, call in (("read", "read"), ("socket", "socket"), ("nanosleep", None),
                        ("getpid", "getpid"), ("mmap", "mmap"), ("getuid", "getuid")):
        assert regions[label] and (call is None or call in regions[label]), (label, regions[label])
    for label in PURE:
        assert label in regions and not regions[label], (label, regions.get(label))


def test_the_strace_parser_attributes_signals_to_the_handler():
    text = ('5 write(99, "B:raise", 7) = -1 EBADF\n5 tgkill(5, 5, SIGUSR1) = 0\n'
            "5 --- SIGUSR1 {si_signo=SIGUSR1} ---\n5 rt_sigreturn({mask=[]}) = 0\n"
            '6 exit_group(0) = ?\n5 wait4(6,  <unfinished ...>\n5 <... wait4 resumed>) = 6\n'
            '5 write(99, "E:raise", 7) = -1 EBADF\n5 getpid() = 5\n')
    assert strace_regions(text) == {"raise": {"tgkill", "wait4"}}


# --- known facts, on this machine's glibc ----------------------------------------------------------


def known_facts(lib: footprint.LibraryFootprint) -> None:
    """What holds in every glibc elfdce supports."""
    nanosleep = lib.lookup("clock_nanosleep")
    assert nanosleep is not None and "clock_nanosleep" in nanosleep.syscalls
    assert {"sleep"} <= set(nanosleep.classes), nanosleep
    for name in PURE:
        fp = lib.lookup(name)
        assert fp is not None and fp.is_pure and fp.classes == (), (name, fp)
    for name, call in (("socket", "socket"), ("accept4", "accept4"), ("getpid", "getpid"),
                       ("mmap", "mmap"), ("kill", "kill"), ("getuid", "getuid")):
        fp = lib.lookup(name)
        assert fp is not None and call in fp.syscalls, (name, fp)
        assert classes.class_of(call) in fp.classes
    assert "socket" in lib.lookup("accept4").classes
    clock = lib.lookup("clock_gettime")
    assert clock.vdso and "clock_gettime" in clock.syscalls and "time" in clock.classes
    number = lib.lookup("syscall")  # its number is the caller's: unknown, never pure
    assert number is not None and number.unknown and not number.is_pure
    fps = list(lib.by_pair.values())
    assert sum(fp.is_pure for fp in fps) > 100
    assert sum(bool(fp.unknown) for fp in fps) > 10  # callbacks (qsort's comparator …)


def test_known_facts_hold_on_this_machines_libc(host):
    known_facts(host)
    qsort = host.lookup("qsort")
    # the comparator: called through qsort's argument, or (glibc 2.37 on, qsort calling qsort_r's
    # code) through a pointer qsort_r received
    assert any("argument" in r or "(in qsort_r)" in r for r in qsort.unknown), qsort
    assert host.lookup("read").syscalls[-1] == "read"


def test_libm_and_ld_so_are_taken_too(host_libc):
    from elfdce.syscalls import libc_footprint

    libm = footprint.find_beside(host_libc, "libm.so.6")
    if libm is None:
        pytest.skip("no libm.so.6 beside the host libc")
    lib = libc_footprint(libm)
    assert lib.lookup("sin").is_pure and lib.lookup("floor").is_pure
    ld = next((footprint.find_beside(host_libc, n) for n in elfdce.scan(host_libc).needed
               if n.startswith("ld-")), None)
    assert ld is not None
    assert libc_footprint(ld).by_pair


@pytest.mark.parametrize("suite", SUITES)
def test_other_glibc_builds(suite):
    path = other_libc(suite)
    if path is None:
        pytest.skip(f"{suite}'s glibc is not in {GLIBC_CACHE} (scripts/fetch-glibcs fetches it)")
    if suite == host_suite():
        pytest.skip(f"{suite} is this machine's release")
    from elfdce.syscalls import libc_footprint

    start = time.perf_counter()
    lib = libc_footprint(path)
    took = time.perf_counter() - start
    known_facts(lib)
    print(f"{suite}: {summary_line(lib)}; derived in {took:.1f} s")
    assert took < 60


@pytest.mark.skipif(not os.path.exists(CROSS_LIBC),
                    reason="no aarch64 cross libc here (libc6-arm64-cross)")
def test_the_aarch64_cross_libc():
    from elfdce.syscalls import libc_footprint

    lib = libc_footprint(CROSS_LIBC)
    assert lib.machine == "aarch64"
    known_facts(lib)
    # svc #0 with x8: the numbers are aarch64's, not x86_64's
    assert lib.lookup("read").syscalls and "read" in lib.lookup("read").syscalls
    print(f"aarch64: {summary_line(lib)}")


def aarch64_libcs() -> list:
    """Every aarch64 libc at hand: the cross libc, those of scripts/roots' Debian roots (their
    libc6-arm64-cross: 2.31, 2.41, the newest) and $ELFDCE_AARCH64_LIBCS (paths, os.pathsep
    between), each with its ld.so beside it; the absent ones skipped."""
    roots = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                         "elfdce", "roots")
    candidates = [("cross", CROSS_LIBC)]
    candidates += [(f"{suite}-root", os.path.join(roots, suite, CROSS_LIBC.lstrip("/")))
                   for suite in SUITES]
    extra = os.environ.get("ELFDCE_AARCH64_LIBCS", "")
    candidates += [(f"env{i}", p) for i, p in enumerate(extra.split(os.pathsep)) if p]
    return [pytest.param(path, id=name, marks=() if os.path.isfile(path) else pytest.mark.skip(
        reason=f"no aarch64 libc at {path}")) for name, path in candidates]


# roots' paths taken before own_cache points XDG_CACHE_HOME at the session's cache
AARCH64_LIBCS = aarch64_libcs()


@pytest.mark.parametrize("path", AARCH64_LIBCS)
def test_every_aarch64_libc(path):
    """known_facts, and the vDSO slots ld.so fills found (glibc 2.41 on keeps
    _rtld_global_ro's page in a register from early in dl_main)."""
    from elfdce.syscalls import libc_footprint

    lib = libc_footprint(path)
    assert lib.machine == "aarch64"
    known_facts(lib)
    for name in ("clock_gettime", "clock_getres", "gettimeofday", "time"):
        fp = lib.lookup(name)
        assert fp.vdso and not any("_rtld_global_ro" in r for r in fp.unknown), (name, fp)


def summary_line(lib: footprint.LibraryFootprint) -> str:
    from elfdce.cli.syscalls import summary

    return ", ".join(f"{k} {v}" for k, v in summary(lib).items())


# --- the cache -------------------------------------------------------------------------------------


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty cache directory of the test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def small_glibc_library(tmp_path, host_libc, fresh_cache):
    """A copy of the host's ld.so (a glibc library, quick to analyse), and an empty cache."""
    ld = next((footprint.find_beside(host_libc, n) for n in elfdce.scan(host_libc).needed
               if n.startswith("ld-")), None)
    if ld is None:
        pytest.skip("no ld.so beside the host libc")
    copy = tmp_path / "ld.so"
    shutil.copy(ld, copy)
    return str(copy)


def test_the_cache_is_read_instead_of_disassembling(small_glibc_library, monkeypatch):
    from elfdce.syscalls import cache, libc_footprint

    first = libc_footprint(small_glibc_library)
    assert not first.from_cache
    entry = cache.entry_path(small_glibc_library)
    assert os.path.isfile(entry) and entry.startswith(cache.directory())

    def no_analysis(*_args, **_kwargs):
        raise AssertionError("disassembled again")

    monkeypatch.setattr(footprint.Analysis, "run", no_analysis)
    monkeypatch.setattr(footprint.flow, "analyse", no_analysis)
    second = libc_footprint(small_glibc_library)
    assert second.from_cache and second.by_pair == first.by_pair
    assert second.defaults == first.defaults and second.build_id == first.build_id
    assert second.exceptional == first.exceptional
    with pytest.raises(AssertionError, match="disassembled again"):
        libc_footprint(small_glibc_library, use_cache=False)


def test_a_corrupt_cache_entry_is_rebuilt(small_glibc_library):
    from elfdce.syscalls import cache, libc_footprint

    first = libc_footprint(small_glibc_library)
    entry = cache.entry_path(small_glibc_library)
    for damage in (b"{not json", b"", json.dumps({"format": "elfdce-syscalls"}).encode(),
                   json.dumps({**json.load(open(entry)), "analysis": -1}).encode()):
        with open(entry, "wb") as f:
            f.write(damage)
        again = libc_footprint(small_glibc_library)
        assert not again.from_cache and again.by_pair == first.by_pair
        assert json.load(open(entry))["format"] == "elfdce-syscalls"  # written anew
        assert libc_footprint(small_glibc_library).from_cache


def test_another_build_id_is_another_entry(small_glibc_library, tmp_path):
    from elfdce.elf.image import Image, build_id
    from elfdce.syscalls import cache, libc_footprint

    lib = libc_footprint(small_glibc_library)
    bid = lib.build_id
    assert bid and bid == build_id(Image(elfdce.scan(small_glibc_library)))
    data = bytearray(open(small_glibc_library, "rb").read())
    at = data.find(bytes.fromhex(bid))
    assert at > 0
    data[at] ^= 0xFF  # the same code, another build-id
    other = tmp_path / "other-ld.so"
    other.write_bytes(bytes(data))
    lib2 = libc_footprint(str(other))
    assert not lib2.from_cache and lib2.build_id != bid
    assert cache.entry_path(str(other)) != cache.entry_path(small_glibc_library)
    assert os.path.isfile(cache.entry_path(str(other)))
    assert os.path.isfile(cache.entry_path(small_glibc_library))
    assert lib2.by_pair == lib.by_pair


def test_built_once_then_read_fast(host_libc, fresh_cache):
    """Cold: derived (seconds); warm: read back (a few hundredths), and `elfdce syscalls NAME`
    from a warm cache stays well under a second for the whole process."""
    from elfdce.syscalls import libc_footprint

    start = time.perf_counter()
    cold = libc_footprint(host_libc)
    cold_time = time.perf_counter() - start
    start = time.perf_counter()
    warm = libc_footprint(host_libc)
    warm_time = time.perf_counter() - start
    assert warm.from_cache and not cold.from_cache and warm.by_pair == cold.by_pair
    start = time.perf_counter()
    proc = run_cli("syscalls", "--libc", host_libc, "read", "strlen",
                   env=dict(os.environ))
    cli_time = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr
    print(f"cold {cold_time:.2f} s, warm {warm_time * 1000:.0f} ms, "
          f"warm CLI {cli_time * 1000:.0f} ms")
    assert cold_time < 30
    assert warm_time < 0.25 and cli_time < 1.0


# --- the command line ------------------------------------------------------------------------------


def test_cli_names_summary_and_json(host_libc):
    proc = run_cli("syscalls", "--libc", host_libc, "read", "strlen")
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^read@@\S+: .*fd", proc.stdout, re.M), proc.stdout
    assert re.search(r"^strlen@@?\S+: pure$", proc.stdout, re.M), proc.stdout
    proc = run_cli("syscalls", "--libc", host_libc)
    assert proc.returncode == 0 and "exported functions" in proc.stdout
    assert re.search(r"^  pure: \d+$", proc.stdout, re.M)
    for args in (("read", "clock_gettime"), ("--summary",), ()):
        proc = run_cli("syscalls", "--libc", host_libc, "--json", *args)
        assert proc.returncode == 0, proc.stderr
        doc = json.loads(proc.stdout)
        jsonschema.validate(doc, schema())
        assert doc["summary"]["functions"] == len(doc["functions"]) or args
    doc = json.loads(run_cli("syscalls", "--libc", host_libc, "--json", "clock_gettime").stdout)
    (fn,) = doc["functions"]
    assert fn["vdso"] and "time" in fn["classes"] and fn["default"]


def test_cli_diff(host_libc):
    # another release's glibc (the host release's own build is the host libc: no changes)
    path = next((p for p in map(other_libc, (s for s in SUITES if s != host_suite())) if p), None)
    if path is None:
        pytest.skip("no other release's glibc build fetched (scripts/fetch-glibcs)")
    proc = run_cli("syscalls", "--libc", host_libc, "--diff", host_libc)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("no changes"), proc.stdout
    proc = run_cli("syscalls", "--libc", host_libc, "--diff", path)
    assert proc.returncode == 1, proc.stderr
    assert re.search(r"^(added|removed|changed) ", proc.stdout, re.M)
    proc = run_cli("syscalls", "--libc", host_libc, "--diff", path, "--json")
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, schema())
    assert doc["changes"] and doc["old"]["path"] == path


@pytest.mark.parametrize("case", ["text", "not-glibc", "machine", "truncated", "missing",
                                  "name", "diff"])
def test_bad_input_is_one_line_and_status_2(case, tmp_path, host_libc):
    args = ["syscalls", "--libc"]
    if case == "text":
        (tmp_path / "f").write_text("hello\n")
        args.append(str(tmp_path / "f"))
    elif case == "not-glibc":
        args.append("/bin/true")
    elif case == "machine":  # the host libc claiming to be a RISC-V file
        data = bytearray(open(host_libc, "rb").read())
        data[18:20] = (243).to_bytes(2, "little" if data[5] == 1 else "big")
        (tmp_path / "libc.so.6").write_bytes(bytes(data))
        args.append(str(tmp_path / "libc.so.6"))
    elif case == "truncated":
        (tmp_path / "libc.so.6").write_bytes(open(host_libc, "rb").read()[:200])
        args.append(str(tmp_path / "libc.so.6"))
    elif case == "missing":
        args.append(str(tmp_path / "absent"))
    elif case == "name":
        args += [host_libc, "no_such_function_here"]
    else:
        args += [host_libc, "--diff", "/bin/true"]
    proc = run_cli(*args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("elfdce syscalls: "), proc.stderr
    assert "Traceback" not in proc.stderr
    named = {"name": "no_such_function_here", "diff": "/bin/true", "not-glibc": "/bin/true"}
    assert named.get(case, str(tmp_path)) in lines[0]
    if case == "machine":
        assert "x86_64 and aarch64" in lines[0]


# --- the tables ----------------------------------------------------------------------------------


@pytest.mark.parametrize("arch", sorted(NAMES))
def test_the_syscall_table_is_the_kernel_headers(arch):
    """numbers.py is generated from the UAPI headers (`python -m elfdce.syscalls.gentable`,
    from the newest at hand: sid's); where headers are installed here they must agree: the same
    name for every number both have; headers of a kernel no newer than the table's name nothing
    it lacks, and headers no older name everything it has (numbers fill gaps: x86_64's 335,
    uretprobe, came with 6.11)."""
    from elfdce.syscalls.numbers import KERNEL

    headers = gentable.from_headers(arch)
    if headers is None:
        pytest.skip(f"no {arch} syscall header here ({', '.join(gentable.HEADERS[arch])})")
    here = gentable.kernel_version(gentable.header_path(arch) or "")
    table = NAMES[arch]
    common = set(headers) & set(table)
    assert len(common) > 250
    assert {n: headers[n] for n in common} == {n: table[n] for n in common}
    assert here is not None and KERNEL[arch] is not None
    if here <= KERNEL[arch]:
        assert set(headers) <= set(table), f"headers of {here} name numbers the table lacks"
    if here >= KERNEL[arch]:
        assert set(table) <= set(headers), f"regenerate numbers.py from the headers of {here}"
    assert table[{"x86_64": 0, "aarch64": 63}[arch]] == "read"


def test_the_table_generator_evaluates_the_preprocessor():
    text = """#define __NR_a 1
#if __BITS_PER_LONG == 64 && !defined(__SYSCALL_COMPAT)
#define __NR3264_b 2
#define __NR_b __NR3264_b
#else
#define __NR_b64 __NR3264_b
#endif
#ifdef __ARCH_WANT_X
#define __NR_x 3
#endif
#ifndef __ARCH_WANT_X
#define __NR_y 4
#endif
#undef __NR_syscalls
#define __NR_syscalls 5
"""
    assert gentable.parse(text, {"__BITS_PER_LONG": "64"}) == {1: "a", 2: "b", 4: "y"}
    assert gentable.parse(text, {"__BITS_PER_LONG": "32", "__ARCH_WANT_X": "1"}) == {
        1: "a", 3: "x"}


def test_every_syscall_has_one_class():
    for arch, table in NAMES.items():
        for name in table.values():
            assert classes.class_of(name) in classes.CLASSES, (arch, name)
    assert [classes.class_of(n) for n in (
        "read", "accept4", "clock_gettime", "clock_nanosleep", "rt_sigaction", "futex",
        "mmap", "getuid", "uname", "sysinfo", "statx", "epoll_pwait2", "timer_create")] == [
        "fd", "socket", "time", "sleep", "signal", "process", "memory", "identity",
        "identity", "other", "fd", "fd", "time"]
    assert classes.classes_of(("read", "write"), unknown=True) == ("fd", "unknown")


def test_direct_footprints_name_what_a_function_does_itself(host_libc):
    """`Footprint.direct`: a wrapper's own system call, posix_spawn's clone; not the deep,
    rare paths the closure allows (snprintf's stdio error paths)."""
    from elfdce.syscalls import libc_footprint

    lib = libc_footprint(host_libc)
    assert "clock_nanosleep" in lib.lookup("clock_nanosleep").direct
    assert {"clone", "clone3"} & set(lib.lookup("posix_spawn").direct)
    assert "pipe2" in lib.lookup("pipe2").direct
    assert set(lib.lookup("snprintf").direct) <= {"futex"}
    for name in ("clock_nanosleep", "posix_spawn", "snprintf", "getaddrinfo"):
        fp = lib.lookup(name)
        assert set(fp.direct) <= set(fp.syscalls), name


# --- the data-flow terminates -------------------------------------------------------------------

# A jump target spilled to a stack slot that a loop then increments (bullseye's aarch64
# __vfscanf_internal reuses the slot as a buffer pointer): the values of the slot are the
# target moved by 1, 2, 3 …, a chain without end that the fixpoint must cut.
_MOVING_TARGET = {
    # adr x1, .; ldrb w0, [x1, w2, uxtw]; adr x3, 0x102c; add x0, x3, w0, sxtb #2;
    # str x0, [sp, #16]; loop: ldr x0, [sp, #16]; add x1, x0, #1; str x1, [sp, #16];
    # mov x8, #0x3f; svc #0; cbnz w4, loop; ret
    "aarch64": ("0100001020486238230100106088208be00b00f9e00b40f901040091e10b00f9e80780d2"
                "010000d464ffff35c0035fd6", 63),
    # lea rax, [rip + table]; movsxd rdx, dword ptr [rax + rcx*4]; add rdx, rax;
    # mov [rsp - 8], rdx; loop: mov rax, [rsp - 8]; lea rdx, [rax + 1]; mov [rsp - 8], rdx;
    # mov eax, 0x27; syscall; test esi, esi; jne loop; ret; table: .long 0
    "x86_64": ("488d0526000000486314884801c248895424f8488b4424f8488d500148895424f8b8270000"
               "000f0585f675e7c300000000", 0x27),
}


@pytest.mark.parametrize("arch", sorted(_MOVING_TARGET))
def test_the_data_flow_terminates_on_a_moving_jump_target(arch):
    import signal

    from elfdce.syscalls import flow

    code, number = _MOVING_TARGET[arch]
    raw = bytes.fromhex(code)
    start = 0x1000
    insns = list(footprint._engine(arch).disasm_lite(raw, start))
    if arch == "x86_64":
        insns = insns[:-1]  # (the table)

    def too_long(*_):
        raise TimeoutError("the data-flow did not reach its fixpoint")

    old = signal.signal(signal.SIGALRM, too_long)
    signal.setitimer(signal.ITIMER_REAL, 20)
    try:
        t = time.time()
        result = flow.analyse(flow.semantics_for(arch), insns, start, start + len(raw),
                              read=lambda a, n: raw[a - start : a - start + n]
                              if start <= a < start + len(raw) else None)
        took = time.time() - t
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert took < 2
    # what does not move keeps its value
    assert [v for _, v in result.syscalls] == [frozenset({number})]
