"""`elfdce dce prepare` on elfdce's own DCE-shaped tree (tests/dcetree: ns-3-dce's build protocol,
table macros, hand-written functions, weak aliases, data objects, prefix maps and a simulator side
filling the table), built for real with waf, its libraries checked against the host with readelf
and the real loader, and its simulator stand-in run."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys

import pytest
import test_version_maps
from conftest import HOST_MERGED, compile_c, run_cli
from test_version_maps import LD_SO, trace

import elfdce
from elfdce.dce.glue import check_exports
from elfdce.dce.host import load_host
from elfdce.glibc.libs import FIVE

pthread_231_program = test_version_maps.pthread_231_program  # the fixture, shared
old_versions_program = test_version_maps.old_versions_program
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "tests", "dcetree")
WAF = [sys.executable, os.path.join(ROOT, "tests", "waf_driver.py")]
EDITED = ("wscript", "model/libc-ns3.h", "model/elf-cache.cc", "model/dce-manager.cc",
          "model/libc-dce.cc", "model/libc.cc", "waf-tools/clang_compilation_database.py")


cli = run_cli


def waf(tree: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*WAF, *args], cwd=tree, capture_output=True, text=True, timeout=600)


def copy_fixture(dest: str) -> str:
    """The fixture as a tree: its build script is stored as build-script.py and its ns3waf
    stand-in as module_helper.py (elfdce's own files, named so that nothing mistakes them for
    ns-3's), and become wscript and ns3waf/ here."""
    shutil.copytree(FIXTURE, dest, ignore=shutil.ignore_patterns("build", ".lock-waf*"))
    os.rename(os.path.join(dest, "build-script.py"), os.path.join(dest, "wscript"))
    os.makedirs(os.path.join(dest, "ns3waf"))
    os.rename(os.path.join(dest, "module_helper.py"), os.path.join(dest, "ns3waf", "__init__.py"))
    return dest


def digest(tree: str) -> dict[str, str]:
    out = {}
    for d, dirs, files in os.walk(tree):
        dirs[:] = [x for x in dirs if x != "build" and not x.startswith(".")]
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, tree)] = hashlib.sha256(fh.read()).hexdigest()
    return out


@pytest.fixture
def tree(tmp_path) -> str:
    return copy_fixture(str(tmp_path / "dce"))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> str:
    """The fixture tree prepared and built with waf (configure with no --with-glibc)."""
    dest = copy_fixture(str(tmp_path_factory.mktemp("dcebuild") / "dce"))
    r = cli("dce", "prepare", dest)
    assert r.returncode == 0, r.stderr
    for step in ("configure", "build"):
        r = waf(dest, step)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return dest


def test_the_unprepared_tree_fails_as_dce_does(tree):
    r = waf(tree, "configure")
    assert r.returncode != 0
    assert "abspath" in r.stdout + r.stderr  # os.path.abspath(None): --with-glibc is mandatory


def test_dry_run_shows_a_diff_and_changes_nothing(tree):
    before = digest(tree)
    r = cli("dce", "prepare", "--dry-run", tree)
    assert r.returncode == 0, r.stderr
    assert digest(tree) == before
    for rel in EDITED:
        assert f"--- a/{rel}\n+++ b/{rel}\n" in r.stdout
    edits_diff, _, loader = r.stdout.partition("--- /dev/null\n")
    assert "+++ b/elfdce_dce/__init__.py" in loader
    lines = edits_diff.splitlines()
    added = [ln for ln in lines if ln.startswith("+") and not ln.startswith("+++")]
    removed = [ln for ln in lines if ln.startswith("-") and not ln.startswith("---")]
    # replaced: <termio.h>, DCE's __sprintf_chk signature, the import of `pipes`, the
    # dcemakeversion rule (files in sorted order)
    assert removed[:3] == ["-#include <termio.h>",
                           "-int __sprintf_chk (char *s, int len, const char *f, ...)",
                           "-import sys, os, json, shlex, pipes"], removed
    assert len(removed) == 4 and "dcemakeversion" not in removed[3] and "SRC[0]" in removed[3]
    edits = [ln for ln in added if "elfdce dce prepare" in ln]
    # each marked; three #includes and <sys/ioctl.h>, two more lines each
    assert len(edits) == 14 and len(added) == 19, added


def test_prepare_check_idempotence_and_undo(tree):
    pristine = digest(tree)
    assert cli("dce", "prepare", "--check", tree).returncode == 1
    r = cli("dce", "prepare", tree)
    assert r.returncode == 0, r.stderr
    assert ("prepared (model/dce-manager.cc, model/elf-cache.cc, model/libc-dce.cc, "
            "model/libc-ns3.h, model/libc.cc, waf-tools/clang_compilation_database.py, "
            "wscript)") in r.stdout
    # the footprint's report: what the fixture's small table leaves to the host that waits there
    assert "host functions DCE does not implement are forwarded to the host and leave the " \
           "simulation there: " in r.stdout
    assert cli("dce", "prepare", "--check", tree).returncode == 0
    once = digest(tree)
    r = cli("dce", "prepare", tree)
    assert r.returncode == 0 and "edits already in place" in r.stdout
    assert digest(tree) == once
    # a hand edit of a prepared file is seen by --check, and prepare puts it back
    with open(os.path.join(tree, "wscript"), "a") as f:
        f.write("# hand edit\n")
    assert cli("dce", "prepare", "--check", tree).returncode == 1
    assert cli("dce", "prepare", tree).returncode == 0
    assert digest(tree) == once
    # a stale host file is seen too
    gen = os.path.join(tree, "elfdce_dce", "gen", "libc-ns3-host.h")
    with open(gen, "a") as f:
        f.write("/* stale */\n")
    r = cli("dce", "prepare", "--check", tree)
    assert r.returncode == 1 and "libc-ns3-host.h: not current" in r.stderr
    r = cli("dce", "prepare", "--undo", tree)
    assert r.returncode == 0, r.stderr
    assert digest(tree) == pristine
    assert not os.path.exists(os.path.join(tree, "elfdce_dce"))
    assert cli("dce", "prepare", "--check", tree).returncode == 1


def test_trees_it_does_not_know_are_refused(tree, tmp_path):
    r = cli("dce", "prepare", str(tmp_path / "nowhere"))
    assert r.returncode == 2 and "not a directory" in r.stderr
    os.unlink(os.path.join(tree, "model", "elf-cache.cc"))
    r = cli("dce", "prepare", tree)
    assert r.returncode == 2 and "model/elf-cache.cc is missing" in r.stderr
    assert "Traceback" not in r.stderr
    shutil.copy(os.path.join(FIXTURE, "model", "elf-cache.cc"), os.path.join(tree, "model"))
    path = os.path.join(tree, "wscript")
    text = open(path).read().replace("dcemakeversion", "mkmaps").replace("${SRC[0]", "${SRC[9]")
    with open(path, "w") as f:
        f.write(text)
    r = cli("dce", "prepare", "--dry-run", tree)
    assert r.returncode == 2 and "no the rule running dcemakeversion" in r.stderr


def readelf_pairs(path: str) -> set[str]:
    out = subprocess.run(["readelf", "--dyn-syms", "-W", path], capture_output=True, text=True,
                         check=True).stdout
    pairs = set()
    for line in out.splitlines():
        m = re.match(r"\s*\d+:\s+\S+\s+\d+\s+(\S+)\s+(\S+)\s+\S+\s+(\S+)\s+(\S+@\S+)", line)
        if m and m.group(3) != "UND" and m.group(3) != "ABS":
            pairs.add(m.group(4).split(" ")[0])
    return pairs


def test_built_libraries_export_every_host_pair_with_its_default(built):
    host = load_host()
    for lib in FIVE:
        path = os.path.join(built, "build", "lib", f"{lib.key}-ns3.so")
        host_lib = host.library(lib.key)
        assert host_lib is not None
        check = check_exports(elfdce.scan(path), host_lib.exports)
        assert check.ok, (check.missing[:5], check.extra[:5], check.double_defaults[:5])
        mine = readelf_pairs(path)  # readelf is the oracle for what the file exports
        theirs = {p for p in readelf_pairs(host_lib.path) if "_version_placeholder" not in p}
        assert mine - {p for p in mine if p.endswith("@@NS3")} == theirs, lib.key
        defaults = {}
        for p in mine:
            if "@@" in p:
                name = p.split("@@")[0]
                assert name not in defaults, f"{name} has two defaults"
                defaults[name] = p
    libc = readelf_pairs(os.path.join(built, "build", "lib", "libc-ns3.so"))
    if HOST_MERGED:  # glibc >= 2.34: libc's, with a new default and the old pair kept
        assert "pthread_create@@GLIBC_2.34" in libc and "pthread_create@GLIBC_2.2.5" in libc
        assert "pthread_key_create@GLIBC_2.2.5" in libc  # the weak DCE_WITH_ALIAS name
    else:  # before: libpthread's, at its one version
        pthread = readelf_pairs(os.path.join(built, "build", "lib", "libpthread-ns3.so"))
        assert not any(p.startswith("pthread_create@") for p in libc)
        assert "pthread_create@@GLIBC_2.2.5" in pthread
        assert "pthread_key_create@@GLIBC_2.2.5" in pthread  # the weak DCE_WITH_ALIAS name
    assert "libc_setup@@NS3" in libc


def run_simulator(built: str, libs: str) -> dict[str, str]:
    out = subprocess.run([os.path.join(built, "build", "bin", "simulator"), libs],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    return dict(line.split("=", 1) for line in out.stdout.splitlines())


def assert_routed(got: dict[str, str]) -> None:
    assert got["getpid"] == "4242"  # a DCE entry
    assert got["__getpid"] == "4242"  # a host alias of a DCE-class function: DCE's too
    assert got["strlen"] == "5"  # NATIVE
    assert got["strverscmp"] == "1 host=1"  # a host function the table lacks: completed
    assert got["snprintf"] == "x=42"  # written by hand in libc.cc
    assert got["memcpy@GLIBC_2.2.5"] == "aabcde"  # the host's old memcpy (memmove), by version
    assert got["clock_gettime"] == "1000000000" and got["rand"] == "7"  # EXPLICIT, DCET
    assert got["pthread_create@GLIBC_2.2.5"] == "dce"  # a compat pair of a DCE name
    assert got["stdout"] == "handed" and got["environ"] == "DCE=1"  # the data handover
    assert got["cbrt"] == "3"  # libm's completion
    # socket's slot overridden: DCE's refuses SOCK_CLOEXEC, the adapter applies it with fcntl
    assert got["socket(SOCK_CLOEXEC)"] == "cloexec"
    # an option DCE does not know succeeds with nothing written: zeros, not the caller's memory
    assert got["getsockopt"] == "0 104 zeros, SO_TYPE SOCK_DGRAM"
    assert got["clock_nanosleep@GLIBC_2.17"] == "dce"  # a successor adapter: sleeps in DCE
    assert got["__read_chk"] == "dce"  # a fortified form over DCE's read
    assert got["__sprintf_chk"] == "y=5"  # DCE's hand-written one, given glibc's signature
    # the program's memory stays on DCE's heap when a host successor or NATIVE entry grows it
    assert got["reallocarray"] == "dce"  # glibc >= 2.26: every glibc prepare supports
    assert got["getline"] == "4 dce"  # a NATIVE entry overridden
    if load_host().glibc_version() >= (2, 33):
        assert got["stat@GLIBC_2.33"] == "dce" and got["fstat@GLIBC_2.33"] == "dce"
    # epoll and eventfd emulated over DCE's poll and pipes (libuv: bind's dig and host): an
    # idle wait, EAGAIN from an empty non-blocking counter, 3 + 2 written, one readable event
    # with the registered data, the counter read whole, and nothing ready after
    assert got["epoll"] == ("1 1 0 idle=0 eventfd=-1 EAGAIN ready=1 data=77 in=1 counter=8 5 "
                            "after=0 dce=poll, pipes")
    assert got["epoll_ctl(EEXIST)"] == "1"
    # EPOLLET on an eventfd: an event for a write, none after it though the counter is unread
    # (libuv 1.53 never reads its async eventfd: sid's dig spun at one simulated instant), one
    # for two writes while waiting; the counter keeps all three
    assert got["epoll(EPOLLET)"] == "1 data=88 0 1 0 counter=8 3 then=EAGAIN"
    assert got["close"] == "4 (each one a pipe, two ends: the eventfd by close, the epoll by syscall)"
    # a signal the process blocked and sends itself is sigwait's; another one is DCE's kill
    assert got["sigwait"] == "0 15 kill=pending, then DCE's for SIGUSR1"
    assert got["getpeername"] == "-1 ENOTCONN"  # DCE's -1 without an errno
    # pthread barriers over DCE's mutex and condition variable (bind 9.20's libisc: the host's
    # blocked a fiber's thread and the simulator stood still): count 0 refused, two parties, one
    # serial; made and destroyed with DCE's (mutex and cond init, broadcast, both destroyed)
    assert got["pthread_barrier"] == "EINVAL 0 serial=1 zero=1 0 dce=5"
    # a futex wait of syscall (liburcu's): EAGAIN for another value, else one wait in DCE's poll
    # (simulated time), returned as a wake-up; a wake returns at once
    assert got["futex"] == "-1 EAGAIN 0 0 polls=1"
    # started again once, with static TLS for the libraries DCE dlopens (other test below)
    assert got["GLIBC_TUNABLES"].endswith("glibc.rtld.optional_static_tls=16384") or (
        load_host().glibc_version() < (2, 32) or "ELFDCE_STATIC_TLS" in os.environ
        or "optional_static_tls" in os.environ.get("GLIBC_TUNABLES", ""))
    # a process whose waits return at once, again and again at one simulated instant (iperf3's
    # client selecting on its writable stream until the test starts), gets simulated time: every
    # 100 such returns in a row, DCE's nanosleep for 100 us first. Waits that wait are not paced.
    assert got["select(waiting)"] == "0 pauses 1000 waits 1000000000 ns"
    assert got["select(alternating)"] == "0 pauses 1000 waits 500000000 ns"
    assert got["select(spinning)"] == "9 pauses 1000 waits 900000 ns"
    assert got["poll(spinning)"] == "9 pauses 1000 waits 900000 ns"
    assert got["pselect(spinning)"] == "9 pauses 1000 waits 900000 ns"  # the adapter's too


def test_simulator_stand_in_gets_every_kind_of_slot_routed(built):
    assert_routed(run_simulator(built, os.path.join(built, "build", "lib")))


@pytest.fixture(scope="module")
def dce_shims(built, tmp_path_factory) -> str:
    """elfdce's shims in the fixture's ABI (`shim build --abi dce`)."""
    out = str(tmp_path_factory.mktemp("dceshims"))
    r = cli("shim", "build", "--abi", "dce", "--dce", built, "--all", "-o", out)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "struct Libc:" in r.stdout and "0 host pairs left out" in r.stdout
    return out


def test_dce_abi_shims_take_the_place_of_the_trees_libraries(built, dce_shims):
    assert_routed(run_simulator(built, dce_shims))
    host = load_host()
    for lib in FIVE:
        path = os.path.join(dce_shims, f"{lib.key}-ns3.so")
        elf = elfdce.scan(path)
        assert not list(elf.undefined()) or all(not s.name for s in elf.undefined())
        host_lib = host.library(lib.key)
        mine = readelf_pairs(path)
        theirs = {p for p in readelf_pairs(host_lib.path) if "_version_placeholder" not in p}
        assert mine - {f"{lib.setup}@@NS3"} == theirs, lib.key
        assert check_exports(elf, host_lib.exports).ok


def test_dce_abi_shim_builds_are_deterministic(built, tmp_path):
    outs = []
    for n in ("a", "b"):
        out = str(tmp_path / n / "libc-ns3.so")
        r = cli("shim", "build", "--abi", "dce", "--dce", built, "--lib", "libc", "-o", out)
        assert r.returncode == 0, r.stderr
        outs.append(open(out, "rb").read())
    assert outs[0] == outs[1]


def test_dce_abi_needs_a_prepared_tree(tree, tmp_path):
    r = cli("shim", "build", "--abi", "dce", "--dce", tree, "--all", "-o", str(tmp_path))
    assert r.returncode == 2 and "not prepared" in r.stderr and "Traceback" not in r.stderr
    r = cli("shim", "build", "--abi", "dce", "--all", "-o", str(tmp_path))
    assert r.returncode == 2 and "--dce" in r.stderr


def soname_dir(libs: str, dest: str) -> str:
    os.makedirs(dest, exist_ok=True)
    for lib in FIVE:
        shutil.copy(os.path.join(libs, f"{lib.key}-ns3.so"), os.path.join(dest, lib.soname))
    return dest


PROGRAM_C = r"""
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
static void *run(void *a) { return a; }
int main(int argc, char **argv) {
    struct stat st; pthread_t t;
    stat("/", &st);
    pthread_create(&t, 0, run, 0);
    printf("%d %g\n", (int) getpid(), cbrt((double) argc));
    return 0;
}
"""


@pytest.mark.skipif(not os.path.exists(LD_SO), reason="x86_64 loader")
@pytest.mark.parametrize("which", ["tree", "elfdce-dce-abi"])
def test_programs_bind_against_the_built_libraries(built, dce_shims, tmp_path, which,
                                                   pthread_231_program):
    source = os.path.join(built, "build", "lib") if which == "tree" else dce_shims
    d = soname_dir(source, str(tmp_path / "libs"))
    src = tmp_path / "prog.c"
    src.write_text(PROGRAM_C)
    prog = str(tmp_path / "prog")
    compile_c(prog, "-fPIE", "-pie", str(src), "-lm", "-lpthread")
    for program in (prog, pthread_231_program):
        out = trace(program, d)
        assert f"libc.so.6 => {d}/libc.so.6" in out
        assert "undefined symbol" not in out and "not found" not in out, out
    assert f"libpthread.so.0 => {d}/libpthread.so.0" in trace(pthread_231_program, d)


def test_loader_cache_edit_clears_pie_and_unique(built, tmp_path, gcc):
    src = tmp_path / "p.c"
    src.write_text("int main(void) { return 0; }\n")
    pie = str(tmp_path / "p")
    compile_c(pie, "-fPIE", "-pie", str(src), compiler=gcc)
    assert elfdce.scan(pie).dynamic.is_pie_flagged
    stdcxx = subprocess.run(["g++", "-print-file-name=libstdc++.so.6"], capture_output=True,
                            text=True, check=True).stdout.strip()
    copy = str(tmp_path / "libstdc++.so.6")
    shutil.copy(os.path.realpath(stdcxx), copy)
    assert any(s.bind == 10 for s in elfdce.scan(copy).symbols)
    simulator = os.path.join(built, "build", "bin", "simulator")
    for path in (pie, copy):
        subprocess.run([simulator, "edit", path], check=True, timeout=60)
    assert not elfdce.scan(pie).dynamic.is_pie_flagged
    assert not any(s.bind == 10 for s in elfdce.scan(copy).symbols)
    out = subprocess.run(["readelf", "--dyn-syms", "-W", copy], capture_output=True, text=True)
    assert " UNIQUE " not in out.stdout


def test_fix_unique_changes_only_the_bindings(tmp_path):
    stdcxx = subprocess.run(["g++", "-print-file-name=libstdc++.so.6"], capture_output=True,
                            text=True, check=True).stdout.strip()
    src = os.path.realpath(stdcxx)
    unique = subprocess.run(["readelf", "--dyn-syms", "-W", src], capture_output=True,
                            text=True).stdout.count(" UNIQUE ")
    assert unique > 0
    out = str(tmp_path / "copy.so")
    r = cli("fix-unique", src, "-o", out)
    assert r.returncode == 0 and f"{unique} STB_GNU_UNIQUE symbols made STB_GLOBAL" in r.stdout
    with open(src, "rb") as a, open(out, "rb") as b:
        x, y = a.read(), b.read()
    assert len(x) == len(y) and sum(1 for i, j in zip(x, y) if i != j) == unique
    r = cli("fix-unique", out, "--in-place")
    assert r.returncode == 0 and "no STB_GNU_UNIQUE symbols; unchanged" in r.stdout
    (tmp_path / "text").write_text("not elf\n")
    r = cli("fix-unique", str(tmp_path / "text"), "-o", out)
    assert r.returncode == 2 and "text" in r.stderr and "Traceback" not in r.stderr


def test_dce_table_is_read_as_a_policy(built):
    from elfdce.policy.host import load_policy

    policy = load_policy(os.path.join(built, "model", "libc-ns3.h"))
    names = [e.name for e in policy.table()]
    assert names[:3] == ["dce_global_variables_setup", "getpid", "__xstat"]
    assert "secure_getenv" in names


@pytest.mark.skipif(not os.path.exists(LD_SO), reason="x86_64 loader")
def test_preflight_replacements_reports_what_the_loader_misses(tmp_path, pthread_231_program):
    # replacements whose maps lost the compat pairs (dcemakeversion's maps)
    from test_version_maps import replacement

    d = str(tmp_path / "dce")
    for key in ("libc", "libpthread"):
        path = replacement(d, key, "dce")
        os.rename(path, os.path.join(d, f"{key}-ns3.so"))
        os.symlink(f"{key}-ns3.so", path)
    if HOST_MERGED:  # libc's compat pthread_create, bound by way of the libpthread stub
        program, lost = pthread_231_program, {"pthread_create@GLIBC_2.2.5"}
    else:  # pthread_create@GLIBC_2.2.5 is libpthread's default, kept: a compat pair of libc
        src = tmp_path / "old_memcpy.c"
        src.write_text('#include <string.h>\n__asm__(".symver memcpy, memcpy@GLIBC_2.2.5");\n'
                       'int main(int argc, char **argv) {\n'
                       '  char b[8]; memcpy(b, argv[0], 1); return b[0] == 0; }\n')
        program = compile_c(tmp_path / "old_memcpy", "-O0", "-fno-builtin", str(src))
        lost = {"memcpy@GLIBC_2.2.5"}
    r = cli("preflight", "--replacements", d, program)
    assert r.returncode == 1, r.stdout + r.stderr
    missing = {m.group(1) for m in re.finditer(r"^\s+(\S+)\s+missing\s", r.stdout, re.M)}
    loader = set(re.findall(r"undefined symbol: (\S+), version (\S+)", trace(program, d)))
    assert missing == {f"{n}@{v}" for n, v in loader} == lost
    assert "runs on the host" in r.stderr


@pytest.mark.skipif(not os.path.exists(LD_SO), reason="x86_64 loader")
def test_preflight_binds_a_programs_copies_like_the_loader(tmp_path, old_versions_program):
    """sys_nerr@GLIBC_2.2.5 is COPY-relocated data of the program (defined in it, at a version
    needed from libc): DCE-style maps do not list that compat pair, the loader stops with
    "undefined symbol", and preflight must say so although it is no undefined symbol."""
    from test_version_maps import replacement

    elf = elfdce.scan(old_versions_program)
    copies = {elf.symbols[r.symbol_index].label for r in elf.relocations
              if elf.relocation_kind(r) == "COPY"}
    assert "sys_nerr@GLIBC_2.2.5" in copies, copies
    assert all(s.name != "sys_nerr" for s in elf.undefined())
    d = str(tmp_path / "dce")
    for key in ("libc", "libpthread"):
        path = replacement(d, key, "dce")
        os.rename(path, os.path.join(d, f"{key}-ns3.so"))
        os.symlink(f"{key}-ns3.so", path)
    r = cli("preflight", "--replacements", d, "--json", old_versions_program)
    assert r.returncode == 1, r.stdout + r.stderr
    import json

    report = json.loads(r.stdout)
    missing = {f"{i['name']}@{i['version']}" for i in report["imports"]
               if i["verdict"] == "missing"}
    loader = {f"{n}@{v}" for n, v in
              re.findall(r"undefined symbol: (\S+), version (\S+)", trace(old_versions_program, d))}
    assert "sys_nerr@GLIBC_2.2.5" in loader and missing == loader, (missing, loader)
    assert report["verdict"] == "will not start"
    # against the exact maps the copy binds, as it does for the loader
    d = str(tmp_path / "exact")
    for key in ("libc", "libpthread"):
        path = replacement(d, key, "exact")
        os.rename(path, os.path.join(d, f"{key}-ns3.so"))
        os.symlink(f"{key}-ns3.so", path)
    assert "undefined symbol" not in trace(old_versions_program, d)
    report = json.loads(cli("preflight", "--replacements", d, "--json", old_versions_program).stdout)
    copy = [i for i in report["imports"] if i["name"] == "sys_nerr"]
    assert [i["verdict"] for i in copy] == ["DATA"], copy


def debian_build(tmp_path_factory, name: str) -> str:
    """csrc/programs/NAME.c built as Debian builds its packages: -fPIE -pie, -O2,
    _FORTIFY_SOURCE, no -rdynamic (main is no dynamic symbol)."""
    out = str(tmp_path_factory.mktemp("distprog") / name)
    return compile_c(out, "-O2", "-D_FORTIFY_SOURCE=2", "-fPIE", "-pie",
                     os.path.join(ROOT, "csrc", "programs", f"{name}.c"))


@pytest.fixture(scope="module")
def distribution_program(tmp_path_factory) -> str:
    """copy_stdio.c built as Debian builds: stdout and environ are COPY-relocated."""
    out = debian_build(tmp_path_factory, "copy_stdio")
    elf = elfdce.scan(out)
    assert elf.lookup("main") is None
    copies = {elf.symbols[r.symbol_index].name for r in elf.relocations
              if elf.relocation_kind(r) == "COPY"}
    assert "stdout" in copies and copies & {"environ", "__environ"}, copies
    return out


@pytest.mark.parametrize("which", ["tree", "elfdce-dce-abi"])
def test_a_distribution_program_starts_and_reads_what_the_simulator_writes(
        built, dce_shims, distribution_program, tmp_path, which):
    """DCE's start of a program, on the fixture: the copy edited by the loader cache, dlopened
    after the replacement libc, `main` looked up; the simulator then writes the process's stdout
    and environment (as DCE does for every later process): the program's output must reach the
    simulator's stdout for that process, and it must see the new environment."""
    libs = os.path.join(built, "build", "lib") if which == "tree" else dce_shims
    work = tmp_path / "work"
    work.mkdir()
    r = subprocess.run([os.path.join(built, "build", "bin", "simulator"), "run", libs, str(work),
                        distribution_program, "four"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1] == "main=4"  # found from the entry code, and run
    assert "hello" not in r.stdout  # not the stale copy of the host's stdout
    assert (work / "stdout").read_text() == "hello through stdout\nenviron[0]=DCE=2 argc=2\n"


@pytest.mark.parametrize("which", ["tree", "elfdce-dce-abi"])
def test_setjmp_through_the_replacements_saves_the_callers_frame(built, dce_shims, which,
                                                                 tmp_path_factory, tmp_path):
    """The tree's libc.cc trampolines, as prepare makes them, are jumps through the slot (DCE's
    __builtin_apply ones copy the caller's frame: sigsetjmp saved the copy and perl aborted)."""
    libs = os.path.join(built, "build", "lib") if which == "tree" else dce_shims
    program = debian_build(tmp_path_factory, "setjmp_copy")
    r = subprocess.run([os.path.join(built, "build", "bin", "simulator"), "run", libs,
                        str(tmp_path), program], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.splitlines()[-1] == "main=0", r.stdout + r.stderr
    assert (tmp_path / "stdout").read_text() == "siglongjmp=42\n"


def test_the_trees_trampolines_are_one_jump(built):
    libc = os.path.join(built, "build", "lib", "libc-ns3.so")
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", libc], capture_output=True,
                         text=True, check=True).stdout
    body = out.split("<strlen>:\n", 1)[1].split("\n\n", 1)[0]
    # objdump 2.35 spells the 64-bit indirect jump jmpq, 2.40 jmp
    assert re.match(r"jmpq? +\*", body.splitlines()[0].split("\t")[-1]), body



def test_a_tree_prepared_by_an_earlier_elfdce_gets_the_new_edits(tree):
    """A tree whose manifest lists only the first three files (prepare before the edits for
    distribution programs): prepare edits the others and keeps their originals; undo restores
    every file."""
    import json
    pristine = digest(tree)
    assert cli("dce", "prepare", tree).returncode == 0
    newer = ("model/dce-manager.cc", "model/libc-dce.cc", "model/libc.cc")
    orig = os.path.join(tree, "elfdce_dce", "orig")
    for rel in newer:
        shutil.copy(os.path.join(orig, rel), os.path.join(tree, rel))
        os.unlink(os.path.join(orig, rel))
    manifest = os.path.join(tree, "elfdce_dce", "manifest.json")
    with open(manifest) as f:
        data = json.load(f)
    data["edited"] = [r for r in data["edited"] if r not in newer]
    with open(manifest, "w") as f:
        json.dump(data, f)
    assert cli("dce", "prepare", "--check", tree).returncode == 1
    r = cli("dce", "prepare", tree)
    assert r.returncode == 0, r.stderr
    assert "prepared (model/dce-manager.cc, model/libc-dce.cc, model/libc.cc)" in r.stdout
    assert cli("dce", "prepare", "--check", tree).returncode == 0
    assert cli("dce", "prepare", "--undo", tree).returncode == 0
    assert digest(tree) == pristine


def test_optional_edits_are_left_out_of_a_tree_without_their_anchor(tree):
    os.unlink(os.path.join(tree, "model", "dce-manager.cc"))
    path = os.path.join(tree, "model", "libc.cc")
    with open(path) as f:
        text = f.read().replace("int __sprintf_chk (char *s, int len,",
                                "int __sprintf_chk (char *s, int flag, size_t len,")
    with open(path, "w") as f:
        f.write(text)
    r = cli("dce", "prepare", tree)
    assert r.returncode == 0, r.stderr
    assert "not applied (optional): model/dce-manager.cc: no such file" in r.stdout
    assert "not applied (optional): model/libc.cc: no DCE's `__sprintf_chk" in r.stdout
    assert "elfdce dce prepare" in open(path).read()  # its trampoline edit still applied


def test_loader_cache_names_what_dce_cannot_load(built, tmp_path, gcc):
    src = tmp_path / "p.c"
    src.write_text("int main(void) { return 0; }\n")
    simulator = os.path.join(built, "build", "bin", "simulator")
    cases = {"exec": (["-no-pie"], "not position-independent (ET_EXEC)"),
             "static-pie": (["-static-pie"], "a static PIE (its own C library, no loader)"),
             "pie": (["-fPIE", "-pie"], None)}
    for name, (flags, said) in cases.items():
        prog = compile_c(tmp_path / name, *flags, str(src), compiler=gcc)
        r = subprocess.run([simulator, "edit", prog], capture_output=True, text=True, timeout=60)
        if said is None:
            assert r.stderr == "", r.stderr
        else:
            assert r.stderr == (f"elfdce: {prog}: {said}; DCE loads only dynamically linked "
                                "position-independent programs (built with -fPIE -pie)\n")


@pytest.mark.parametrize("which", ["tree", "elfdce-dce-abi"])
def test_a_librarys_data_the_program_copies_is_one_object(built, dce_shims, which, tmp_path):
    """A program COPY-relocating a library's data (std::cout of libstdc++): loaded as DCE
    loads it, the copy arrives as zero and the library keeps its own object; the prepared
    loader makes the program's copy the object (the library's bytes, its GOT slots)."""
    libdir = tmp_path / "lib"
    libdir.mkdir()
    lib = compile_c(libdir / "libcounter.so", "-shared", "-fPIC", "-Wl,-soname,libcounter.so",
                    os.path.join(ROOT, "csrc", "programs", "counter_lib.c"))
    prog = compile_c(tmp_path / "counter_main", "-O2", "-fPIE", "-pie",
                     os.path.join(ROOT, "csrc", "programs", "counter_main.c"), lib,
                     f"-Wl,-rpath,{libdir}")
    elf = elfdce.scan(prog)
    assert "counter" in {elf.symbols[r.symbol_index].name for r in elf.relocations
                         if elf.relocation_kind(r) == "COPY"}
    libs = os.path.join(built, "build", "lib") if which == "tree" else dce_shims
    work = tmp_path / "work"
    work.mkdir()
    r = subprocess.run([os.path.join(built, "build", "bin", "simulator"), "run", libs, str(work),
                        prog], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.splitlines()[-1] == "main=0", r.stdout + r.stderr
    assert (work / "stdout").read_text() == "counter=6\n"


def test_the_simulator_starts_again_with_static_tls_for_dlopened_libraries(built, tmp_path):
    """A library with initial-exec TLS (DF_STATIC_TLS: libjemalloc, 2632 bytes, which bind's dig
    and host link) takes static TLS when DCE dlopens it, past the 512 bytes glibc keeps for
    that: a program linking DCE's library starts again once with
    glibc.rtld.optional_static_tls raised (ELFDCE_STATIC_TLS changes it, 0 leaves glibc's),
    and a tunable the user set is left as it is. The real loader says whether it loads."""
    from elfdce.glibc.static_tls import PREPARED_STATIC_TLS, TUNABLE

    src = tmp_path / "t.c"
    src.write_text("__attribute__((tls_model(\"initial-exec\"))) __thread char big[4096];\n"
                   "char *tls_big(void) { return big; }\n")
    lib = compile_c(tmp_path / "libt.so", "-shared", "-fPIC", str(src))
    assert elfdce.scan(lib).dynamic.flags & 0x10  # DF_STATIC_TLS

    def run(**env: str) -> dict[str, str]:
        environ = {k: v for k, v in os.environ.items()
                   if k not in ("GLIBC_TUNABLES", "ELFDCE_STATIC_TLS")}
        environ.update(env)
        out = subprocess.run([os.path.join(built, "build", "bin", "simulator"), "dlopen", lib],
                             capture_output=True, text=True, timeout=60, env=environ)
        assert out.returncode == 0, out.stdout + out.stderr
        return dict(line.split("=", 1) for line in out.stdout.splitlines())

    if load_host().glibc_version() < (2, 32):  # no such tunable: nothing started again
        assert run()["GLIBC_TUNABLES"] == "(unset)"
        return
    got = run()
    assert got == {"dlopen": "loaded", "GLIBC_TUNABLES": f"{TUNABLE}={PREPARED_STATIC_TLS}"}
    # other tunables kept, the size from the environment
    got = run(GLIBC_TUNABLES="glibc.malloc.tcache_count=7", ELFDCE_STATIC_TLS="32768")
    assert got["GLIBC_TUNABLES"] == f"glibc.malloc.tcache_count=7:{TUNABLE}=32768"
    # 0: glibc's 512 bytes, and the library does not load, as before
    got = run(ELFDCE_STATIC_TLS="0")
    assert got["GLIBC_TUNABLES"] == "(unset)"
    assert "cannot allocate memory in static TLS block" in got["dlopen"]
    # the user's own value is theirs
    got = run(GLIBC_TUNABLES=f"{TUNABLE}=600")
    assert got["GLIBC_TUNABLES"] == f"{TUNABLE}=600"
    assert "cannot allocate memory in static TLS block" in got["dlopen"]
