"""A library built by gcc in the test with a version script and .symver: the reader must return
exactly the versioned symbols the sources declare."""

from __future__ import annotations

from conftest import HOST_MERGED

import elfdce
from elfdce.elf.constants import ET_DYN


def test_exports_are_exactly_what_the_version_script_declares(versioned_lib):
    elf = elfdce.scan(versioned_lib)
    exports = {
        (s.name, s.version_name, s.is_default_version, s.type_name, s.size if s.is_object or s.is_tls else None)
        for s in elf.exports()
    }
    assert exports == {
        ("foo", "V1", False, "FUNC", None),
        ("foo", "V2", True, "FUNC", None),
        ("table", "V1", False, "OBJECT", 8),
        ("table", "V2", True, "OBJECT", 16),
        ("counter", "V2", True, "TLS", 4),
        ("fast", "V2", True, "GNU_IFUNC", None),
    }
    assert {s.label for s in elf.exports()} == {
        "foo@V1", "foo@@V2", "table@V1", "table@@V2", "counter@@V2", "fast@@V2"}


def test_version_markers_are_markers_not_exports(versioned_lib):
    elf = elfdce.scan(versioned_lib)
    markers = [s for s in elf.symbols if s.is_version_marker]
    assert sorted(s.name for s in markers) == ["V1", "V2"]
    assert all(s.shndx == 0xFFF1 and s.value == 0 and not s.is_export for s in markers)
    assert not list(elf.undefined())


def test_version_definitions_keep_their_parents(versioned_lib):
    elf = elfdce.scan(versioned_lib)
    assert elf.soname == "libversioned.so.1"
    assert [(d.name, d.is_base, d.parents) for d in elf.version_defs] == [
        ("libversioned.so.1", True, ()),
        ("V1", False, ()),
        ("V2", False, ("V1",)),
    ]
    assert [d.name for d in elf.version_nodes()] == ["V1", "V2"]


def test_lookup_prefers_the_default_version(versioned_lib):
    elf = elfdce.scan(versioned_lib)
    assert elf.lookup("foo").label == "foo@@V2"
    assert elf.lookup("foo", "V1").label == "foo@V1"
    assert elf.lookup("table", "V1").size == 8
    assert elf.lookup("nonexistent") is None
    assert elf.lookup("foo", "V3") is None


def test_imports_name_the_file_each_version_is_needed_from(versioned_program):
    elf = elfdce.scan(versioned_program)
    assert elf.header.type == ET_DYN and elf.kind == "pie"
    imports = {(s.name, s.version_name, s.version.needed_from if s.version else None)
               for s in elf.undefined()}
    assert ("foo", "V1", "libversioned.so.1") in imports
    assert ("foo", "V2", "libversioned.so.1") in imports
    # the start files call __libc_start_main@GLIBC_2.34 from glibc 2.34, @GLIBC_2.2.5 before
    start = "GLIBC_2.34" if HOST_MERGED else "GLIBC_2.2.5"
    assert ("__libc_start_main", start, "libc.so.6") in imports
    assert "libversioned.so.1" in elf.needed and "libc.so.6" in elf.needed


def test_copy_relocated_data_is_defined_with_a_needed_version(versioned_program):
    elf = elfdce.scan(versioned_program)
    table = elf.lookup("table")
    assert table.is_defined and table.size == 16
    assert table.version.name == "V2" and table.version.needed_from == "libversioned.so.1"
    copies = [r for r in elf.relocations if elf.relocation_kind(r) == "COPY"]
    assert [elf.symbols[r.symbol_index].name for r in copies] == ["table"]


def test_ifunc_in_the_host_libc_is_reported_as_irelative(host_libc):
    elf = elfdce.scan(host_libc)
    irelative = [r for r in elf.relocations if elf.relocation_kind(r) == "IRELATIVE"]
    ifuncs = [s for s in elf.exports() if s.is_ifunc]
    assert irelative and ifuncs
