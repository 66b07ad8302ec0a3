"""`preflight`, `table` and `diff` on programs compiled here, real Debian binaries and the host's
libraries."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
from conftest import HOST_GLIBC, HOST_MERGED, compile_c, reference_file, require_package, run_cli

import elfdce
from elfdce.exports import from_elf
from elfdce.exports.abilist import format_abilist
from elfdce.glibc.libs import FIVE
from elfdce.policy.host import (
    complete_policy,
    default_policy_path,
    host_libraries,
    load_policy,
)
from elfdce.policy.model import MACROS, Policy, PolicyEntry
from elfdce.policy.tsv import parse_tsv, read_policy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "csrc", "programs")
DCE_112 = default_policy_path()
CFLAGS = ["-O1", "-fno-stack-protector", "-U_FORTIFY_SOURCE", "-D_FORTIFY_SOURCE=0"]


elfdce_cli = run_cli


def build(tmp_path, source: str, *flags: str) -> str:
    out = str(tmp_path / os.path.splitext(source)[0])
    # net_threads calls pthread_*: libpthread's before glibc 2.34, which need -lpthread (from
    # 2.34 libpthread.a is empty and the program needs nothing more)
    libs = ["-lpthread"] if source == "net_threads.c" else []
    compile_c(out, *CFLAGS, *flags, os.path.join(SRC, source), *libs)
    return out


def verdicts(report: dict, importer: str) -> dict[str, str]:
    return {(f"{i['name']}@{i['version']}" if i["version"] else i["name"]): i["verdict"]
            for i in report["imports"] if i["importer"] == importer}


# pthread_create's default version: libc's GLIBC_2.34 from glibc 2.34, libpthread's before
PTHREAD = "GLIBC_2.34" if HOST_MERGED else "GLIBC_2.2.5"
BOILERPLATE = {  # what gcc's start files import in every program
    # glibc 2.34 gave __libc_start_main a new version (the start files call it)
    f"__libc_start_main@{'GLIBC_2.34' if HOST_MERGED else 'GLIBC_2.2.5'}": "NATIVE", "__cxa_finalize@GLIBC_2.2.5": "DCE",
    "_ITM_deregisterTMCloneTable": "weak", "_ITM_registerTMCloneTable": "weak",
    "__gmon_start__": "weak",
}


def test_pie_with_sockets_threads_and_data(tmp_path):
    prog = build(tmp_path, "net_threads.c", "-fPIC", "-pie")
    proc = elfdce_cli("preflight", "--json", prog)
    # every import binds, and a prepared DCE tree clears the DF_1_PIE gcc sets (which glibc
    # >= 2.30 refuses) and finds main in the entry code: it runs
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["pie"] == "pie" and report["ok"] and report["verdict"] == "runs"
    assert report["main"] == "entry code" and report["prepared"]
    assert verdicts(report, prog) == {
        **BOILERPLATE,
        "socket@GLIBC_2.2.5": "DCE", "close@GLIBC_2.2.5": "DCE", "getopt@GLIBC_2.2.5": "DCE",
        f"pthread_create@{PTHREAD}": "DCE", f"pthread_join@{PTHREAD}": "DCE",
        "fprintf@GLIBC_2.2.5": "NATIVE", "optarg@GLIBC_2.2.5": "DATA",
        "stdout@GLIBC_2.2.5": "DATA",
    }
    assert report["summary"].startswith(
        "net_threads: 13 imports — 6 DCE, 2 NATIVE, 2 DATA, 0 missing, 3 weak")
    assert [lib["needed"] for lib in report["libraries"]] == (
        [] if HOST_MERGED else ["libpthread.so.0"]) + ["libc.so.6", "ld-linux-x86-64.so.2"]


def test_the_same_program_under_dce_as_it_is(tmp_path):
    """Checked for a DCE tree not prepared by elfdce: DCE 1.12 finds no main in a program
    linked without -rdynamic, and would not dlopen the PIE; with -rdynamic, only the flag."""
    from elfdce.policy.host import complete_policy, host_libraries, load_policy
    from elfdce.preflight import Setting, preflight

    policy = complete_policy(load_policy(None), host_libraries())
    unprepared = Setting(True, False, False)
    plain = preflight(build(tmp_path, "net_threads.c", "-fPIC", "-pie"), policy)
    v = plain.verdict(unprepared)
    assert v.state == "will not start" and v.reason.startswith("main is not exported")
    assert any(h.startswith("needs fix-pie: DF_1_PIE is set") for h in v.hazards)
    exported = preflight(build(tmp_path, "net_threads.c", "-fPIC", "-pie", "-rdynamic"), policy)
    assert exported.info.main == "exported"
    assert exported.verdict(unprepared).state == "needs fix-pie"
    assert exported.verdict(unprepared._replace(prepared=True)).state == "runs"


def test_copy_relocations_of_a_plain_pie(tmp_path):
    from elfdce.policy.host import complete_policy, host_libraries, load_policy
    from elfdce.preflight import Setting, preflight

    prog = build(tmp_path, "net_threads.c", "-fPIE", "-pie")
    report = json.loads(elfdce_cli("preflight", "--json", prog).stdout)
    assert set(report["copy_relocations"]) == {"stdout", "optarg"}
    # a prepared tree adopts the program's copies of stdout and optarg (DCE's getopt keeps
    # its process's optarg through the pointer): nothing to warn about
    assert report["verdict"] == "runs", report["hazards"]
    # DCE as it is writes its own objects, never the program's copies
    policy = complete_policy(load_policy(None), host_libraries())
    v = preflight(prog, policy).verdict(Setting(True, False, False))
    assert any(h.startswith("copies stdout, optarg at load time: DCE 1.12 writes its own")
               for h in v.hazards), v


def test_non_pie_program(tmp_path):
    prog = build(tmp_path, "net_threads.c", "-fno-pie", "-no-pie")
    proc = elfdce_cli("preflight", prog)
    assert proc.returncode == 1
    assert "ET_EXEC: not position-independent" in proc.stdout
    assert json.loads(elfdce_cli("preflight", "--json", prog).stdout)["pie"] == "exec"


def test_function_the_policy_lacks(tmp_path):
    prog = build(tmp_path, "uses_strverscmp.c", "-fPIE", "-pie")
    proc = elfdce_cli("preflight", "--policy", DCE_112, "--suggest", prog)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0] == ("will not start: 1 missing import (no object exports it, or the "
                        "policy has no entry so the replacement will not)")
    assert lines[1] == "  missing from libc.so.6: strverscmp@GLIBC_2.2.5"
    assert lines[2] == ("uses_strverscmp: 6 imports — 1 DCE, 1 NATIVE, 1 missing, 3 weak: "
                        "strverscmp@GLIBC_2.2.5")
    assert f"strverscmp\tNATIVE\tNATIVE\t\t\tmissing in {prog}" in proc.stdout
    report = json.loads(elfdce_cli("preflight", "--json", "--policy", DCE_112, prog).stdout)
    assert verdicts(report, prog) == {**BOILERPLATE, "strverscmp@GLIBC_2.2.5": "missing"}
    # the default policy (DCE 1.12 completed for this host) has it: NATIVE, forwarded to the
    # host, which is right for it (its footprint makes no system call): it runs
    proc = elfdce_cli("preflight", prog)
    assert proc.returncode == 0 and proc.stdout.startswith("runs: "), proc.stdout


def test_library_search_follows_the_loader(tmp_path, versioned_lib, versioned_program):
    proc = elfdce_cli("preflight", "--json", versioned_program)
    report = json.loads(proc.stdout)
    assert proc.returncode == 1
    assert {"needed": "libversioned.so.1", "path": None, "how": "not found",
            "needed_by": versioned_program} in report["libraries"]
    here = os.path.dirname(versioned_lib)
    report = json.loads(elfdce_cli("preflight", "--json", "--library-path", here,
                                   versioned_program).stdout)
    lib = next(x for x in report["libraries"] if x["needed"] == "libversioned.so.1")
    assert lib["path"] == versioned_lib and lib["how"] == "LD_LIBRARY_PATH"
    v = verdicts(report, versioned_program)
    assert v["foo@V1"] == v["foo@V2"] == "external"
    # RUNPATH with $ORIGIN finds it without help
    prog = tmp_path / "with_runpath"
    subprocess.run(["gcc", "-O1", "-o", str(prog), os.path.join(ROOT, "csrc", "testlib",
                    "uses_versions.c"), versioned_lib, f"-Wl,-rpath,$ORIGIN/../{os.path.basename(here)}",
                    "-Wl,--enable-new-dtags"], check=True, cwd=tmp_path)
    os.symlink(here, tmp_path.parent / os.path.basename(here)) if not os.path.exists(
        tmp_path.parent / os.path.basename(here)) else None
    report = json.loads(elfdce_cli("preflight", "--json", str(prog)).stdout)
    lib = next(x for x in report["libraries"] if x["needed"] == "libversioned.so.1")
    assert lib["how"] == "runpath" and lib["path"] is not None


@pytest.mark.parametrize("binary", ["/usr/bin/iperf", "/usr/bin/ping", "/bin/nc.openbsd"])
def test_real_debian_programs_list_every_import(binary):
    package = {"/usr/bin/iperf": "iperf", "/usr/bin/ping": "iputils-ping",
               "/bin/nc.openbsd": "netcat-openbsd"}[binary]
    require_package(package, os.path.exists(binary), binary)
    proc = elfdce_cli("preflight", "--json", "--policy", DCE_112, binary)
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    replaced = {lib.soname for lib in FIVE}
    checked = copied = 0
    for lib in [{"path": binary}] + report["libraries"]:
        path = lib["path"]
        assert path is not None, lib
        soname = elfdce.scan(path).soname
        if soname in replaced or (soname or "").startswith("ld-linux"):
            continue
        # readelf's count of undefined entries (the null entry left out), and of the COPY
        # relocations: the program's copies of library data are bound like imports
        out = subprocess.run(["readelf", "--dyn-syms", "-W", path], capture_output=True,
                             text=True, check=True).stdout
        und = sum(1 for line in out.splitlines() if " UND " in line) - 1
        relocs = subprocess.run(["readelf", "-r", "-W", path], capture_output=True,
                                text=True, check=True).stdout
        copies = len(re.findall(r"^\S+\s+\S+\s+R_\w+_COPY\s", relocs, re.M))
        copied += copies
        assert sum(1 for i in report["imports"] if i["importer"] == path) == und + copies, path
        checked += 1
    assert checked >= 1 and copied >= 1  # each copies stdout or stderr: the rule is exercised
    if binary.endswith("iperf"):  # the functions DCE users report missing for iperf
        missing = {i["name"] for i in report["imports"] if i["verdict"] == "missing"}
        imported = {i["name"] for i in report["imports"] if i["importer"] == binary}
        reported = {"__fdelt_chk", "clock_nanosleep", "expf", "round", "mlockall",
                    "sched_setscheduler"} & imported  # bullseye's iperf 2.0.14 has no expf, round
        assert {"__fdelt_chk", "clock_nanosleep", "mlockall", "sched_setscheduler"} <= reported
        assert reported <= missing


def test_bad_input(tmp_path):
    proc = elfdce_cli("preflight", "/nonexistent/prog")
    assert proc.returncode == 2 and proc.stderr == "elfdce preflight: /nonexistent/prog: no such file\n"
    text = tmp_path / "notelf"
    text.write_text("hello")
    proc = elfdce_cli("preflight", str(text))
    assert proc.returncode == 2 and "not an ELF file" in proc.stderr
    bad = tmp_path / "bad.tsv"
    bad.write_text("# elfdce policy 1\nsocket\tDCE\tDCE\nbind\tSIMULATED\n")
    proc = elfdce_cli("preflight", "--policy", str(bad), "/bin/true")
    assert proc.returncode == 2
    assert proc.stderr == (f"elfdce preflight: {bad}:3: class 'SIMULATED' is not one of DCE, "
                           "NATIVE, DATA, TLS, IFUNC, PRIVATE, UNSUPPORTED\n")
    assert "Traceback" not in proc.stderr


# --- table -------------------------------------------------------------------------------


def test_shipped_policy_is_dces_112_table():
    path = reference_file("ns-3-dce-1.12-libc-ns3.tsv")
    entries = []
    for line in open(path):
        if line.startswith(("#", "macro\t")):
            continue
        macro, name, extra, guard = (line.rstrip("\n").split("\t") + [""] * 4)[:4]
        parts = extra.split("|") if extra else []
        if macro == "NATIVE_EXPLICIT":  # one function type: the reference wrote its commas as |
            parts = [", ".join(parts)]
        entries.append(PolicyEntry(name, MACROS[macro][0], macro, tuple(parts), guard or None))
    assert read_policy(DCE_112) == Policy(tuple(entries))


def test_table_completes_the_policy_for_the_host(host_libc):
    proc = elfdce_cli("table")
    assert proc.returncode == 0
    table = parse_tsv(proc.stdout)
    base = load_policy(None)
    assert table.entries[: len(base.entries)] == base.entries  # DCE's layout kept
    names = set(table.by_name())
    libc = from_elf(elfdce.scan(host_libc))
    assert {p.name for p in libc.pairs} <= names
    classes = {e.name: e.cls for e in table.entries}
    assert classes["strverscmp"] == "NATIVE" and classes["stdin"] == "DATA"
    assert classes["errno"] == "TLS" and classes["memcpy"] == "NATIVE"  # DCE's own entry
    ifuncs = {p.name for p in libc.pairs if p.kind == "GNU_IFUNC"} - set(base.by_name())
    assert ifuncs and {classes[n] for n in ifuncs} == {"IFUNC"}
    private_only = sorted({p.name for p in libc.pairs if p.kind != "TLS"}
                          - {p.name for p in libc.pairs if p.version != "GLIBC_PRIVATE"})
    by_name = table.by_name()  # (an alias of a table entry has the entry's class)
    assert private_only and {by_name[n].cls for n in private_only
                             if n not in base.by_name()} == {"PRIVATE"}
    # the stale report
    assert "compat-only: __secure_getenv: only compat versions: GLIBC_2.2.5" in proc.stderr
    moved = ("moved: pthread_create: now pthread_create@@GLIBC_2.34 in libc.so.6 "
             "(old versions kept as compat: GLIBC_2.2.5)")
    assert (moved in proc.stderr) == HOST_MERGED  # glibc 2.34 moved it out of libpthread
    assert "missing: dce_global_variables_setup: not exported" in proc.stderr


def test_table_formats_agree(tmp_path):
    from elfdce.policy.xmacro import parse_xmacro

    tsv = parse_tsv(elfdce_cli("table").stdout)
    header = parse_xmacro(elfdce_cli("table", "--format", "xmacro").stdout)
    assert [e.name for e in header.entries] == [e.name for e in tsv.table()]
    doc = json.loads(elfdce_cli("table", "--format", "json").stdout)
    assert doc["schema_version"] == 1
    assert [e["name"] for e in doc["entries"]] == [e.name for e in tsv.entries]
    out = tmp_path / "t.tsv"
    assert elfdce_cli("table", "-o", str(out)).returncode == 0
    assert parse_tsv(out.read_text()) == tsv


def test_complete_policy_covers_every_export():
    libs = host_libraries()
    policy = complete_policy(Policy(()), libs)
    names = set(policy.by_name())
    for lib in libs:
        assert {p.name for p in lib.exports.pairs} <= names


# --- diff --------------------------------------------------------------------------------


def test_diff_against_own_abilist_and_an_edited_copy(tmp_path, host_libc):
    abilist = tmp_path / "libc.abilist"
    abilist.write_text(elfdce_cli("scan", "--format", "abilist", host_libc).stdout)
    assert abilist.read_text() == format_abilist(from_elf(elfdce.scan(host_libc)))
    same = elfdce_cli("diff", host_libc, str(abilist))
    assert same.returncode == 0 and "no changes" in same.stdout
    lines = abilist.read_text().splitlines()
    edited = [ln for ln in lines if ln != "GLIBC_2.2.5 abort F"]
    edited = [ln.replace("GLIBC_2.2.5 stdin D 0x8", "GLIBC_2.2.5 stdin D 0x10") for ln in edited]
    edited.append("GLIBC_2.99 frobnicate F")
    (tmp_path / "edited").write_text("\n".join(edited) + "\n")
    proc = elfdce_cli("diff", "--json", host_libc, str(tmp_path / "edited"))
    assert proc.returncode == 1
    changes = [(c["kind"], c["name"], c["old"], c["new"], c["policy"])
               for c in json.loads(proc.stdout)["changes"]]
    assert changes == [
        ("removed", "abort", "abort GLIBC_2.2.5", None, "DCE"),
        ("changed", "stdin", "stdin GLIBC_2.2.5 OBJECT 8", "stdin GLIBC_2.2.5 OBJECT 16", None),
        ("added", "frobnicate", None, "frobnicate GLIBC_2.99", None),
    ]


def test_diff_between_two_libraries_reports_moves(tmp_path, versioned_lib, gcc):
    # a "new" version of the library: foo's default moves to V3, table loses its default
    src = tmp_path / "new.c"
    src.write_text('int foo_v1(void) { return 1; }\nint foo_v3(void) { return 3; }\n'
                   '__asm__(".symver foo_v1, foo@V1");\n__asm__(".symver foo_v3, foo@@V3");\n'
                   'long long table_v1[1];\n__asm__(".symver table_v1, table@V1");\n')
    (tmp_path / "new.map").write_text("V1 { global: foo; table; local: *; };\n"
                                      "V2 { } V1;\nV3 { global: foo; } V2;\n")
    new = tmp_path / "libnew.so"
    compile_c(str(new), "-shared", "-fPIC", "-nostdlib", str(src),
              f"-Wl,--version-script={tmp_path / 'new.map'}", compiler=gcc)
    proc = elfdce_cli("diff", "--json", versioned_lib, str(new))
    assert proc.returncode == 1
    changes = {(c["kind"], c["name"]) for c in json.loads(proc.stdout)["changes"]}
    assert ("moved", "foo") in changes and ("compat-only", "table") in changes
    assert ("removed", "fast") in changes and ("added", "foo") in changes


def test_diff_bad_input(tmp_path, host_libc):
    proc = elfdce_cli("diff", host_libc, "/nonexistent")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    bad = tmp_path / "bad.abilist"
    bad.write_text("GLIBC_2.2.5 abort F\nnonsense\n")
    proc = elfdce_cli("diff", host_libc, str(bad))
    assert proc.returncode == 2 and f"{bad}:2: expected" in proc.stderr


def test_preflight_json_follows_its_schema(tmp_path):
    import jsonschema

    schema = json.load(open(os.path.join(os.path.dirname(elfdce.__file__), "schemas",
                                         "preflight.schema.json")))
    for args in (["/bin/ls"], ["--policy", DCE_112, "/usr/bin/ping"]):
        jsonschema.validate(json.loads(elfdce_cli("preflight", "--json", *args).stdout), schema)


def test_preflight_in_a_sysroot():
    root = "/usr/aarch64-linux-gnu"
    require_package("libc6-arm64-cross", os.path.isdir(root))
    proc = elfdce_cli("preflight", "--json", "--sysroot", root, f"{root}/lib/libm.so.6")
    report = json.loads(proc.stdout)
    assert report["pie"] == "dso" and proc.returncode == 1  # a library is not a program
    libc = next(x for x in report["libraries"] if x["needed"] == "libc.so.6")
    assert libc["path"] == f"{root}/lib/libc.so.6"
    assert not [i for i in report["imports"] if i["verdict"] == "missing"]


def test_origin_in_dt_needed_is_expanded(tmp_path, gcc):
    libdir = tmp_path / "lib"
    libdir.mkdir()
    (tmp_path / "o.c").write_text("int foo(void) { return 0; }\n")
    # a library whose soname is "$ORIGIN/lib/libo.so": a program linked with it records that
    # DT_NEEDED, as bundled programs do (a relocatable python3.12)
    compile_c(str(libdir / "libo.so"), "-shared", "-fPIC", str(tmp_path / "o.c"),
              "-Wl,-soname,$ORIGIN/lib/libo.so", compiler=gcc)
    (tmp_path / "p.c").write_text("extern int foo(void);\nint main(void) { return foo(); }\n")
    prog = str(tmp_path / "p")
    compile_c(prog, "-fPIE", "-pie", str(tmp_path / "p.c"), str(libdir / "libo.so"), compiler=gcc)
    assert "$ORIGIN/lib/libo.so" in elfdce.scan(prog).needed
    assert subprocess.run([prog]).returncode == 0  # ld.so finds it
    report = json.loads(elfdce_cli("preflight", "--json", prog).stdout)
    lib = next(x for x in report["libraries"] if x["needed"] == "$ORIGIN/lib/libo.so")
    assert lib["path"] == str(libdir / "libo.so")
    assert verdicts(report, prog)["foo"] == "external"


def test_a_program_for_another_machine_is_one_line(tmp_path):
    other = next((p for p in ("/usr/aarch64-linux-gnu/lib/libc.so.6",
                              "/usr/s390x-linux-gnu/lib/libc.so.6") if os.path.exists(p)), None)
    require_package("libc6-arm64-cross", other is not None, "a cross libc")
    proc = elfdce_cli("preflight", other)
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1 and "give --sysroot" in proc.stderr


def test_a_call_forwarded_to_the_host_that_waits_escapes_the_simulation(tmp_path):
    """waitid is no entry of DCE's table: the completion forwards it to the host, where it
    waits for host processes DCE never started. The program's own import of that wrapper is
    the verdict (exit 4); pause, which a program calls on a signal path, is a hazard. epoll_wait
    is no entry either, but a prepared tree emulates it over DCE's poll (an adapter): DCE's."""
    src = tmp_path / "p.c"
    src.write_text("#include <sys/epoll.h>\n#include <sys/wait.h>\n#include <unistd.h>\n"
                   "int main(int c, char **v) { struct epoll_event e; if (c > 5) pause();"
                   " if (c > 3) return waitid(P_ALL, 0, 0, WEXITED);"
                   " return epoll_wait(3, &e, 1, 1000); }\n")
    prog = str(tmp_path / "p")
    compile_c(prog, "-fPIE", "-pie", str(src))
    proc = elfdce_cli("preflight", prog)
    assert proc.returncode == 4, proc.stdout
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(
        "escapes the simulation: waitid@GLIBC_2.2.5: runs host processes (waitid"), lines[0]
    assert "  hazard: pause@GLIBC_2.2.5: waits for a signal on the host (pause)" in lines
    assert not any("epoll_wait" in line for line in lines if "hazard" in line or "escapes" in line)
    report = json.loads(elfdce_cli("preflight", "--json", prog).stdout)
    wait = next(i for i in report["imports"] if i["name"] == "epoll_wait")
    assert wait["verdict"] == "DCE" and "adapter" in wait["detail"], wait


def test_system_runs_host_processes_where_posix_spawn_is_routed_to_dce(tmp_path):
    """system() is forwarded to the host, whose system runs and waits for a host shell (a
    hazard: the function is not the wait4 it makes); posix_spawn is replayed over DCE's fork
    and execve by a prepared tree (an adapter): DCE's."""
    src = tmp_path / "p.c"
    src.write_text("#include <spawn.h>\n#include <stdlib.h>\nint main(int c, char **v) { pid_t p;"
                   " if (c > 3) return system(v[1]); return posix_spawn(&p, v[0], 0, 0, v, 0); }\n")
    prog = str(tmp_path / "p")
    compile_c(prog, "-fPIE", "-pie", str(src))
    report = json.loads(elfdce_cli("preflight", "--json", prog).stdout)
    assert report["verdict"] == "runs with hazards"  # system is no wrapper of wait4
    assert any(h.startswith("system@GLIBC_2.2.5: runs host processes") for h in report["hazards"])
    spawn = next(i for i in report["imports"] if i["name"] == "posix_spawn")
    assert spawn["verdict"] == "DCE" and "adapter" in spawn["detail"]


def _static_tls_program(tmp_path, size: int) -> str:
    """A program needing a library with ``size`` bytes of initial-exec TLS (DF_STATIC_TLS)."""
    lib_src = tmp_path / f"t{size}.c"
    lib_src.write_text(f"__attribute__((tls_model(\"initial-exec\"))) __thread char big[{size}];\n"
                       "char *tls_big(void) { return big; }\n")
    lib = compile_c(tmp_path / f"libt{size}.so", "-shared", "-fPIC", str(lib_src))
    assert elfdce.scan(lib).dynamic.flags & 0x10  # DF_STATIC_TLS
    src = tmp_path / f"p{size}.c"
    src.write_text("char *tls_big(void);\nint main(void) { return !tls_big(); }\n")
    return compile_c(tmp_path / f"p{size}", "-fPIE", "-pie", str(src), lib,
                     f"-Wl,-rpath,{tmp_path}")


def test_static_tls_is_what_the_setting_gives_dlopened_libraries(tmp_path):
    """A library with initial-exec TLS (DF_STATIC_TLS) needs static TLS at dlopen: glibc keeps
    512 bytes for that (glibc.rtld.optional_static_tls, glibc >= 2.32), 1664 for every such
    object together before 2.32 (no tunable); a prepared tree's simulators start with 16384
    (dig's libjemalloc needs 2632, per process DCE runs it in)."""
    from elfdce.policy.host import complete_policy, host_libraries, load_policy
    from elfdce.preflight import Setting, preflight

    prog = _static_tls_program(tmp_path, 4096)
    big = _static_tls_program(tmp_path, 20000)
    proc = elfdce_cli("preflight", prog)  # a prepared tree (the default), on this host's glibc
    if HOST_GLIBC < (2, 32):  # no tunable: the simulators cannot be given more
        assert proc.returncode == 1 and proc.stdout.startswith(
            "will not start: libt4096.so (4096 bytes): static TLS (DF_STATIC_TLS) beyond the "
            "1664 bytes glibc < 2.32 keeps"), proc.stdout
    else:
        assert proc.returncode == 0, proc.stdout
        assert ("  hazard: libt4096.so (4096 bytes): static TLS (DF_STATIC_TLS) within the 16384 "
                "bytes a tree prepared by elfdce starts its simulators with "
                "(glibc.rtld.optional_static_tls; ELFDCE_STATIC_TLS changes it): DCE loads a "
                "copy per process, 4 such processes at once") in proc.stdout.splitlines(), \
            proc.stdout
        proc = elfdce_cli("preflight", big)
        assert proc.returncode == 1
        assert proc.stdout.startswith("will not start: libt20000.so (20000 bytes): static TLS "
                                      "(DF_STATIC_TLS) beyond the 16384 bytes a tree prepared by "
                                      "elfdce starts its simulators with"), proc.stdout
        assert "(ELFDCE_STATIC_TLS=20000 or more in the simulator's environment raises it)" in (
            proc.stdout)
    # a DCE as it is, on glibc 2.36 and on 2.31
    policy = complete_policy(load_policy(None), host_libraries())
    report = preflight(prog, policy)
    v = report.verdict(Setting(True, False, False, None, (2, 36)))
    assert v.state == "will not start", v
    assert v.reason.startswith("libt4096.so (4096 bytes): static TLS (DF_STATIC_TLS) beyond the "
                               "512 bytes glibc keeps for dlopen"), v.reason
    assert "glibc.rtld.optional_static_tls=4096 or more in GLIBC_TUNABLES" in v.reason
    for prepared in (False, True):
        v = report.verdict(Setting(True, False, prepared, None, (2, 31)))
        assert v.state == "will not start" and "beyond the 1664 bytes glibc < 2.32 keeps" in (
            v.reason) and "no tunable raises it" in v.reason, v.reason


def test_hazards_of_the_heaps_and_of_a_librarys_copied_data(tmp_path):
    """wcsdup (NATIVE in DCE's own table) allocates on the host's heap what the program frees on
    DCE's (posix_memalign did, in socat, until prepare's adapter); a COPY of a library's own
    data is a copy that library never writes under DCE 1.12's loader (iperf3's i_errno,
    std::cout), which a prepared tree's loader adopts."""
    from elfdce.policy.host import complete_policy, host_libraries, load_policy
    from elfdce.preflight import Setting, preflight

    lib_src = tmp_path / "l.c"
    lib_src.write_text("int lib_errno;\nvoid lib_fail(void) { lib_errno = 7; }\n")
    lib = compile_c(tmp_path / "libl.so", "-shared", "-fPIC", "-Wl,-soname,libl.so",
                    str(lib_src))
    src = tmp_path / "p.c"
    src.write_text("#include <stdlib.h>\n#include <wchar.h>\n"
                   "extern int lib_errno; void lib_fail(void);\n"
                   "int main(void) { void *p; lib_fail(); posix_memalign(&p, 64, 64); free(p);"
                   " free(wcsdup(L\"x\")); return lib_errno; }\n")
    prog = compile_c(tmp_path / "p", "-fPIE", "-pie", str(src), lib, f"-Wl,-rpath,{tmp_path}")
    report = json.loads(elfdce_cli("preflight", "--json", prog).stdout)
    assert "lib_errno" in report["copy_relocations"]
    hazards = report["hazards"]
    assert any(h.startswith("wcsdup@GLIBC_2.2.5: the host's malloc") for h in hazards), hazards
    assert not any("posix_memalign" in h for h in hazards)  # prepare's adapter: DCE's heap
    assert not any("lib_errno" in h for h in hazards)  # prepared: adopted
    policy = complete_policy(load_policy(None), host_libraries())
    v = preflight(prog, policy).verdict(Setting(True, False, False))
    assert ("copies lib_errno of libl.so at load time: under DCE's loader the library keeps "
            "writing its own object") in v.hazards, v
