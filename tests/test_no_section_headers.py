"""Files without section headers: the reader falls back to PT_DYNAMIC and must find the same
symbols and versions (the count from DT_GNU_HASH or DT_HASH)."""

from __future__ import annotations

import os

import pytest
from conftest import compile_c, require_package
from elfcorpus import cross_libc_files
from elfpatch import Image

from elfdce.elf import read_elf, read_elf_bytes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def view(info):
    return (
        [(s.index, s.name, s.value, s.size, s.info, s.other, s.shndx, s.version)
         for s in info.symbols],
        info.version_defs, info.version_needs, info.dynamic.soname, info.dynamic.needed,
        sorted(info.relocations),
    )


def assert_fallback_agrees(path: str) -> None:
    original = read_elf(path)
    image = Image(open(path, "rb").read())
    image.strip_section_headers()
    stripped = read_elf_bytes(image.bytes(), path)
    assert original.symbols_from == "sections"
    assert stripped.symbols_from == "dynamic" and stripped.sections == ()
    assert view(stripped) == view(original)


def test_host_libc_without_section_headers(host_libc):
    assert_fallback_agrees(host_libc)


def test_compiled_files_without_section_headers(versioned_lib, versioned_program):
    assert_fallback_agrees(versioned_lib)
    assert_fallback_agrees(versioned_program)


def test_sysv_hash_only_library(tmp_path, gcc):
    out = tmp_path / "libsysv.so"
    src = os.path.join(ROOT, "csrc", "testlib")
    compile_c(str(out), "-shared", "-fPIC", "-nostdlib", "-Wl,--hash-style=sysv",
              os.path.join(src, "versioned.c"), f"-Wl,--version-script={src}/versioned.map",
              compiler=gcc)
    info = read_elf(str(out))
    assert info.dynamic.has(4) and not info.dynamic.has(0x6FFFFEF5)  # DT_HASH only
    assert_fallback_agrees(str(out))


@pytest.mark.parametrize("path", [p for p in cross_libc_files() if "libc.so" in p],
                         ids=lambda p: p.split("/")[2])
def test_cross_libcs_without_section_headers(path):
    assert_fallback_agrees(path)


def test_readelf_format_prints_nothing_without_section_headers(versioned_lib):
    from elfdce.emit.readelf import format_readelf

    image = Image(open(versioned_lib, "rb").read())
    image.strip_section_headers()
    assert format_readelf(read_elf_bytes(image.bytes())) == ""  # as readelf --dyn-syms does


CROSS_LIBCS = [p for p in cross_libc_files() if p.endswith("libc.so.6")]


@pytest.mark.parametrize("path", CROSS_LIBCS, ids=lambda p: p.split("/")[2])
def test_dt_hash_count_when_there_is_no_gnu_hash(path):
    # With DT_GNU_HASH turned into DT_DEBUG the count must come from DT_HASH.
    original = read_elf(path)
    if not original.dynamic.has(4):
        pytest.skip(f"{path} has no DT_HASH (newer glibc builds drop it; mips uses "
                    "DT_MIPS_XHASH): nothing to count from")
    image = Image(open(path, "rb").read())
    image.strip_section_headers()
    try:
        image.set_dynamic(0x6FFFFEF5, 0)
        dyn = next(p for p in image.info.segments if p.type == 2)
        step, fmt = (16, "q") if image.is64 else (8, "i")
        for off in range(dyn.offset, dyn.offset + dyn.filesz, step):
            if image.get(off, fmt) == 0x6FFFFEF5:
                image.put(off, fmt, 21)  # DT_DEBUG
    except KeyError:
        pass
    stripped = read_elf_bytes(image.bytes(), path)
    assert len(stripped.symbols) == len(original.symbols)


def test_s390x_dt_hash_has_64_bit_entries():
    # s390x's .hash uses 8-byte entries (binutils' hash_entry_size, glibc's Elf_Symndx). Debian's
    # s390x libc has only DT_GNU_HASH: write a SysV hash header where .gnu.hash was, and point
    # the DT_GNU_HASH entry's tag at it as DT_HASH.
    path = "/usr/s390x-linux-gnu/lib/libc.so.6"
    require_package("libc6-s390x-cross", os.path.exists(path))
    image = Image(open(path, "rb").read())
    count = len(image.info.symbols)
    gnu_hash = image.section(".gnu.hash")
    image.put(gnu_hash.offset, "Q", 1)  # nbucket
    image.put(gnu_hash.offset + 8, "Q", count)  # nchain = number of symbols
    dyn = next(p for p in image.info.segments if p.type == 2)
    for off in range(dyn.offset, dyn.offset + dyn.filesz, 16):
        if image.get(off, "q") == 0x6FFFFEF5:
            image.put(off, "q", 4)
    image.strip_section_headers()
    assert len(read_elf_bytes(image.bytes(), path).symbols) == count
