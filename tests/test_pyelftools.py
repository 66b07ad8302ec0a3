"""Agreement with pyelftools, an independent reader, on the facts elfdce builds on."""

from __future__ import annotations

import pytest
from conftest import HOST_LIBC
from elfcorpus import cross_libc_files
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import (
    GNUVerDefSection,
    GNUVerNeedSection,
    GNUVerSymSection,
)

from elfdce.elf import read_elf

ST_TYPES = {"STT_NOTYPE": "NOTYPE", "STT_OBJECT": "OBJECT", "STT_FUNC": "FUNC",
            "STT_SECTION": "SECTION", "STT_FILE": "FILE", "STT_TLS": "TLS",
            "STT_GNU_IFUNC": "GNU_IFUNC", "STT_LOOS": "GNU_IFUNC", "STT_COMMON": "COMMON",
            "STT_LOPROC": "13", "STT_HIPROC": "15"}  # machine-specific: elfdce names the number
ST_BINDS = {"STB_LOCAL": "LOCAL", "STB_GLOBAL": "GLOBAL", "STB_WEAK": "WEAK",
            "STB_GNU_UNIQUE": "UNIQUE", "STB_LOOS": "UNIQUE"}


def pyelftools_rows(path: str) -> list[tuple]:
    """(name, version, default?, type, bind, size) per dynsym entry, computed by pyelftools."""
    with open(path, "rb") as f:
        elf = ELFFile(f)
        dynsym = next(s for s in elf.iter_sections() if s["sh_type"] == "SHT_DYNSYM")
        versym = next((s for s in elf.iter_sections() if isinstance(s, GNUVerSymSection)), None)
        defs, needs = {}, {}
        for s in elf.iter_sections():
            if isinstance(s, GNUVerDefSection):
                for vd, auxes in s.iter_versions():
                    defs[vd["vd_ndx"]] = next(auxes).name
            elif isinstance(s, GNUVerNeedSection):
                for _vn, auxes in s.iter_versions():
                    for a in auxes:
                        needs[a["vna_other"]] = a.name
        rows = []
        for i, sym in enumerate(dynsym.iter_symbols()):
            version, default = None, None
            if versym is not None:
                ndx = versym.get_symbol(i)["ndx"]
                if ndx not in ("VER_NDX_LOCAL", "VER_NDX_GLOBAL"):
                    hidden = bool(ndx & 0x8000)
                    ndx &= 0x7FFF
                    if sym["st_shndx"] != "SHN_UNDEF" and ndx in defs and ndx > 1:
                        version, default = defs[ndx], not hidden
                    elif ndx in needs:
                        version, default = needs[ndx], False
            rows.append((sym.name, version, default,
                         ST_TYPES.get(sym["st_info"]["type"], sym["st_info"]["type"]),
                         ST_BINDS.get(sym["st_info"]["bind"], sym["st_info"]["bind"]),
                         sym["st_size"]))
        return rows


def elfdce_rows(path: str) -> list[tuple]:
    return [
        (s.name, s.version_name, s.is_default_version, s.type_name, s.bind_name, s.size)
        for s in read_elf(path, relocations=False).symbols
    ]


CROSS = cross_libc_files()


@pytest.mark.parametrize("path", CROSS, ids=lambda p: p.replace("/usr/", ""))
def test_cross_libc_agrees_with_pyelftools(path):
    expected = pyelftools_rows(path)
    assert elfdce_rows(path) == expected


def test_host_and_compiled_files_agree_with_pyelftools(host_libc, versioned_lib, versioned_program):
    for path in (host_libc, versioned_lib, versioned_program):
        assert elfdce_rows(path) == pyelftools_rows(path), path


def test_cross_libc_set_covers_both_classes_and_byte_orders():
    kinds = set()
    for p in CROSS:
        h = read_elf(p, relocations=False).header
        kinds.add((h.elf_class, h.endianness))
    assert kinds == {(32, "little"), (32, "big"), (64, "little"), (64, "big")}


def pyelftools_dynamic_relocations(path: str) -> set[tuple[int, int, int]]:
    """(offset, type, symbol index) of every relocation in the sections linked to .dynsym."""
    from elftools.elf.relocation import RelocationSection

    with open(path, "rb") as f:
        elf = ELFFile(f)
        dynsym_index = next(i for i, s in enumerate(elf.iter_sections())
                            if s["sh_type"] == "SHT_DYNSYM")
        out = set()
        for s in elf.iter_sections():
            if isinstance(s, RelocationSection) and s["sh_link"] == dynsym_index and s["sh_flags"] & 2:
                for r in s.iter_relocations():
                    out.add((r["r_offset"], r["r_info_type"], r["r_info_sym"]))
        return out


@pytest.mark.parametrize(
    "path", [HOST_LIBC, "/bin/ls"]
    + [p for p in CROSS if "libc.so" in p],
    ids=lambda p: p.replace("/usr/", ""))
def test_dynamic_relocations_agree_with_pyelftools(path):
    elf = read_elf(path)
    mine = {(r.offset, r.type, r.symbol_index) for r in elf.relocations}
    assert mine == pyelftools_dynamic_relocations(path)
