"""The four glibcs: this machine's and Debian's other builds (bullseye 2.31, bookworm 2.36,
trixie 2.41, sid), fetched unpacked by scripts/fetch-glibcs into a cache (never installed).
Every command that reads a glibc is run against each: check-host with its probes through that
glibc's own ld.so, versions in both styles, diff between consecutive releases, shim build,
preflight, and dce prepare's completion."""

from __future__ import annotations

import json
import os

import jsonschema
import pytest
from conftest import compile_c, host_suite, run_cli
from test_version_maps import exported, link_stub

import elfdce
from elfdce.dce.complete import Definitions, complete
from elfdce.dce.glue import glue_pairs
from elfdce.dce.host import load_host
from elfdce.exports.sets import names_needing_symver
from elfdce.glibc.libs import FIVE, locate
from elfdce.policy.xmacro import parse_xmacro
from elfdce.versionmaps import build_map, read_prefix

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("ELFDCE_GLIBC_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "elfdce", "glibcs")
SUITES = ("bullseye", "bookworm", "trixie", "sid")
with open(os.path.join(os.path.dirname(elfdce.__file__), "schemas", "check-host.schema.json")) as _f:
    SCHEMA = json.load(_f)


def _roots() -> list:
    params = [pytest.param(None, id="host")]
    for suite in SUITES:
        if suite == host_suite():
            continue  # the host's own release: the "host" case
        root = os.path.join(CACHE, suite, "root")
        marks = () if os.path.isdir(root) else pytest.mark.skip(
            reason=f"{suite}'s glibc is not in {CACHE} (scripts/fetch-glibcs fetches it)")
        params.append(pytest.param(root, id=suite, marks=marks))
    return params


ROOTS = _roots()


cli = run_cli


def sysroot_args(root: str | None) -> list[str]:
    return ["--sysroot", root] if root else []


def libc_of(root: str | None) -> str:
    path = {x.library.key: x for x in locate(root)}["libc"].path
    assert path is not None
    return path


def version_of(root: str | None) -> tuple[int, int]:
    return load_host(root).glibc_version()


@pytest.mark.parametrize("root", ROOTS)
def test_check_host_probes_agree_through_each_glibcs_own_loader(root):
    r = cli("check-host", *sysroot_args(root), "--probe", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["stdio_switch"]["state"] == "present"
    assert len(doc["probes"]) == 7 and all(p["predicted"] == p["observed"] for p in doc["probes"])
    switch = next(p for p in doc["probes"] if "_IO_init" in p["name"])
    assert switch["observed"] == "survives"
    verdicts = {v["mechanism"]: v["result"] for v in doc["verdicts"]}
    assert "_IO_init(scratch, 0)" in verdicts["replace FILE vtables"]
    stubs = set(doc["merged_stubs"])
    assert (stubs == {"libpthread.so.0", "librt.so.1", "libdl.so.2"}) == (version_of(root) >= (2, 34))


@pytest.mark.parametrize("root", ROOTS)
def test_exact_maps_reproduce_each_glibcs_five_libraries(root, tmp_path):
    for loc in locate(root):
        assert loc.path is not None, loc.how
        vmap = build_map(loc.path, prefix=read_prefix(loc.library))
        out = link_stub(str(tmp_path / loc.library.soname), vmap.exports, vmap.script)
        # a stub's IFUNC is a plain function (stublib)
        host = {(n, v, d, "FUNC" if k == "GNU_IFUNC" else k, z) for n, v, d, k, z in exported(loc.path)}
        assert exported(out) - {p for p in exported(out) if p[1] == "NS3"} == host


@pytest.mark.parametrize("root", ROOTS)
def test_dce_style_maps_for_each_glibc(root, tmp_path):
    r = cli("versions", "--style", "dce", *sysroot_args(root), "--out-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(tmp_path)) == sorted(f"{lib.key}.version" for lib in FIVE)
    text = (tmp_path / "libc.version").read_text()
    assert text.startswith("NS3 {") and "GLIBC_2.2.5 {" in text


def _pairs(path: str) -> set[str]:
    return {s.label for s in elfdce.scan(path).exports() if s.version is not None}


def _root_for(version: tuple[int, int]) -> str | None:
    for p in ROOTS:
        root = p.values[0]
        if (root is None or os.path.isdir(root)) and version_of(root) == version:
            return root
    pytest.skip(f"no glibc {version[0]}.{version[1]} here (scripts/fetch-glibcs)")


def test_diff_231_to_236_shows_the_234_merge():
    old, new = _root_for((2, 31)), _root_for((2, 36))
    r = cli("diff", libc_of(old), libc_of(new))
    assert r.returncode == 1
    # libpthread's and libdl's functions arrive in libc at 2.34, their old versions as compat
    for line in ("added       pthread_create@@GLIBC_2.34", "added       pthread_create@GLIBC_2.2.5",
                 "added       dlopen@@GLIBC_2.34", "added       dlopen@GLIBC_2.2.5",
                 "compat-only __malloc_hook@@GLIBC_2.2.5 -> __malloc_hook@GLIBC_2.2.5"):
        assert line in r.stdout, line
    stub = {x.library.key: x.path for x in locate(old)}["libpthread"]
    r = cli("diff", stub, {x.library.key: x.path for x in locate(new)}["libpthread"])
    assert "removed     pthread_create@@GLIBC_2.2.5" in r.stdout


def test_diff_241_to_243_shows_the_242_and_243_additions():
    old, new = libc_of(_root_for((2, 41))), libc_of(_root_for((2, 43)))
    r = cli("diff", old, new)
    assert r.returncode == 1
    added = [ln for ln in r.stdout.splitlines() if ln.startswith("added ")]
    assert any("@@GLIBC_2.42" in ln for ln in added) and any("@@GLIBC_2.43" in ln for ln in added)
    assert "moved       cfgetospeed@@GLIBC_2.2.5 -> cfgetospeed@@GLIBC_2.42" in r.stdout


@pytest.mark.parametrize("root", ROOTS)
def test_shim_build_exports_exactly_each_glibcs_pairs(root, tmp_path):
    out = str(tmp_path / "libc-ns3.so")
    r = cli("shim", "build", "--lib", "libc", *sysroot_args(root), "-o", out)
    assert r.returncode == 0, r.stderr
    mine = _pairs(out) - {"libc_setup@@NS3", "libc_describe@@NS3"}
    assert mine == _pairs(libc_of(root))


@pytest.mark.parametrize("root", ROOTS)
def test_preflight_against_each_glibc(root, tmp_path, gcc):
    src = tmp_path / "p.c"
    src.write_text("#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n")
    prog = str(tmp_path / "p")
    compile_c(prog, "-fPIE", "-pie", str(src), compiler=gcc)
    needs = {v.name for s in elfdce.scan(prog).undefined() if (v := s.version)}
    r = cli("preflight", *sysroot_args(root), prog)
    have = {d.name for d in elfdce.scan(libc_of(root)).version_defs}
    summary = next(ln for ln in r.stdout.splitlines() if ln.startswith("p: "))
    if needs <= have:
        # a tree prepared by elfdce (the default) clears DF_1_PIE and finds main: it runs
        assert " 0 missing" in summary and r.stdout.startswith("runs: "), r.stdout
        assert r.returncode == 0
    else:  # a program built here asks 2.31 for GLIBC_2.34 (__libc_start_main)
        assert r.returncode == 1
        assert "does not define version GLIBC_2.34" in r.stdout


@pytest.mark.parametrize("root", ROOTS)
def test_dce_completion_for_each_glibc(root):
    host = load_host(root)
    with open(os.path.join(ROOT, "tests", "dcetree", "model", "libc-ns3.h")) as f:
        table = parse_xmacro(f.read())
    defined = frozenset(e2 for e in table.table() for e2 in e.names) | {"snprintf", "stdout"}
    c = complete(host, table, Definitions({"libc.cc": defined}), frozenset({"__xstat"}))
    version = host.glibc_version()
    assert c.define_dl_open_hook == (version >= (2, 34))  # _dl_open_hook left libc in 2.34
    assert c.io_init_version == "GLIBC_2.2.5"
    # the fixture's table has DCE-class __xstat, __fxstat, nanosleep, clock_gettime, read,
    # realloc, socket, fcntl, select, poll, pipe, write, close, kill, sigwait, sigprocmask,
    # getpeername, random, pthread_mutex_* and pthread_cond_*: the successors of those the host
    # exports get adapters
    successors = {"clock_nanosleep", "__read_chk", "reallocarray", "getdelim", "__getdelim",
                  "copy_file_range", "splice", "tee", "posix_fadvise", "posix_fadvise64",
                  "posix_memalign", "aligned_alloc", "memalign", "valloc", "pipe2",
                  "arc4random", "arc4random_buf", "arc4random_uniform", "getrandom",
                  "getentropy", "syscall", "pselect"}
    # epoll and eventfd emulated over poll and pipes (libuv's loop)
    successors |= {"epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
                   "epoll_pwait2", "eventfd", "eventfd_read", "eventfd_write"}
    # pthread barriers over the fixture's DCE mutex and condition variable (bind 9.20's libisc)
    successors |= {"pthread_barrier_init", "pthread_barrier_wait", "pthread_barrier_destroy"}
    # glibc 2.33's stat family over __xstat/__fxstat (stat64 and fstat64 the same on LP64)
    successors |= {"stat", "fstat", "stat64", "fstat64"} if version >= (2, 33) else set()
    assert {a.successor for a in c.adapters} == {s for s in successors if host.exports_name(s)}
    assert {o.successor for o in c.overrides} == {
        "socket", "getsockopt", "getline", "vsnprintf", "read", "write", "close", "kill",
        "sigwait", "pthread_sigmask", "getpeername", "select", "poll"}
    # what the completion forwards that waits on the host itself, from the libc's footprint
    from elfdce.dce.complete import escaping_natives
    from elfdce.syscalls import libc_footprint

    escaping = dict(escaping_natives(c, libc_footprint(host.libc.path)))
    waits = [label for label in escaping if label.startswith("usleep@")]
    assert waits and escaping[waits[0]] == "waits on the host"
    # clock_nanosleep has an adapter over the fixture's DCE-class nanosleep, epoll_wait one
    # over its poll: not forwarded
    assert not any(label.startswith(("clock_nanosleep@", "epoll_wait@")) for label in escaping)
    labels = {e.label for e in c.entries}
    assert "strverscmp@@GLIBC_2.2.5" in labels
    if version >= (2, 34):
        # pthread_create is DCE's: its 2.34 default and compat pair come from DCE's definition
        assert not any(e.name == "pthread_create" for e in c.entries)
    else:
        # siglongjmp: libc's default pair, which DCE's NATIVE entry defines, and libpthread's
        # compat pair, which needs an entry of its own: for libpthread only
        entry = next(e for e in c.entries if e.name == "siglongjmp")
        assert (entry.label, entry.libraries) == ("siglongjmp@GLIBC_2.2.5", ("libpthread",))
    # each library's glue gives no pair a second definition: a default pair the version script
    # already gives DCE's plain definition (a name exported once) is not glued again. (Each
    # library's objects define every added entry: DCE's libraries share one table.)
    compiled = defined | {e.ident for e in c.entries}
    for lib in host.libraries:
        once = defined - names_needing_symver(lib.exports.pairs)
        twice = [label for label, target in glue_pairs(compiled, lib.exports, c, lib.key)
                 if "@@" in label and label.split("@")[0] in once
                 and target != label.split("@")[0]]
        assert not twice, (lib.key, twice)


def test_files_that_are_not_a_glibc_are_refused(tmp_path, gcc, host_libc):
    (tmp_path / "e.c").write_text("int x;\n")
    empty = str(tmp_path / "empty.so")
    compile_c(empty, "-shared", "-nostdlib", str(tmp_path / "e.c"), compiler=gcc)
    zlib = next((p for p in ("/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1")
                 if os.path.exists(p)), None)
    for bad in filter(None, ("/usr/bin/ls", zlib, empty)):
        r = cli("check-host", "--libc", bad)
        assert r.returncode == 2 and f"{bad}: not a glibc libc.so.6" in r.stderr, r.stderr
        assert "verdict" not in r.stdout
    r = cli("check-host", "--ld-so", "/usr/bin/ls")
    assert r.returncode == 2 and "not glibc's dynamic loader" in r.stderr
    out = tmp_path / "maps"
    r = cli("versions", "--lib", f"libc={empty}", "--out-dir", str(out))
    assert r.returncode == 2 and "not a glibc libc.so.6" in r.stderr and not out.exists()
    r = cli("shim", "build", "--lib", "libc", "--host-lib", f"libc={empty}", "-o",
            str(tmp_path / "s.so"))
    assert r.returncode == 2 and "not a glibc libc.so.6" in r.stderr
    assert not (tmp_path / "s.so").exists()


def test_check_host_reads_a_libc_whose_build_id_note_is_short(tmp_path, host_libc):
    import shutil

    copy = str(tmp_path / "libc.so.6")
    shutil.copy(host_libc, copy)
    elf = elfdce.scan(copy)
    index = next(i for i, s in enumerate(elf.sections) if s.name == ".note.gnu.build-id")
    with open(copy, "rb") as f:
        data = bytearray(f.read())
    shoff = int.from_bytes(data[0x28:0x30], "little")
    shentsize = int.from_bytes(data[0x3a:0x3c], "little")
    at = shoff + index * shentsize + 32  # Elf64_Shdr.sh_size
    data[at:at + 8] = (4).to_bytes(8, "little")
    with open(copy, "wb") as f:
        f.write(data)
    r = cli("check-host", "--libc", copy)
    assert r.returncode == 0, r.stderr
    assert "build-id ?" in r.stdout and "Traceback" not in r.stderr
