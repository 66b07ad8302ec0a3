"""fix-pie: one dynamic entry changes, and glibc then dlopens and dlmopens the PIE."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import compile_c

import elfdce
from elfdce.elf import ElfError
from elfdce.elf.fixpie import fix_pie

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def built(tmp_path_factory, gcc):
    d = tmp_path_factory.mktemp("pie")
    pie = d / "answer"
    compile_c(str(pie), "-O1", "-fPIE", "-pie", "-rdynamic",
              os.path.join(ROOT, "csrc", "programs", "answer.c"), compiler=gcc)
    loader = d / "dlopen_pie"
    compile_c(str(loader), "-O1",
              os.path.join(ROOT, "csrc", "probe",
                    "dlopen_pie.c"), "-ldl",
              compiler=gcc)
    return str(pie), str(loader)


def load(loader: str, path: str, *mode: str) -> subprocess.CompletedProcess:
    return subprocess.run([loader, path, "answer", *mode], capture_output=True, text=True,
                          timeout=60)


def test_stock_pie_is_refused_by_dlopen(built):
    pie, loader = built
    for mode in ((), ("newlm",)):
        proc = load(loader, pie, *mode)
        assert proc.returncode == 1
        assert "cannot dynamically load position-independent executable" in proc.stdout


def test_fix_pie_changes_one_dynamic_entry_and_dlopen_works(built, tmp_path):
    pie, loader = built
    out = tmp_path / "answer.fixed"
    proc = subprocess.run([sys.executable, "-m", "elfdce", "fix-pie", pie, "-o", str(out)],
                          capture_output=True, text=True, check=True)
    before, after = open(pie, "rb").read(), out.read_bytes()
    assert len(before) == len(after)
    diff = [i for i in range(len(before)) if before[i] != after[i]]
    elf = elfdce.scan(pie)
    dyn = next(p for p in elf.segments if p.type == 2)
    index = next(i for i, e in enumerate(elf.dynamic.entries) if e.tag == 0x6FFFFFFB)
    value_at = dyn.offset + index * 16 + 8
    assert diff and all(value_at <= i < value_at + 8 for i in diff)
    assert f"at file offset {value_at:#x} (8 bytes)" in proc.stdout
    assert not elfdce.scan(str(out)).dynamic.flags_1 & 0x08000000
    for mode in ((), ("newlm",)):
        proc = load(loader, str(out), *mode)
        assert (proc.returncode, proc.stdout) == (0, "42\n"), proc.stdout
    assert subprocess.run([str(out)], timeout=60).returncode == 0  # still runs as a program
    assert os.stat(out).st_mode & 0o111  # still executable


def test_fix_pie_is_idempotent_and_in_place(built, tmp_path):
    pie, _ = built
    copy = tmp_path / "answer"
    copy.write_bytes(open(pie, "rb").read())
    first = fix_pie(str(copy))
    data = copy.read_bytes()
    second = fix_pie(str(copy))
    assert first.changed and not second.changed and copy.read_bytes() == data


def test_fix_pie_refuses_what_is_not_a_pie(tmp_path, gcc, host_libc, versioned_lib):
    exe = tmp_path / "exe"
    compile_c(str(exe), "-no-pie", "-fno-pie", os.path.join(ROOT, "csrc", "programs", "answer.c"),
              compiler=gcc)
    with pytest.raises(ElfError, match="not a PIE: EXEC"):
        fix_pie(str(exe), str(tmp_path / "o"))
    # glibc's libc.so.6: no DT_FLAGS_1 (2.36), or, linked BIND_NOW (2.41), one without DF_1_PIE
    # beside a PT_INTERP: refused either way, and nothing written
    with pytest.raises(ElfError, match="no DT_FLAGS_1|a shared library"):
        fix_pie(host_libc, str(tmp_path / "o"))
    assert not (tmp_path / "o").exists()
    text = tmp_path / "t"
    text.write_text("x")
    proc = subprocess.run([sys.executable, "-m", "elfdce", "fix-pie", str(text), "-o",
                           str(tmp_path / "o")], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.startswith(f"elfdce fix-pie: {text}: not an ELF")
    assert not (tmp_path / "o").exists()
