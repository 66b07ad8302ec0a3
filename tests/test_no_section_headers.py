"""Files without section headers: the reader falls back to PT_DYNAMIC and must find the same
symbols and versions (the count from DT_GNU_HASH or DT_HASH)."""

from __future__ import annotations

import os
import subprocess

import pytest

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
    subprocess.run(
        [gcc, "-shared", "-fPIC", "-nostdlib", "-Wl,--hash-style=sysv", "-o", str(out),
         os.path.join(src, "versioned.c"), f"-Wl,--version-script={src}/versioned.map"],
        check=True)
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
