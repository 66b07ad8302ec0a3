"""`elfdce versions`: exact maps export exactly the host's pairs (proved with the real loader and
by linking), dce-style maps are DCE's bytes and lose the compat pairs."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

import pytest
from conftest import HOST_MERGED, compile_c, require_package
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import elfdce
from elfdce.exports import ExportPair, ExportSet, VersionNode, from_elf
from elfdce.exports.stubs import stub_assembly
from elfdce.glibc.libs import BY_KEY, FIVE, is_merged_stub, locate
from elfdce.versionmaps import build_map, read_prefix
from elfdce.versionmaps.script import dce_script, exact_script

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LD_SO = "/lib64/ld-linux-x86-64.so.2"


def host(key: str) -> str:
    loc = {x.library.key: x for x in locate()}[key]
    assert loc.path is not None, loc.how
    return loc.path


def link_stub(out: str, exports: ExportSet, script: str, linker: str = "bfd") -> str:
    """Link a placeholder library defining every pair of ``exports`` with ``script``."""
    asm, vs = out + ".s", out + ".map"
    with open(asm, "w") as f:
        f.write(stub_assembly(exports))
    with open(vs, "w") as f:
        f.write(script)
    cmd = ["gcc", "-shared", "-nostdlib", "-o", out, asm, f"-Wl,--version-script={vs}"]
    if exports.soname:
        cmd.append(f"-Wl,-soname,{exports.soname}")
    if linker == "lld":
        # lld >= 16 refuses a script naming symbols the objects do not define (the NS3 node's
        # setup entries, in a stub) unless told --undefined-version; older lld accepts the flag.
        cmd += ["-fuse-ld=lld", "-Wl,--undefined-version"]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return out


def exported(path: str) -> set[tuple]:
    return {(p.name, p.version, p.default, p.kind, p.size) for p in from_elf(elfdce.scan(path)).pairs}


def listed_subset(exports: ExportSet, listed: frozenset) -> ExportSet:
    """The pairs a map actually lists (what a library built from it can export)."""
    return exports._replace(pairs=tuple(p for p in exports.pairs if (p.name, p.version) in listed))


def replacement(tmp: str, key: str, style: str) -> str:
    """A placeholder replacement of the host library ``key`` built from its ``style`` map."""
    lib = BY_KEY[key]
    vmap = build_map(host(key), style=style, prefix=read_prefix(lib))
    exports = vmap.exports if style == "exact" else listed_subset(vmap.exports, vmap.listed)
    os.makedirs(tmp, exist_ok=True)
    return link_stub(os.path.join(tmp, lib.soname), exports, vmap.script)


def trace(program: str, library_dir: str) -> str:
    """Bind every symbol of ``program`` with the real loader, without running it (ldd -r)."""
    env = dict(os.environ, LD_TRACE_LOADED_OBJECTS="1", LD_BIND_NOW="1", LD_WARN="yes")
    proc = subprocess.run([LD_SO, "--library-path", library_dir, program], env=env,
                          capture_output=True, text=True, timeout=60)
    return proc.stdout + proc.stderr


OLD_VERSIONS_C = r"""
#include <pthread.h>
#include <stdio.h>
extern int pthread_create_old(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
__asm__(".symver pthread_create_old, pthread_create@GLIBC_2.2.5");
extern int sys_nerr_old;
__asm__(".symver sys_nerr_old, sys_nerr@GLIBC_2.2.5");
static void *run(void *arg) { return arg; }
int main(void) {
    pthread_t t;
    pthread_create_old(&t, 0, run, 0);
    printf("%d\n", sys_nerr_old);
    return 0;
}
"""


@pytest.fixture(scope="module")
def old_versions_program(tmp_path_factory) -> str:
    d = tmp_path_factory.mktemp("oldver")
    src = d / "prog.c"
    src.write_text(OLD_VERSIONS_C)
    # -lpthread: before glibc 2.34 pthread_create is libpthread's
    compile_c(str(d / "prog"), "-O1", str(src), "-lpthread")
    syms = {s.label for s in elfdce.scan(str(d / "prog")).symbols}
    assert "pthread_create@GLIBC_2.2.5" in syms and "sys_nerr@GLIBC_2.2.5" in syms
    return str(d / "prog")


@pytest.fixture(scope="module")
def pthread_231_program(tmp_path_factory) -> str:
    """A program linked as on glibc 2.31: pthread_create@GLIBC_2.2.5 from libpthread.so.0.

    The link-time libpthread.so.0 is built by elfdce from the host maps: the libpthread stub's
    version nodes, with libc's pthread_* compat pairs at those nodes made defaults again.
    """
    d = tmp_path_factory.mktemp("pt231")
    src = d / "prog.c"
    src.write_text('#include <pthread.h>\nstatic void *run(void *a) { return a; }\n'
                   'int main(void) { pthread_t t; return pthread_create(&t, 0, run, 0); }\n')
    if HOST_MERGED:
        _link_231_libpthread(d)
    # before glibc 2.34 the host's own libpthread.so.0 is the 2.31-style one to link against
    compile_c(str(d / "prog"), "-O1", str(src), f"-L{d}", "-Wl,--no-as-needed", "-lpthread")
    elf = elfdce.scan(str(d / "prog"))
    ref = elf.lookup("pthread_create")
    assert "libpthread.so.0" in elf.needed
    assert ref.version.name == "GLIBC_2.2.5" and ref.version.needed_from == "libpthread.so.0"
    return str(d / "prog")


def _link_231_libpthread(d) -> None:
    """libpthread.so.0 in ``d`` as glibc 2.31's, from a merged host's stub and libc's pairs."""
    stub = build_map(host("libpthread")).exports
    libc = build_map(host("libc")).exports
    nodes = {n.name for n in stub.nodes}
    chosen: dict[str, ExportPair] = {}
    for p in libc.pairs:
        if p.name.startswith("pthread_") and not p.default and p.version in nodes:
            chosen.setdefault(p.name, p._replace(default=True))  # the oldest version
    link_set = stub._replace(pairs=tuple(chosen.values()))
    assert "pthread_create" in chosen
    link_stub(str(d / "libpthread.so.0"), link_set, exact_script(link_set))
    os.symlink("libpthread.so.0", d / "libpthread.so")


@pytest.mark.skipif(not os.path.exists(LD_SO), reason="x86_64 loader")
def test_loader_binds_old_versions_against_the_exact_map(tmp_path, old_versions_program):
    lib = replacement(str(tmp_path / "exact"), "libc", "exact")
    out = trace(old_versions_program, str(tmp_path / "exact"))
    assert f"libc.so.6 => {lib}" in out  # the replacement, not the host libc, was bound
    assert "undefined symbol" not in out, out


@pytest.mark.skipif(not os.path.exists(LD_SO), reason="x86_64 loader")
def test_loader_rejects_old_versions_with_the_dce_map(tmp_path, old_versions_program):
    lib = replacement(str(tmp_path / "dce"), "libc", "dce")
    out = trace(old_versions_program, str(tmp_path / "dce"))
    assert f"libc.so.6 => {lib}" in out
    # glibc >= 2.34: libc's compat pair, which DCE's map loses; before, libpthread's default
    # (the host's libpthread binds it)
    assert ("undefined symbol: pthread_create, version GLIBC_2.2.5" in out) == HOST_MERGED, out
    assert "undefined symbol: sys_nerr, version GLIBC_2.2.5" in out


@pytest.mark.skipif(not os.path.exists(LD_SO), reason="x86_64 loader")
def test_old_libpthread_program_loads_against_exact_stub_and_libc(tmp_path, pthread_231_program):
    d = str(tmp_path / "exact")
    libc = replacement(d, "libc", "exact")
    libpthread = replacement(d, "libpthread", "exact")
    # glibc >= 2.34: it carries the nodes, libc the functions; before, its own functions
    assert is_merged_stub(elfdce.scan(libpthread)) == HOST_MERGED
    out = trace(pthread_231_program, d)
    assert f"libc.so.6 => {libc}" in out and f"libpthread.so.0 => {libpthread}" in out
    assert "undefined symbol" not in out, out
    # the same with DCE's maps: the node check passes, the symbol is not found
    d = str(tmp_path / "dce")
    replacement(d, "libc", "dce")
    replacement(d, "libpthread", "dce")
    # (before 2.34 DCE's libpthread map keeps pthread_create@@GLIBC_2.2.5, the default)
    out = trace(pthread_231_program, d)
    assert ("undefined symbol: pthread_create, version GLIBC_2.2.5" in out) == HOST_MERGED, out


@pytest.mark.parametrize("linker", ["bfd", "lld"])
def test_exact_maps_reproduce_the_five_host_libraries(tmp_path, linker):
    if linker == "lld":
        require_package("lld", shutil.which("ld.lld") is not None, "ld.lld")
    for lib in FIVE:
        vmap = build_map(host(lib.key), prefix=read_prefix(lib))
        out = link_stub(str(tmp_path / lib.soname), vmap.exports, vmap.script, linker)
        want = exported(host(lib.key))
        got = exported(out)
        # the stub turns IFUNC into FUNC (see elfdce.exports.stubs); everything else is equal
        norm = lambda pairs: {(n, v, d, "FUNC" if k == "GNU_IFUNC" else k, s) for n, v, d, k, s in pairs}  # noqa: E731
        assert norm(got - {("libc_setup", "NS3", True, "FUNC", 0)}) == norm(want), lib.soname
        nodes = [n for n in from_elf(elfdce.scan(out)).nodes if n.name != "NS3"]
        host_nodes = list(from_elf(elfdce.scan(host(lib.key))).nodes)
        if linker == "lld":
            # lld writes no parent verdaux (glibc's loader never reads one): names only
            assert [n.name for n in nodes] == [n.name for n in host_nodes]
        else:
            assert nodes == host_nodes


def script_listing(script: str) -> set[tuple[str, str]]:
    """(name, node) for every name a version script lists under global:."""
    listed, node, in_global = set(), None, False
    for line in script.splitlines():
        if line.endswith("{"):
            node, in_global = line.split()[0], False
        elif line == "global:":
            in_global = True
        elif line == "local:":
            in_global = False
        elif line.startswith("\t") and in_global:
            listed.add((line.strip().rstrip(";"), node))
    return listed


def test_host_libc_exact_map_covers_every_defined_pair(host_libc):
    elf = elfdce.scan(host_libc)
    vmap = build_map(elf)
    defined = [s for s in elf.symbols if s.shndx and not s.is_version_marker]
    assert len(vmap.exports.pairs) == len(defined)
    # read from the script's text, not from what build_map says it listed
    assert {(s.name, s.version.name) for s in defined} <= script_listing(vmap.script)
    # and the dce map misses exactly the compat pairs
    dce = script_listing(build_map(elf, style="dce").script)
    assert {(s.name, s.version.name) for s in defined if not s.version.hidden} <= dce
    assert not {(s.name, s.version.name) for s in defined if s.version.hidden} & dce
    private = [p for p in vmap.exports.pairs if p.version == "GLIBC_PRIVATE"]
    assert 0 < len(private) < len(defined)
    no_private = build_map(elf, private=False)
    assert len(no_private.exports.pairs) == len(defined) - len(private)
    assert "GLIBC_PRIVATE" not in no_private.script
    # every compat pair, and every pair of a name that has one, goes through .symver
    compat_names = {p.name for p in vmap.exports.pairs if not p.default}
    assert {p.name for p in vmap.symver} >= compat_names


def test_summary_counts_match_the_reader(host_libc):
    out = subprocess.run([sys.executable, "-m", "elfdce", "versions", "--summary"],
                         capture_output=True, text=True, check=True).stdout
    row = next(line.split() for line in out.splitlines() if line.startswith("libc.so.6 "))
    elf = elfdce.scan(host_libc)
    defined = [s for s in elf.symbols if s.shndx and not s.is_version_marker]
    compat = [s for s in defined if s.version.hidden]
    private = [s for s in defined if s.version.name == "GLIBC_PRIVATE"]
    nodes = [d for d in elf.version_defs if not d.is_base]
    assert row[1] == str(len(nodes))
    assert row[3:8] == [str(len(defined)), str(len(defined) - len(compat)), str(len(compat)),
                        str(len(private)), str(len(elfdce.compat_pairs(host_libc)))]
    assert row[8:] == [str(len(defined) - len(compat)), str(len(compat))]  # dce lists / loses


def test_dce_style_is_dces_algorithm(versioned_lib):
    # DCE's loop, worked by hand for this library (dynsym order: foo@V1, foo@@V2, fast@@V2,
    # V1 marker, table@V1, table@@V2, counter@@V2 (TLS, value 0), V2 marker): compat pairs
    # and value-0 symbols are skipped, local:* closes the first parentless node.
    assert dce_script(elfdce.scan(versioned_lib), "PREFIX\n") == (
        "PREFIX\nV1 {\nlocal:*;\n};\nV2 {\nglobal:\n\tfoo;\n\tfast;\n\ttable;\n} V1;\n")


def test_exact_style_of_the_small_library(versioned_lib):
    vmap = build_map(versioned_lib)
    assert vmap.script == (
        "V1 {\nglobal:\n\tfoo;\n\ttable;\nlocal:\n\t*;\n};\n"
        "V2 {\nglobal:\n\tfoo;\n\tfast;\n\ttable;\n\tcounter;\n} V1;\n")
    assert {p.label for p in vmap.symver} == {"foo@V1", "foo@@V2", "table@V1", "table@@V2"}


def test_cli_writes_atomically_deterministically_and_checks(tmp_path):
    out = tmp_path / "maps"
    cmd = [sys.executable, "-m", "elfdce", "versions", "--out-dir", str(out)]
    first = subprocess.run(cmd, capture_output=True, text=True, check=True)
    for lib in FIVE:
        assert f"{lib.soname}: from {host(lib.key)}" in first.stdout
    files = sorted(os.listdir(out))
    assert files == sorted([f"{lib.key}.version" for lib in FIVE]
                           + [f"{lib.key}.symver.h" for lib in FIVE])
    before = {f: (out / f).read_bytes() for f in files}
    subprocess.run(cmd, capture_output=True, check=True)
    assert {f: (out / f).read_bytes() for f in files} == before
    assert not [f for f in os.listdir(out) if f.startswith(".")]  # no temporary left behind
    assert subprocess.run(cmd + ["--check"], capture_output=True).returncode == 0
    (out / "libm.version").write_bytes(before["libm.version"] + b"\n")
    check = subprocess.run(cmd + ["--check"], capture_output=True, text=True)
    assert check.returncode == 1 and "libm.version: differs" in check.stdout
    assert (out / "libm.version").read_bytes() == before["libm.version"] + b"\n"  # untouched
    for lib in FIVE:
        text = (out / f"{lib.key}.version").read_text()
        assert text.startswith(read_prefix(lib))


def test_cli_dce_style_and_prefix_dir(tmp_path):
    prefixes = tmp_path / "prefix"
    prefixes.mkdir()
    for lib in FIVE:
        (prefixes / lib.prefix_file).write_text(f"MY_{lib.key} {{ }};\n")
    out = tmp_path / "dce"
    subprocess.run([sys.executable, "-m", "elfdce", "versions", "--style", "dce", "--out-dir",
                    str(out), "--prefix-dir", str(prefixes)], check=True, capture_output=True)
    assert sorted(os.listdir(out)) == sorted(f"{lib.key}.version" for lib in FIVE)
    text = (out / "libc.version").read_text()
    assert text == dce_script(elfdce.scan(host("libc")), "MY_libc { };\n")
    assert text.count("local:*;") == 1


def test_cli_lib_override_and_bad_input(tmp_path, versioned_lib):
    out = tmp_path / "o"
    proc = subprocess.run([sys.executable, "-m", "elfdce", "versions", "--out-dir", str(out),
                           "--lib", f"libm={versioned_lib}"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert f"libm.so.6: from {versioned_lib} (--lib)" in proc.stdout
    assert "foo;" in (out / "libm.version").read_text()
    bad = subprocess.run([sys.executable, "-m", "elfdce", "versions", "--lib", "libx=/a"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "NAME=PATH" in bad.stderr
    missing = subprocess.run([sys.executable, "-m", "elfdce", "versions", "--summary",
                              "--sysroot", str(tmp_path)], capture_output=True, text=True)
    assert missing.returncode == 2 and f"no libc.so.6 under {tmp_path}" in missing.stderr


CROSS_SYSROOTS = sorted(d for d in glob.glob("/usr/*-linux-gnu*") if os.path.isdir(d + "/lib"))


@pytest.mark.parametrize("sysroot", CROSS_SYSROOTS, ids=os.path.basename)
def test_cross_sysroots(tmp_path, sysroot):
    proc = subprocess.run([sys.executable, "-m", "elfdce", "versions", "--sysroot", sysroot,
                           "--out-dir", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    libc = next(loc.path for loc in locate(sysroot) if loc.library.key == "libc")
    merged = "GLIBC_2.34" in {n.name for n in from_elf(elfdce.scan(libc)).nodes}
    for loc in locate(sysroot):
        assert loc.path is not None and loc.path.startswith(sysroot + "/")
        vmap = build_map(loc.path)
        elf = elfdce.scan(loc.path)
        assert {(s.name, s.version.name) for s in elf.exports()} <= script_listing(vmap.script)
        assert (tmp_path / f"{loc.library.key}.version").read_text() == (
            read_prefix(loc.library) + vmap.script)
        if loc.library.key in ("libpthread", "librt", "libdl"):  # glibc >= 2.34: merged stubs
            assert vmap.stub == merged and f"{loc.library.soname}: from {loc.path}" in proc.stdout


# Round trip: random version-node trees and pairs -> exact map + stub -> ld -> reader.
@st.composite
def export_sets(draw):
    n = draw(st.integers(min_value=1, max_value=5))
    nodes = []
    for i in range(n):
        parent = draw(st.one_of(st.none(), st.sampled_from([f"V{j}" for j in range(i)]) if i
                                else st.none()))
        nodes.append(VersionNode(f"V{i}", parent))
    names = [f"f{i}" for i in range(6)] + [f"d{i}" for i in range(4)] + ["t0"]
    pairs = {}
    defaults: set[str] = set()
    for _ in range(draw(st.integers(min_value=0, max_value=14))):
        name = draw(st.sampled_from(names))
        version = draw(st.sampled_from(nodes)).name
        default = draw(st.booleans()) and name not in defaults
        if (name, version) in pairs:
            continue
        if default:
            defaults.add(name)
        kind = {"f": "FUNC", "d": "OBJECT", "t": "TLS"}[name[0]]
        size = draw(st.integers(min_value=1, max_value=64)) if kind != "FUNC" else 0
        pairs[(name, version)] = ExportPair(name, version, default, kind, size)
    return ExportSet("libround.so", tuple(nodes), tuple(pairs.values()))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(export_sets())
def test_round_trip_through_ld(tmp_path, exports):
    out = link_stub(str(tmp_path / "libround.so"), exports, exact_script(exports))
    back = from_elf(elfdce.scan(out))
    assert back.nodes == exports.nodes
    assert sorted(back.pairs) == sorted(exports.pairs)


@pytest.fixture(scope="module")
def c_mkversion(tmp_path_factory) -> str:
    """csrc/mkversion/dce_mkversion.c: DCE's algorithm written in C, an independent oracle."""
    out = str(tmp_path_factory.mktemp("mkv") / "dce_mkversion")
    compile_c(out, "-O2", "-Wall", "-Werror",
              os.path.join(ROOT, "csrc", "mkversion", "dce_mkversion.c"))
    return out


def native_64_le(path: str) -> bool:
    h = elfdce.scan(path, relocations=False).header
    return h.elf_class == 64 and h.little_endian


# The C oracle reads files of its own class and byte order: the host's and the 64-bit
# little-endian cross roots.
SAME_LAYOUT = [None] + [s for s in CROSS_SYSROOTS if native_64_le(f"{s}/lib/libc.so.6")]


@pytest.mark.parametrize("sysroot", SAME_LAYOUT, ids=lambda s: s or "host")
def test_dce_style_equals_the_c_implementation(tmp_path, c_mkversion, sysroot):
    located = locate(sysroot)
    for loc in located:
        assert loc.path is not None, loc.how
        prefix = os.path.join(tmp_path, loc.library.prefix_file)
        with open(prefix, "w") as f:
            f.write(read_prefix(loc.library))
        subprocess.run([c_mkversion, loc.path, prefix, str(tmp_path / "c.version")], check=True)
        expected = (tmp_path / "c.version").read_text()
        assert build_map(loc.path, style="dce", prefix=read_prefix(loc.library)).script == expected


def test_cli_write_errors_are_one_line_and_exit_2(tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    proc = subprocess.run([sys.executable, "-m", "elfdce", "versions", "--out-dir",
                           str(blocker)], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"elfdce versions: cannot write to {blocker}")
    prefixes = tmp_path / "pfx"
    prefixes.mkdir()
    for lib in FIVE:
        (prefixes / lib.prefix_file).write_bytes(b"\xff\xfe not utf-8\n")
    proc = subprocess.run([sys.executable, "-m", "elfdce", "versions", "--out-dir",
                           str(tmp_path / "o"), "--prefix-dir", str(prefixes)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "prefix map for libc.so.6" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_without_private_children_of_glibc_private_are_reparented():
    exports = ExportSet("libx.so", (VersionNode("V1", None), VersionNode("GLIBC_PRIVATE", "V1"),
                                    VersionNode("V2", "GLIBC_PRIVATE")),
                        (ExportPair("f", "V2", True, "FUNC", 0),
                         ExportPair("g", "GLIBC_PRIVATE", True, "FUNC", 0)))
    public = exports.without_private()
    assert public.nodes == (VersionNode("V1", None), VersionNode("V2", "V1"))
    assert exact_script(public).endswith("V2 {\nglobal:\n\tf;\n} V1;\n")


def test_inexpressible_export_sets_are_refused():
    nodes = (VersionNode("V1", None),)
    with pytest.raises(ValueError, match="named like version nodes: V1"):
        exact_script(ExportSet(None, nodes, (ExportPair("V1", "V1", True, "FUNC", 0),)))
    with pytest.raises(ValueError, match="parent is missing: V3"):
        exact_script(ExportSet(None, nodes + (VersionNode("V3", "V9"),), ()))
    with pytest.raises(ValueError, match="same internal name"):
        exact_script(ExportSet(None, (VersionNode("V1.0", None), VersionNode("V1_0", None)), (
            ExportPair("f", "V1.0", False, "FUNC", 0), ExportPair("f", "V1_0", True, "FUNC", 0))))
    # the names are searched run together, then one by one: each bad one named, none invented
    bad = (ExportPair("", "V1", True, "FUNC", 0), ExportPair("a", "V1", True, "FUNC", 0),
           ExportPair("b;c", "V1", True, "FUNC", 0), ExportPair("d", "V1", True, "FUNC", 0))
    with pytest.raises(ValueError, match=r"can hold: '', 'b;c'$"):
        exact_script(ExportSet(None, nodes, bad))
    with pytest.raises(ValueError, match=r"can hold: 'V 1'$"):
        exact_script(ExportSet(None, (VersionNode("V 1", None),), ()))
    assert exact_script(ExportSet(None, (), ())) == ""


def test_a_parent_is_written_before_its_child(tmp_path):
    exports = ExportSet("libo.so", (VersionNode("V2", "V1"), VersionNode("V1", None)),
                        (ExportPair("f", "V2", True, "FUNC", 0),))
    script = exact_script(exports)
    assert script.index("V1 {") < script.index("V2 {")
    back = from_elf(elfdce.scan(link_stub(str(tmp_path / "libo.so"), exports, script)))
    assert set(back.nodes) == set(exports.nodes)
