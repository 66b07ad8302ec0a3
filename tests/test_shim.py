"""Shims: built from the default policy, their exports equal the host's (readelf as the oracle),
loaded into a dlmopen namespace and filled through cffi, and real programs run against them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from conftest import HOST_LIBC, ROOT, compile_c, require_package
from readelf_oracle import readelf_dyn_syms

from elfdce.elf import read_elf, read_static_symbols
from elfdce.exports import from_elf
from elfdce.glibc.libs import BY_KEY
from elfdce.policy.host import complete_policy, host_libraries, load_policy
from elfdce.shim.build import ShimError, build_shim, cffi_compile, verify
from elfdce.shim.generate import write_sources
from elfdce.shim.plan import plan_shim

PROGRAMS = os.path.join(ROOT, "csrc", "programs")
AARCH64_ROOT = "/usr/aarch64-linux-gnu"


def readelf_exports(path: str) -> set[tuple[str, str, int]]:
    """(name@[@]VERSION, type, size for data) of every defined versioned symbol, version-node
    markers left out, read by GNU readelf; IFUNCs counted as FUNC (a trampoline is a FUNC)."""
    out = set()
    for line in readelf_dyn_syms([path]).decode().splitlines():
        f = line.split()
        if len(f) < 8 or not f[0].endswith(":") or f[6] in ("UND", "ABS") or "@" not in f[7]:
            continue
        kind = "FUNC" if f[3] == "IFUNC" else f[3]
        out.add((f[7], kind, int(f[2]) if kind in ("OBJECT", "TLS") else 0))
    return out


@pytest.fixture(scope="module")
def policy():
    return complete_policy(load_policy(None), host_libraries())


@pytest.fixture(scope="module")
def shim_dir(tmp_path_factory, policy, host_libc):
    d = tmp_path_factory.mktemp("shims")
    builds = {key: build_shim(key, policy, str(d / f"{key}-ns3.so")) for key in ("libc", "libm")}
    return str(d), builds


@pytest.mark.parametrize("key", ["libc", "libm"])
def test_shim_exports_every_host_pair(shim_dir, key):
    d, builds = shim_dir
    built = builds[key]
    host = readelf_exports(built.library_path)
    shim = readelf_exports(built.output)
    ns3 = {(f"{e}@@NS3", "FUNC", 0) for e in built.plan.entries}
    print(f"{key}: host {len(host)} pairs, shim {len(shim)} exports "
          f"({len(shim - ns3)} host pairs + {len(ns3)} NS3), excluded {len(built.plan.excluded)}")
    assert built.plan.excluded == ()
    assert shim - ns3 == host
    assert ns3 <= shim
    if key == "libc":
        assert len(host) == len(from_elf(read_elf(HOST_LIBC)).pairs)
        sizes = {size for label, kind, size in shim if label.startswith("sys_errlist@")}
        assert len(sizes) == 4  # one storage per version, each of the host's size
    assert read_elf(built.output).undefined() == () or all(
        not s.name for s in read_elf(built.output).undefined())
    assert read_elf(built.output).soname == BY_KEY[key].soname
    assert read_elf(built.output).needed == ()


def test_slot_table_starts_with_the_policy_table(shim_dir, policy):
    _, builds = shim_dir
    plan = builds["libc"].plan
    table = policy.table()
    assert [s.name for s in plan.slots[: len(table)]] == [e.name for e in table]
    # the raw DCE 1.12 table gives its 562 entries the first 562 slots: DCE's struct Libc
    raw = plan_shim(BY_KEY["libc"], plan.host, load_policy(None))
    assert [s.name for s in raw.slots[:562]] == [e.name for e in load_policy(None).table()]
    assert len({(s.name, s.version) for s in plan.slots if s.version}) == sum(
        1 for s in plan.slots if s.version)


def test_verification_rejects_a_shim_that_lost_a_pair(tmp_path, policy, host_libc):
    plan = plan_shim(BY_KEY["libm"], from_elf(read_elf("/lib/x86_64-linux-gnu/libm.so.6")), policy)
    sources = write_sources(plan, "x86_64", str(tmp_path / "src"))
    script = tmp_path / "src" / "libm-ns3.version"
    text = script.read_text()
    assert "\tcbrtf;\n" in text
    script.write_text(text.replace("\tcbrtf;\n", "", 1))
    built = cffi_compile(plan, sources, str(tmp_path / "build"))
    with pytest.raises(ShimError) as err:
        verify(plan, built)
    assert "missing cbrtf@@GLIBC_2.2.5 FUNC" in str(err.value)


def test_header_and_cdef_describe_the_same_table(shim_dir, gcc, tmp_path):
    import cffi

    d, builds = shim_dir
    built = builds["libc"]
    src = built.sources.directory
    ffi = cffi.FFI()
    with open(os.path.join(src, "libc-ns3.cdef")) as f:
        ffi.cdef(f.read())
    enum = dict(ffi.typeof("enum libc_slot").relements)
    strlen = next(s for s in built.plan.slots if s.name == "strlen")
    memcpy_old = next(s for s in built.plan.slots if s.label == "memcpy@GLIBC_2.2.5")
    assert enum["libc_slot_strlen"] == strlen.index
    assert enum["libc_slot_memcpy__GLIBC_2_2_5"] == memcpy_old.index
    assert enum["libc_slot_count"] == len(built.plan.slots)
    # the header as a simulator would include it: list the slots through the X-macro
    prog = tmp_path / "slots.c"
    prog.write_text(
        '#include <stdio.h>\n#include "libc-ns3-slots.h"\n'
        '#define PRINT(i, ident, name, version, dflt, cls) '
        'printf("%d %s %s %s\\n", i, name, version ? version : "-", cls);\n'
        "int main(void) { ELFDCE_SLOTS(PRINT) return 0; }\n")
    compile_c(str(tmp_path / "slots"), "-I", src, str(prog), compiler=gcc)
    lines = subprocess.run([str(tmp_path / "slots")], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    assert lines == [f"{s.index} {s.name} {s.version or '-'} {s.cls}" for s in built.plan.slots]


@pytest.fixture(scope="module")
def session(shim_dir):
    """The libc shim in a dlmopen namespace of this very process, filled from Python (one
    namespace for the module: glibc allows only a few per process)."""
    from elfdce.shim import demo
    from elfdce.shim.runtime import Session

    d, _ = shim_dir
    session = Session(demo.CDEF)
    shim = session.load_shim(os.path.join(d, "libc-ns3.so"))
    report = session.fill(shim, demo.OVERRIDES, argv0="/bin/example")
    return session, shim, report


class TestInProcess:
    """Calls through the shim's exported symbols, in this process."""

    def exported(self, session, shim, name, version, ctype):
        ptr = session.C.dlvsym(shim.handle, name.encode(), version.encode())
        assert ptr != session.ffi.NULL, f"{name}@{version} not exported by the shim"
        return session.ffi.cast(ctype, ptr)

    def test_native_functions_give_the_host_result(self, session):
        session, shim, report = session
        ffi = session.ffi
        strlen = self.exported(session, shim, "strlen", "GLIBC_2.2.5", "size_t(*)(const char *)")
        assert strlen(b"elfdce shim") == 11
        snprintf = self.exported(session, shim, "snprintf", "GLIBC_2.2.5",
                                 "int(*)(char *, size_t, const char *, ...)")
        host = ffi.cast("int(*)(char *, size_t, const char *, ...)",
                        session.host_symbol("libc.so.6", "snprintf", "GLIBC_2.2.5"))
        fmt = b"%s %d %ld %.4f %e %g %c %x %10.3f %s %u %f"
        args = (ffi.new("char[]", b"many"), ffi.cast("int", -3),
                ffi.cast("long", 1 << 40), ffi.cast("double", 3.14159265),
                ffi.cast("double", 6.02e23), ffi.cast("double", 1 / 3),
                ffi.cast("int", ord("z")), ffi.cast("int", 48879), ffi.cast("double", -2.5),
                ffi.new("char[]", b"end"), ffi.cast("unsigned int", 7), ffi.cast("double", 0.125))
        via_shim, direct = ffi.new("char[256]"), ffi.new("char[256]")
        n = snprintf(via_shim, 256, fmt, *args)
        assert n == host(direct, 256, fmt, *args)
        expected = (f"many -3 {1 << 40} 3.1416 {6.02e23:e} {1 / 3:g} z beef {-2.5:10.3f} end 7 "
                    "0.125000")
        assert ffi.string(via_shim).decode() == ffi.string(direct).decode() == expected
        # every versioned slot of a non-DCE class without an override gets the host function
        # (how many: the host libc's count, 2463 for glibc 2.36, 1924 for 2.31)
        from elfdce.shim import demo

        native = [x for x in shim.slots
                  if x.version is not None and x.cls != "DCE" and x.name not in demo.OVERRIDES]
        assert report.native == len(native) > 1000 and report.trapped > 0, report

    def test_dce_functions_give_the_python_callback(self, session):
        from elfdce.shim import demo

        session, shim, report = session
        getpid = self.exported(session, shim, "getpid", "GLIBC_2.2.5", "int(*)(void)")
        assert getpid() == demo.SIMULATED_PID != os.getpid()
        time_fn = self.exported(session, shim, "time", "GLIBC_2.2.5", "long(*)(long *)")
        assert time_fn(session.ffi.NULL) == demo.SIMULATED_EPOCH
        # clock_gettime has two versions: both slots call the override
        assert report.overridden == 5

    def test_data_objects_hold_the_host_values(self, session):
        session, shim, _ = session
        ffi = session.ffi
        by_label = {(d.name, d.version): d for d in shim.data}
        stdout = by_label[("stdout", "GLIBC_2.2.5")]
        host = ffi.cast("void **", session.host_symbol("libc.so.6", "stdout", "GLIBC_2.2.5"))
        assert ffi.cast("void **", stdout.address)[0] == host[0] != ffi.NULL
        sizes = {d.size for d in shim.data if d.name == "sys_errlist"}
        assert len(sizes) == 4
        for d in shim.data:
            if d.name == "sys_errlist":
                h = session.host_symbol("libc.so.6", d.name, d.version)
                assert ffi.buffer(ffi.cast("char *", d.address), d.size)[:] == \
                    ffi.buffer(ffi.cast("char *", h), d.size)[:]
        name = by_label[("program_invocation_short_name", "GLIBC_2.2.5")]
        assert ffi.string(ffi.cast("char **", name.address)[0]) == b"example"

    def test_setup_refuses_a_table_of_the_wrong_size(self, session):
        session, shim, _ = session
        ffi = session.ffi
        setup = ffi.cast("const struct elfdce_shim_info *(*)(void *const *, unsigned long)",
                         session.C.dlsym(shim.handle, b"libc_setup"))
        table = ffi.new("void *[]", len(shim.slots) + 1)
        assert setup(table, len(shim.slots) + 1) == ffi.NULL


# -- elfdce run ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def programs(tmp_path_factory, gcc):
    d = tmp_path_factory.mktemp("programs")
    out = {}
    for name in ("shim_clock", "shim_native", "old_pthread"):
        out[name] = str(d / name)
        # old_pthread calls pthread_*: libpthread's before glibc 2.34 (-lpthread)
        libs = ["-lpthread"] if name == "old_pthread" else []
        compile_c(out[name], "-pie", "-fPIE", "-O1", os.path.join(PROGRAMS, f"{name}.c"),
                  *libs, compiler=gcc)
    out["stripped"] = str(d / "shim_native_stripped")
    shutil.copy(out["shim_native"], out["stripped"])
    subprocess.run(["strip", out["stripped"]], check=True)
    out["rdynamic"] = str(d / "shim_native_rdynamic")
    compile_c(out["rdynamic"], "-pie", "-fPIE", "-rdynamic", "-O1",
              os.path.join(PROGRAMS, "shim_native.c"), compiler=gcc)
    out["nopie"] = str(d / "shim_native_nopie")
    compile_c(out["nopie"], "-no-pie", "-fno-PIE", "-O1", os.path.join(PROGRAMS, "shim_native.c"),
              compiler=gcc)
    return out


def elfdce_run(shim: str, program: str, *args: str, options=(), env=None, cache=None):
    env = dict(os.environ if env is None else env)
    if cache:
        env["XDG_CACHE_HOME"] = cache
    return subprocess.run(
        [sys.executable, "-m", "elfdce", "run", "--shim", shim, *options, program, *args],
        capture_output=True, text=True, timeout=120, env=env)


def test_run_shows_the_simulated_pid_and_clock(shim_dir, programs, tmp_path):
    from elfdce.shim import demo

    d, _ = shim_dir
    proc = elfdce_run(d, programs["shim_clock"], cache=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    e = demo.SIMULATED_EPOCH
    # one reading per call, each advancing the simulated clock by 1 ms
    assert proc.stdout.splitlines() == [
        f"pid={demo.SIMULATED_PID}", f"time={e}", f"gettimeofday={e}.001000",
        f"clock_gettime={e}.002000000"]
    native = subprocess.run([programs["shim_clock"]], capture_output=True, text=True)
    assert native.stdout.splitlines()[0] != f"pid={demo.SIMULATED_PID}"


@pytest.mark.parametrize("variant", ["shim_native", "stripped", "rdynamic"])
def test_run_prints_what_the_program_prints_natively(shim_dir, programs, tmp_path, variant):
    d, _ = shim_dir
    env = dict(os.environ, ELFDCE_PROBE="yes")
    native = subprocess.run([programs[variant], "one", "last"], capture_output=True, text=True,
                            env=env)
    proc = elfdce_run(d, programs[variant], "one", "last", env=env, cache=str(tmp_path),
                      options=["--verbose"])
    assert native.returncode == 3
    assert (proc.returncode, proc.stdout) == (3, native.stdout), proc.stderr
    assert "open=-1 errno=2 (No such file or directory)" in proc.stdout
    assert "getenv=yes environ=1 argc=3" in proc.stdout
    assert "stderr object" in proc.stderr
    how = {"shim_native": ".symtab", "stripped": "entry code", "rdynamic": "dynamic symbol"}
    assert f"({how[variant]})" in proc.stderr


def test_find_main_agrees_on_every_route(programs):
    from elfdce.shim.program import find_main

    want = find_main(programs["shim_native"])
    assert want.how == ".symtab"
    # stripping changes no address: the entry code must lead to the same main
    assert find_main(programs["stripped"]) == want._replace(how="entry code")
    assert find_main(programs["rdynamic"]).how == "dynamic symbol"


def test_run_an_old_version_reference(shim_dir, programs, tmp_path):
    d, _ = shim_dir
    needed = readelf_dyn_syms([programs["old_pthread"]]).decode()
    assert "pthread_create@GLIBC_2.2.5" in needed
    proc = elfdce_run(d, programs["old_pthread"], cache=str(tmp_path))
    assert (proc.returncode, proc.stdout) == (0, "thread sees 42\njoined 42\n"), proc.stderr


def test_run_overrides_are_pluggable_and_strict_traps(shim_dir, programs, tmp_path):
    d, _ = shim_dir
    module = tmp_path / "mine.py"
    module.write_text('OVERRIDES = {"getpid": ("int(void)", lambda: 7)}\n')
    proc = elfdce_run(d, programs["shim_clock"], options=["--overrides", str(module)],
                      cache=str(tmp_path))
    assert proc.returncode == 0 and proc.stdout.startswith("pid=7\n"), proc.stderr
    # without an override, a DCE function (time) under --strict hits the trap: exit 127
    proc = elfdce_run(d, programs["shim_clock"], options=["--overrides", str(module), "--strict"],
                      cache=str(tmp_path))
    assert proc.returncode == 127  # the trap names the function and version
    assert "elfdce run: time@@GLIBC_2.2.5: a DCE-class function without an override" in proc.stderr


def test_run_bad_inputs_exit_2(shim_dir, programs, tmp_path):
    d, _ = shim_dir
    proc = elfdce_run(str(tmp_path), programs["shim_clock"])
    assert proc.returncode == 2 and "no libc-ns3.so" in proc.stderr
    notelf = tmp_path / "notelf"
    notelf.write_text("#!/bin/sh\n")
    proc = elfdce_run(d, str(notelf))
    assert proc.returncode == 2 and "not an ELF file" in proc.stderr
    proc = elfdce_run(d, programs["nopie"], cache=str(tmp_path))
    assert proc.returncode == 2 and "not position-independent (ET_EXEC)" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_run_timeout(shim_dir, tmp_path):
    d, _ = shim_dir
    proc = elfdce_run(d, shutil.which("sleep"), "30", options=["--timeout", "2"],
                      cache=str(tmp_path))
    assert proc.returncode == 124 and "timed out after 2 s" in proc.stderr


def test_cli_shim_build_reports_counts(tmp_path, host_libc):
    proc = subprocess.run(
        [sys.executable, "-m", "elfdce", "shim", "build", "--lib", "libm", "-o",
         str(tmp_path / "libm-ns3.so")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    n = len(from_elf(read_elf("/lib/x86_64-linux-gnu/libm.so.6")).pairs)
    assert f"exports {n} of {n} host pairs" in proc.stdout
    assert "0 excluded" in proc.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "elfdce", "shim", "build", "--lib", "libm", "--policy",
         str(tmp_path / "missing.tsv")], capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


# -- aarch64 -----------------------------------------------------------------------------------


def test_aarch64_shim_builds_and_matches_the_aarch64_libc(tmp_path):
    import capstone

    from elfdce.shim.build import cross_compiler

    require_package("gcc-aarch64-linux-gnu", cross_compiler("aarch64") is not None)
    libc = os.path.join(AARCH64_ROOT, "lib", "libc.so.6")
    policy = complete_policy(load_policy(None), host_libraries(AARCH64_ROOT))
    built = build_shim("libc", policy, str(tmp_path / "libc-ns3.so"), sysroot=AARCH64_ROOT)
    assert built.library_path == libc
    elf = read_elf(built.output)
    assert elf.header.machine == 183
    ns3 = {(f"{e}@@NS3", "FUNC", 0) for e in built.plan.entries}
    assert readelf_exports(built.output) - ns3 == readelf_exports(libc)
    # each trampoline loads its own slot: adrp x16 / ldr x16, [x16, lo12] / br x16
    slots_addr = next(s.value for s in read_static_symbols(built.output)
                      if s.name == "__elfdce_slots")
    md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    md.detail = True
    data = open(built.output, "rb").read()
    text = next(s for s in elf.sections if s.name == ".text")
    by_name = {s.name: s for s in elf.defined() if s.version and s.version.name == "GLIBC_2.17"}
    checked = 0
    for slot in built.plan.slots[:600]:
        if slot.version != "GLIBC_2.17" or slot.name not in by_name or not slot.default:
            continue
        addr = by_name[slot.name].value
        off = text.offset + addr - text.addr
        ins = list(md.disasm(data[off:off + 12], addr))
        assert [i.mnemonic for i in ins] == ["adrp", "ldr", "br"], slot.label
        page, lo12 = ins[0].operands[1].imm, ins[1].operands[1].mem.disp
        assert page + lo12 == slots_addr + 8 * slot.index, slot.label
        checked += 1
    assert checked > 100


@pytest.fixture(scope="module")
def full_shims(tmp_path_factory) -> str:
    """All five shims from the default policy (libstdc++ needs libm's too)."""
    d = tmp_path_factory.mktemp("allshims")
    r = subprocess.run([sys.executable, "-m", "elfdce", "shim", "build", "--all", "-o", str(d)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return str(d)


def test_run_cxx_exceptions_rtti_and_static_objects(full_shims, tmp_path):
    prog = str(tmp_path / "cxx")
    subprocess.run(["g++", "-O1", "-fPIE", "-pie", "-o", prog,
                    os.path.join(PROGRAMS, "cxx_exceptions.cc")], check=True)
    native = subprocess.run([prog], capture_output=True, text=True, timeout=60)
    proc = elfdce_run(full_shims, prog, options=["--overrides", ""], cache=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == native.stdout
    assert "caught St12out_of_range: too big\n42 3.5 ok\n" in proc.stdout
    assert proc.stdout.endswith("destroyed\n")


def test_run_keeps_the_shared_state_of_program_and_libc(full_shims, tmp_path, gcc):
    prog = str(tmp_path / "state")
    compile_c(prog, "-O1", "-fPIE", "-pie", os.path.join(PROGRAMS, "shared_state.c"), compiler=gcc)
    args = ["-c", "5", "-v", "operand"]
    env = dict(os.environ, TZ="UTC")
    native = subprocess.run([prog, *args], capture_output=True, text=True, timeout=60, env=env)
    proc = elfdce_run(full_shims, prog, *args, options=["--overrides", ""], env=env,
                      cache=str(tmp_path))
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        native.returncode, native.stdout, native.stderr)
    assert "option c optarg=5 optind=3\n" in proc.stdout and "first operand: operand" in proc.stdout
    assert "environ has it: 1, getenv: yes" in proc.stdout and "tzname: EST EDT" in proc.stdout
    assert proc.stderr == f"{prog}: done: No such file or directory\n" and proc.returncode == 3


def test_run_failures_say_what_and_where(full_shims, tmp_path, gcc):
    libc = subprocess.run([gcc, "-print-file-name=libc.so.6"], capture_output=True,
                          text=True).stdout.strip()
    proc = elfdce_run(full_shims, os.path.realpath(libc))
    assert proc.returncode == 2 and "a shared library, not a program" in proc.stderr
    src = tmp_path / "segv.c"
    src.write_text("#include <signal.h>\nint main(void) { raise(SIGSEGV); return 0; }\n")
    prog = str(tmp_path / "segv")
    compile_c(prog, "-fPIE", "-pie", str(src), compiler=gcc)
    proc = elfdce_run(full_shims, prog, options=["--overrides", ""], cache=str(tmp_path))
    assert proc.returncode == 128 + 11 and f"{prog} killed by SIGSEGV" in proc.stderr
    for text, expected in (
            ('OVERRIDES = {"getpdi": ("int(void)", lambda: 1)}\n', "no shim exports getpdi"),
            ('OVERRIDES = {"getpid": ("int(void", lambda: 1)}\n', "bad C function type"),
            ("import no_such_module\n", "ModuleNotFoundError"),
    ):
        module = tmp_path / "ov.py"
        module.write_text(text)
        proc = elfdce_run(full_shims, prog, options=["--overrides", str(module)],
                          cache=str(tmp_path))
        assert proc.returncode == 2 and expected in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    proc = elfdce_run(full_shims, prog, options=["--overrides", str(tmp_path / "none.py")])
    assert proc.returncode == 2 and "no such file" in proc.stderr
    # options after PROGRAM are the program's
    proc = elfdce_run(full_shims, shutil.which("uname"), "-s", options=["--overrides", ""],
                      cache=str(tmp_path))
    assert (proc.returncode, proc.stdout) == (0, "Linux\n"), proc.stderr


def test_run_ends_what_the_program_leaves_running(full_shims, tmp_path, gcc):
    src = tmp_path / "daemon.c"
    src.write_text("#include <unistd.h>\n#include <stdio.h>\n"
                   "int main(void) { if (fork() == 0) { setsid(); sleep(60); return 0; }"
                   " puts(\"parent\"); return 0; }\n")
    prog = str(tmp_path / f"daemon-{os.getpid()}")
    compile_c(prog, "-fPIE", "-pie", str(src), compiler=gcc)
    proc = elfdce_run(full_shims, prog, options=["--overrides", ""], cache=str(tmp_path))
    assert (proc.returncode, proc.stdout) == (0, "parent\n")
    name = os.path.basename(prog).encode()
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if name in f.read():
                    left.append(pid)
        except OSError:
            continue
    assert left == [], "a setsid child outlived run"
