"""check-host: glibc's vtable validation and PIE refusal, stock or patched, from the binaries,
confirmed by the probe; patched copies made here are recognised and behave as patched."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from conftest import HOST_MERGED, require_package, run_cli

import elfdce
from elfdce.elf.image import Image, enclosing_function
from elfdce.glibc import disasm, hostcheck
from elfdce.glibc.hostcheck import check_host
from elfdce.glibc.libs import locate

X86 = os.uname().machine == "x86_64"


def cli(*args: str) -> subprocess.CompletedProcess:
    return run_cli("check-host", *args)


@pytest.mark.skipif(not X86, reason="the host checks are proved on x86_64")
def test_this_host_is_stock_and_the_probe_agrees():
    proc = cli("--probe", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["vtable_check"]["state"] == "stock"
    assert doc["pie_refusal"]["state"] == "stock"
    merged = {"libpthread.so.0", "librt.so.1", "libdl.so.2"} if HOST_MERGED else set()
    assert set(doc["merged_stubs"]) == merged
    libc = elfdce.scan(doc["libc"])
    fatal = libc.lookup("__libc_fatal").value
    call = [e for e in doc["vtable_check"]["evidence"] if "(__libc_fatal)" in e]
    assert call and f"{fatal:#x}" in call[0]  # the call's target is __libc_fatal
    observed = {p["name"]: p["observed"] for p in doc["probes"]}
    assert observed == {
        "dlopen of a stock PIE": "refused",
        "dlmopen(LM_ID_NEWLM) of a stock PIE": "refused",
        "dlopen of a fix-pie'd PIE": "loads",
        "dlmopen(LM_ID_NEWLM) of a fix-pie'd PIE": "loads",
        "foreign-vtable fputs in the base namespace": "aborts",
        "foreign-vtable fputs after _IO_init(scratch, 0)": "survives",
        "foreign-vtable fputs in a dlmopen namespace": "survives",
    }
    assert doc["stdio_switch"]["state"] == "present"


def patch_libc_ret_at_entry(src: str, dst: str) -> int:
    """A copy of libc whose vtable-check function returns at its first instruction."""
    image = Image(elfdce.scan(src, relocations=False))
    ref = disasm.references(image, image.find_string(hostcheck.VTABLE_MESSAGE))[0]
    fn = enclosing_function(image, ref)
    data = bytearray(image.data)
    sec = image.section_of(fn.start)
    data[sec.offset + fn.start - sec.addr] = 0xC3 if image.elf.header.machine == 62 else 0
    with open(dst, "wb") as f:
        f.write(data)
    return fn.start


def patch_ld_so_refusal_unreachable(src: str, dst: str) -> list[int]:
    """A copy of ld.so whose jumps into the PIE-refusal block are NOPs."""
    image = Image(elfdce.scan(src, relocations=False))
    ref = disasm.references(image, image.find_string(hostcheck.PIE_MESSAGE))[0]
    fn = enclosing_function(image, ref)
    code = disasm.disassemble(image, fn)
    block = hostcheck.block_start(code, fn.start, ref)
    data = bytearray(image.data)
    nopped = []
    for ins in code:
        if disasm.is_jump(ins) and block <= (disasm.branch_target(ins) or -1) <= ref \
                and not block <= ins.address <= ref:
            sec = image.section_of(ins.address)
            off = sec.offset + ins.address - sec.addr
            data[off : off + ins.size] = b"\x90" * ins.size
            nopped.append(ins.address)
    with open(dst, "wb") as f:
        f.write(data)
    os.chmod(dst, 0o755)
    return nopped


@pytest.mark.skipif(not X86, reason="patches x86_64 code")
def test_patched_copies_are_reported_patched_and_behave_so(tmp_path):
    host = check_host()
    libc = str(tmp_path / "libc.so.6")
    entry = patch_libc_ret_at_entry(host.libc, libc)
    ld_so = str(tmp_path / "ld.so")
    assert patch_ld_so_refusal_unreachable(host.ld_so, ld_so)
    proc = cli("--libc", libc, "--ld-so", ld_so, "--probe", "--json")
    doc = json.loads(proc.stdout)
    assert doc["vtable_check"]["state"] == "patched"
    assert f"{entry:#x}: ret (first instruction)" in doc["vtable_check"]["evidence"]
    assert doc["pie_refusal"]["state"] == "patched"
    observed = {p["name"]: p["observed"] for p in doc["probes"]}
    # run against the patched libc with ld.so --library-path: the foreign vtable goes through
    assert observed["foreign-vtable fputs in the base namespace"] == "survives"
    assert observed["dlopen of a stock PIE"] == "loads"
    assert proc.returncode == 0 and all(p["observed"] == p["predicted"] for p in doc["probes"])


def test_unreferenced_message_counts_as_patched(tmp_path, host_libc):
    image = Image(elfdce.scan(host_libc, relocations=False))
    data = bytearray(image.data)
    for ref in disasm.references(image, image.find_string(hostcheck.VTABLE_MESSAGE)):
        sec = image.section_of(ref)
        off = sec.offset + ref - sec.addr
        data[off : off + 7] = b"\x90" * 7  # the lea of the message, gone
    copy = tmp_path / "libc.so.6"
    copy.write_bytes(data)
    finding, _ = hostcheck.check_vtable(Image(elfdce.scan(str(copy), relocations=False)))
    assert finding.state == "patched" and "never referenced" in finding.summary


def test_aarch64_verdict_with_evidence():
    root = "/usr/aarch64-linux-gnu"
    require_package("libc6-arm64-cross", os.path.isdir(root))
    proc = cli("--libc", f"{root}/lib/libc.so.6", "--ld-so", f"{root}/lib/ld-linux-aarch64.so.1")
    assert proc.returncode == 0, proc.stderr
    with open(f"{root}/lib/libc.so.6", "rb") as f:  # the release banner of that very file
        release = re.search(rb"release version (\d+\.\d+)", f.read()).group(1).decode()
    assert f"glibc {release} on aarch64" in proc.stdout
    assert "present, stock: aborts through __libc_fatal" in proc.stdout
    assert "(__libc_fatal)" in proc.stdout and ": bl #0x" in proc.stdout
    assert "dlopen PIE refusal: present, stock" in proc.stdout
    assert "verdict: load PIE programs with dlmopen: needs fix-pie" in proc.stdout


SUPPORTED = sorted(d for d in ("/usr/aarch64-linux-gnu", "/usr/x86_64-linux-gnux32")
                   if os.path.isdir(d))


@pytest.mark.parametrize("sysroot", [None] + SUPPORTED, ids=lambda s: s or "host")
def test_no_false_patched_on_stock_libraries(sysroot):
    report = check_host(sysroot=sysroot)
    assert report.vtable_check.state == "stock", report.vtable_check
    assert report.pie_refusal.state == "stock", report.pie_refusal


def test_other_architectures_are_refused_clearly():
    others = [d for d in ("/usr/s390x-linux-gnu", "/usr/powerpc64le-linux-gnu") if os.path.isdir(d)]
    for d in others:
        proc = cli("--sysroot", d)
        assert proc.returncode == 2 and "disassembles x86_64 and aarch64 only" in proc.stderr


def test_check_host_is_quick_enough_to_import_nothing_on_scan():
    # capstone is imported by check-host only
    code = "import elfdce.cli.scan, sys; print('capstone' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


def test_locate_finds_the_loader_libc_needs():
    loc = {x.library.key: x for x in locate()}
    assert hostcheck.find_ld_so(loc["libc"].path, None).endswith(".so.2")
