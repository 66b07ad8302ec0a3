"""check-host --probe: confirm the static verdicts by experiment, in subprocesses with a timeout.

Programs from csrc/probe are compiled with gcc and linked against stubs built from the examined
glibc's own exports (so they ask only for versions it has: a probe built on 2.36 and linked
normally needs GLIBC_2.34, which 2.31's loader refuses), then run through the examined ld.so
with ``--library-path`` set to the examined libc's directory, so that copy is what runs:
dlopen and dlmopen(LM_ID_NEWLM) of a PIE (stock, and with DF_1_PIE cleared by fix-pie), and a
write through a FILE with a foreign vtable in the base namespace, after the _IO_init switch,
and in a dlmopen namespace.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from .._record import Record
from .hostcheck import VTABLE_MESSAGE, HostReport

TIMEOUT = 30
PIE_MESSAGE_TEXT = "cannot dynamically load position-independent executable"


class ProbeError(Exception):
    """The probe cannot run here (no gcc, another architecture, …)."""


class Probe(Record):
    """One experiment: what the static analysis predicted, what happened."""

    name: str
    predicted: str
    observed: str

    @property
    def agrees(self) -> bool:
        return self.predicted == self.observed


def _csrc() -> str:
    from ..data import csrc_dir

    try:
        return csrc_dir()
    except FileNotFoundError as err:
        raise ProbeError(str(err)) from None


def _link_stubs(report: HostReport, gcc: str, workdir: str) -> list[str]:
    """Stub libc.so.6 and libdl.so.2 with the examined glibc's exports (`stub_assembly`), and
    the link flags that use them instead of the host's."""
    from ..elf import read_elf
    from ..exports.stubs import stub_assembly
    from ..versionmaps.script import exact_script
    from ..exports import from_elf

    stubs = os.path.join(workdir, "stubs")
    os.makedirs(stubs)
    for soname in ("libc.so.6", "libdl.so.2"):
        path = os.path.join(os.path.dirname(report.libc), soname)
        if not os.path.exists(path):
            continue
        exports = from_elf(read_elf(path, relocations=False))
        asm, vs = os.path.join(stubs, soname + ".s"), os.path.join(stubs, soname + ".map")
        with open(asm, "w") as f:
            f.write(stub_assembly(exports))
        with open(vs, "w") as f:
            f.write(exact_script(exports))
        cmd = [gcc, "-shared", "-nostdlib", "-o", os.path.join(stubs, soname), asm,
               f"-Wl,--version-script={vs}", f"-Wl,-soname,{soname}"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise ProbeError(f"linking the {soname} stub failed: {proc.stderr.strip()[-400:]}")
        os.symlink(soname, os.path.join(stubs, soname.split(".so")[0] + ".so"))
    return ["-nodefaultlibs", f"-L{stubs}", "-Wl,--no-as-needed", "-lc", "-ldl",
            *_start_file_helpers(gcc), "-lgcc"]


def _start_file_helpers(gcc: str) -> list[str]:
    """The compiler's own libc_nonshared.a, which its start files may need: before glibc 2.34,
    Scrt1.o calls __libc_csu_init and __libc_csu_fini, defined there (libc.so, the linker
    script that -lc normally finds, names it; the stubs replace that script)."""
    proc = subprocess.run([gcc, "-print-file-name=libc_nonshared.a"], capture_output=True,
                          text=True, timeout=60)
    path = proc.stdout.strip()
    return [path] if proc.returncode == 0 and os.path.isabs(path) and os.path.isfile(path) else []


def _build(report: HostReport, workdir: str) -> dict[str, str]:
    gcc = shutil.which(os.environ.get("CC", "gcc"))
    if gcc is None:
        raise ProbeError("gcc is needed to build the probe programs")
    src = _csrc()
    libs = _link_stubs(report, gcc, workdir)
    out = {k: os.path.join(workdir, k) for k in ("pie", "loader", "vtable", "libvtable.so")}
    steps = [
        ("pie", os.path.join(src, "programs", "answer.c"), ["-fPIE", "-pie", "-rdynamic"]),
        ("loader", os.path.join(src, "probe", "dlopen_pie.c"), []),
        ("vtable", os.path.join(src, "probe", "foreign_vtable.c"), []),
        ("libvtable.so", os.path.join(src, "probe", "foreign_vtable.c"),
         ["-shared", "-fPIC", "-DFOREIGN_VTABLE_LIB"]),
    ]
    for name, source, flags in steps:
        cmd = [gcc, "-O1", *flags, "-o", out[name], source, *libs]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise ProbeError(f"building the probe {name} from {os.path.basename(source)} failed: "
                             f"{proc.stderr.strip()[-600:]}")
    return out


def _run(report: HostReport, args: list[str]) -> subprocess.CompletedProcess:
    assert report.ld_so is not None
    cmd = [report.ld_so, "--library-path", os.path.dirname(report.libc), *args]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, -9, "", "timed out")


def _pie_outcome(proc: subprocess.CompletedProcess) -> str:
    if proc.returncode == 0 and proc.stdout.strip() == "42":
        return "loads"
    if PIE_MESSAGE_TEXT in proc.stdout:
        return "refused"
    return f"fails ({(proc.stdout + proc.stderr).strip()[:120] or proc.returncode})"


def _vtable_outcome(proc: subprocess.CompletedProcess) -> str:
    if proc.returncode == 0 and "survived" in proc.stdout:
        return "survives"
    if VTABLE_MESSAGE.decode() in proc.stderr or proc.returncode < 0:
        return "aborts"
    return f"fails ({(proc.stdout + proc.stderr).strip()[:120] or proc.returncode})"


def probe(report: HostReport) -> list[Probe]:
    """Run the experiments against the examined libc and ld.so."""
    if report.ld_so is None:
        raise ProbeError("no ld.so to run the probes with")
    if report.machine != os.uname().machine.replace("arm64", "aarch64"):
        raise ProbeError(f"cannot run {report.machine} programs on {os.uname().machine}")
    from ..elf.fixpie import fix_pie

    refused = report.pie_refusal.state == "stock"
    aborts = report.vtable_check.state == "stock"
    with tempfile.TemporaryDirectory(prefix="elfdce-probe-") as work:
        built = _build(report, work)
        fixed = os.path.join(work, "pie.fixed")
        fix_pie(built["pie"], fixed)
        out = []
        for label, path in (("stock PIE", built["pie"]), ("fix-pie'd PIE", fixed)):
            for mode, extra in (("dlopen", []), ("dlmopen(LM_ID_NEWLM)", ["newlm"])):
                predicted = "refused" if refused and path == built["pie"] else "loads"
                observed = _pie_outcome(_run(report, [built["loader"], path, "answer", *extra]))
                out.append(Probe(f"{mode} of a {label}", predicted, observed))
        out.append(Probe("foreign-vtable fputs in the base namespace",
                         "aborts" if aborts else "survives",
                         _vtable_outcome(_run(report, [built["vtable"]]))))
        if report.stdio_switch.state != "absent" or aborts:
            out.append(Probe("foreign-vtable fputs after _IO_init(scratch, 0)",
                             "survives" if report.stdio_switch.state == "present" or not aborts
                             else "aborts",
                             _vtable_outcome(_run(report, [built["vtable"], "switch"]))))
        out.append(Probe("foreign-vtable fputs in a dlmopen namespace", "survives",
                         _vtable_outcome(_run(report, [built["vtable"], "newlm",
                                                       built["libvtable.so"]]))))
    return out
