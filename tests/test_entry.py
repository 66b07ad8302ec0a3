"""Where `main` is when it is no dynamic symbol (elfdce.elf.entry): glibc's _start passes it to
__libc_start_main, read from the entry code; held against the symbol table of programs built
here (x86_64, aarch64, PIE relaxed or not) and of the host's programs that export main."""

from __future__ import annotations

import glob
import os
import shutil

import pytest
from conftest import compile_c, require_package

import elfdce
from elfdce.elf import ElfError
from elfdce.elf.entry import decode_start, find_main, main_from_entry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, "csrc", "programs", "copy_stdio.c")
CROSS = shutil.which("aarch64-linux-gnu-gcc")

FLAGS = [["-fPIE", "-pie"], ["-fPIE", "-pie", "-Wl,--no-relax"], ["-fPIC", "-pie"],
         ["-fPIE", "-pie", "-O2", "-D_FORTIFY_SOURCE=2"]]


@pytest.mark.parametrize("flags", FLAGS, ids=" ".join)
def test_x86_64_programs_built_here(tmp_path, flags):
    prog = compile_c(tmp_path / "p", *flags, SOURCE)
    symtab = find_main(prog)
    assert symtab.how == ".symtab"
    assert main_from_entry(elfdce.read_elf(prog)) == symtab.address


@pytest.mark.parametrize("flags", FLAGS[:2], ids=" ".join)
def test_aarch64_programs_built_here(tmp_path, flags):
    require_package("gcc-aarch64-linux-gnu", CROSS is not None)
    prog = compile_c(tmp_path / "p", *flags, SOURCE, compiler=CROSS)
    symtab = find_main(prog)
    assert symtab.how == ".symtab"
    assert main_from_entry(elfdce.read_elf(prog)) == symtab.address


def test_stripped_programs_get_main_from_the_entry_code(tmp_path):
    prog = compile_c(tmp_path / "p", "-fPIE", "-pie", "-s", SOURCE)
    unstripped = compile_c(tmp_path / "q", "-fPIE", "-pie", SOURCE)
    found = find_main(prog)
    assert found.how == "entry code" and found.address == find_main(unstripped).address


def test_what_is_not_glibcs_entry_code():
    assert decode_start(b"\x90" * 96, 0x1000, 62) is None
    assert decode_start(b"\xff\x15" + b"\x00" * 94, 0x1000, 62) is None  # a call, no load
    assert decode_start(b"\x00" * 96, 0x1000, 183) is None
    assert decode_start(b"\x90" * 96, 0x1000, 3) is None  # i386: not read


def test_a_library_has_no_main(host_libc):
    with pytest.raises(ElfError, match="entry code"):
        find_main(host_libc)


@pytest.mark.slow
def test_host_programs_that_export_main_agree():
    """Every PIE in the host's bin directories that exports `main` (the few linked -rdynamic)
    gives the same address from its entry code."""
    checked = 0
    for path in sorted(glob.glob("/usr/bin/*") + glob.glob("/usr/sbin/*")):
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        try:
            elf = elfdce.read_elf(path)
        except ElfError:
            continue
        exported = elf.lookup("main")
        if elf.header.type != 3 or exported is None:
            continue
        assert main_from_entry(elf) == exported.value, path
        checked += 1
    if checked == 0:
        pytest.skip("no program here exports main")
