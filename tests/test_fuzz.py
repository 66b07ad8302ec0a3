"""Robustness: mutated real ELF files give a result or an ElfError, never another exception,
never a hang: each case must finish in under 1 s (a case over it is timed twice more, so that a
pause of the machine is not taken for a slow input).

The full run (slow-marked, CI runs it) tries 2,000 mutations on each of 10 real files (32/64-bit,
little/big endian, MIPS64's odd relocation layout, a program with verneed and COPY relocations,
and two copies without section headers, read through PT_DYNAMIC): 20,000 cases. The quick run
tries 150 each.
"""

from __future__ import annotations

import glob
import struct
import time

import pytest
from elfpatch import Image
from hypothesis import given, settings
from hypothesis import strategies as st

from elfdce.elf import ElfError, read_elf_bytes
from elfdce.elf.reader import INTERNAL_ERROR
from elfdce.emit.json import dumps, file_dict
from elfdce.emit.readelf import format_readelf
from elfdce.emit.table import format_table
from conftest import require_package

CROSS_BASES = ["arm-linux-gnueabihf", "i686-linux-gnu", "powerpc-linux-gnu", "s390x-linux-gnu",
               "mips64el-linux-gnuabi64", "powerpc64-linux-gnu"]
N_BASES = 4 + len(CROSS_BASES)
PACKAGE_OF = {"arm-linux-gnueabihf": "libc6-armhf-cross", "i686-linux-gnu": "libc6-i386-cross",
              "powerpc-linux-gnu": "libc6-powerpc-cross", "s390x-linux-gnu": "libc6-s390x-cross",
              "mips64el-linux-gnuabi64": "libc6-mips64el-cross",
              "powerpc64-linux-gnu": "libc6-ppc64-cross"}
FULL_CASES = 20_000
INTERESTING = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF,
               0x80000000, 0xFFFFFFFF, 1 << 32, (1 << 63) - 1, 1 << 63, (1 << 64) - 1]
INTERESTING_SECTIONS = (".dynsym", ".dynstr", ".gnu.version", ".gnu.version_d",
                        ".gnu.version_r", ".dynamic", ".gnu.hash", ".hash", ".rela.dyn",
                        ".rel.dyn", ".rela.plt", ".rel.plt", ".shstrtab")


class Base:
    """A real ELF file and the byte ranges worth mutating: headers and dynamic-linking data.

    ``strip_sections`` zeroes the section header fields, so the reader has to find everything
    through PT_DYNAMIC; the ranges still come from the original's section headers.
    """

    def __init__(self, name: str, data: bytes, strip_sections: bool = False) -> None:
        self.name = name
        info = read_elf_bytes(data, name)
        if strip_sections:
            image = Image(data)
            image.strip_section_headers()
            data = image.bytes()
            assert read_elf_bytes(data).symbols_from == "dynamic"
        self.data = data
        h = info.header
        regions = [(0, h.ehsize), (h.phoff, h.phnum * h.phentsize),
                   (h.shoff, len(info.sections) * h.shentsize)]
        for s in info.sections:
            if s.name in INTERESTING_SECTIONS and s.size and s.type != 8:
                regions.append((s.offset, s.size))
        self.regions = [(o, n) for o, n in regions if n > 0 and o + n <= len(data)]
        self.little = h.little_endian
        bounds = {16, h.ehsize, h.phoff, h.shoff}
        bounds.update(h.phoff + i * h.phentsize for i in range(h.phnum + 1))
        bounds.update(h.shoff + i * h.shentsize for i in range(len(info.sections) + 1))
        for s in info.sections:
            if s.type != 8:
                bounds.update((s.offset, s.offset + s.size))
        self.boundaries = sorted(b + d for b in bounds for d in (-1, 0, 1) if 0 < b + d < len(data))


def _bases(versioned_lib: str, versioned_program: str) -> list[Base]:
    lib, prog = open(versioned_lib, "rb").read(), open(versioned_program, "rb").read()
    out = [Base("libversioned.so.1", lib), Base("uses_versions", prog),
           Base("libversioned.so.1 (no section headers)", lib, strip_sections=True),
           Base("uses_versions (no section headers)", prog, strip_sections=True)]
    for triplet in CROSS_BASES:
        for path in glob.glob(f"/usr/{triplet}/lib/libdl.so.2"):
            out.append(Base(f"{triplet}/libdl.so.2", open(path, "rb").read()))
    return out


@pytest.fixture(scope="module")
def bases(versioned_lib, versioned_program) -> list[Base]:
    found = _bases(versioned_lib, versioned_program)
    if len(found) < N_BASES:
        lacking = [t for t in CROSS_BASES if not glob.glob(f"/usr/{t}/lib/libdl.so.2")]
        for triplet in lacking:
            require_package(PACKAGE_OF[triplet], False)
    assert len(found) == N_BASES, "cross libcs missing: run scripts/test"
    return found


def check(data: bytes, name: str) -> None:
    """The property: a result that every output can describe, or one clean ElfError."""
    try:
        info = read_elf_bytes(data, name)
    except ElfError as err:
        text = str(err)
        assert text.startswith(name + ": ") and "\n" not in text
        assert INTERNAL_ERROR not in text, text
        return
    # what the CLI writes: table and readelf as bytes (names that are not UTF-8 as their own
    # bytes), JSON as ASCII text
    format_readelf(info).encode("utf-8", "surrogateescape")
    format_table(info).encode("utf-8", "surrogateescape")
    dumps(file_dict(info)).encode("ascii")


CASE_SECONDS = 1.0


def timed(data: bytes, name: str) -> float:
    start = time.perf_counter()
    check(data, name)
    return time.perf_counter() - start


mutation = st.tuples(
    st.integers(min_value=0, max_value=1 << 30),  # region choice
    st.integers(min_value=0, max_value=1 << 30),  # position inside the region
    st.sampled_from(["flip", "u16", "u32", "u64", "truncate"]),
    st.integers(min_value=1, max_value=255),  # xor mask for flips
    st.one_of(st.sampled_from(INTERESTING), st.integers(min_value=0, max_value=(1 << 64) - 1)),
)


def mutate(base: Base, mutations) -> bytes:
    data = bytearray(base.data)
    bo = "<" if base.little else ">"
    for region, pos, kind, mask, value in mutations:
        off, size = base.regions[region % len(base.regions)]
        at = off + pos % size
        if at >= len(data):  # an earlier mutation truncated the file
            continue
        if kind == "flip":
            data[at] ^= mask
        elif kind == "truncate":
            del data[at:]
        else:
            fmt, bits = {"u16": ("H", 16), "u32": ("I", 32), "u64": ("Q", 64)}[kind]
            if value in (0, 1) and mask & 1:  # sizes near the file's end are interesting too
                value = len(data) - mask
            if at + struct.calcsize(fmt) <= len(data):
                struct.pack_into(bo + fmt, data, at, value % (1 << bits))
    return bytes(data)


def run_mutations(base: Base, examples: int) -> int:
    runs = 0

    @settings(max_examples=examples, deadline=None, database=None)
    @given(st.lists(mutation, min_size=1, max_size=4))
    def prop(mutations):
        nonlocal runs
        runs += 1
        data = mutate(base, mutations)
        seconds = timed(data, base.name)
        if seconds > CASE_SECONDS:
            seconds = min(seconds, timed(data, base.name), timed(data, base.name))
        assert seconds < CASE_SECONDS, f"{seconds:.2f} s for one case"

    prop()
    return runs


@pytest.mark.parametrize("index", range(N_BASES))
def test_mutations_quick(bases, index):
    assert run_mutations(bases[index], 150) >= 150


@pytest.mark.slow
@pytest.mark.parametrize("index", range(N_BASES))
def test_mutations_full(bases, index):
    assert run_mutations(bases[index], FULL_CASES // N_BASES) >= FULL_CASES // N_BASES


def test_truncation_at_every_header_boundary(bases):
    cases = 0
    for base in bases:
        for cut in base.boundaries:
            check(base.data[:cut], base.name)
            cases += 1
    assert cases > 500
