"""The `scan` command: formats, filters, JSON schema, argument parsing, what it imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jsonschema
import pytest
from conftest import HOST_GLIBC, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

import elfdce
from elfdce.cli import build_parser, main
from elfdce.cli.scan import fast_parse

SCHEMA = os.path.join(os.path.dirname(elfdce.__file__), "schemas", "scan.schema.json")


run = run_cli


def test_table_header_describes_the_file(host_libc):
    proc = run("scan", host_libc)
    assert proc.returncode == 0
    head = proc.stdout.splitlines()[:8]
    elf = elfdce.scan(host_libc)
    defined = [s for s in elf.exports()]
    assert head[0].startswith(f"{host_libc}: libc.so.6, ELF64 little-endian x86-64 DYN")
    assert f"{len(elf.symbols)} dynamic symbols" in head[0]
    assert f"{len([s for s in elf.symbols if s.shndx and not s.is_version_marker])} defined" in head[1]
    hidden = sum(1 for s in defined if s.version and s.version.hidden)
    assert f"{hidden} @," in head[1]
    assert any(line.startswith("  version nodes: GLIBC_2.2.5 ") for line in head)
    if HOST_GLIBC >= (2, 36):  # glibc 2.36 added the empty node GLIBC_ABI_DT_RELR
        assert any("GLIBC_ABI_DT_RELR 0" in line for line in head)  # empty nodes are listed too


def test_table_header_lists_empty_version_nodes(gcc, tmp_path):
    (tmp_path / "a.c").write_text("int foo(void) { return 1; }\n")
    (tmp_path / "v.map").write_text("V1 { global: foo; local: *; };\nV2 { } V1;\n")
    lib = tmp_path / "libempty.so"
    subprocess.run([gcc, "-shared", "-fPIC", "-o", str(lib), str(tmp_path / "a.c"),
                    f"-Wl,--version-script={tmp_path / 'v.map'}"], check=True)
    head = run("scan", str(lib)).stdout.splitlines()[:8]
    assert "  version nodes: V1 1, V2 0" in head


def test_table_rows_carry_versions(versioned_lib):
    out = run("scan", versioned_lib).stdout
    rows = {tuple(line.split()[:3]) for line in out.splitlines()}
    assert ("foo", "@V1", "FUNC") in rows and ("foo", "@@V2", "FUNC") in rows
    assert ("V1", "@@V1", "MARKER") in rows
    assert ("counter", "@@V2", "TLS") in rows


def test_json_validates_against_the_shipped_schema(host_libc, versioned_program, tmp_path):
    bad = tmp_path / "bad"
    bad.write_text("not elf")
    proc = run("scan", "--json", host_libc, versioned_program, str(bad))
    assert proc.returncode == 2
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, json.load(open(SCHEMA)))
    assert doc["schema_version"] == 1
    libc, prog, err = doc["files"]
    assert err == {"path": str(bad), "error": "not an ELF file (no \\x7fELF magic)"}
    assert libc["soname"] == "libc.so.6" and libc["counts"]["compat"] > 0
    realpath = [s for s in libc["symbols"] if s["name"] == "realpath"]
    assert {(s["version"], s["default"]) for s in realpath} == {("GLIBC_2.3", True),
                                                                 ("GLIBC_2.2.5", False)}
    assert "PIE" in prog["flags_1"]
    foo = [s for s in prog["symbols"] if s["name"] == "foo"]
    assert {s["needed_from"] for s in foo} == {"libversioned.so.1"}


def test_json_is_deterministic(versioned_lib):
    assert run("scan", "--json", versioned_lib).stdout == run("scan", "--json", versioned_lib).stdout


def listed(fmt: str, out: str) -> set[tuple[str, str | None]]:
    """(name, version) of the symbol rows of a `scan` output."""
    if fmt == "json":
        return {(s["name"], s["version"]) for f in json.loads(out)["files"] for s in f["symbols"]}
    rows = set()
    for line in out.splitlines():
        if fmt == "readelf" and line[:6].strip().isdigit() and line[6:7] == ":":
            label = line.split()[7] if len(line.split()) > 7 else ""
            name, _, version = label.partition("@")
            rows.add((name, version.lstrip("@") or None))
        elif fmt == "table" and line and not line.startswith((" ", "NAME", "/")):
            parts = line.split()
            version = parts[1].lstrip("@") if parts[1].startswith("@") else None
            rows.add((parts[0], version))
    return rows


@pytest.mark.parametrize("fmt", ["table", "json", "readelf"])
def test_filters(versioned_program, fmt):
    everything = listed(fmt, run("scan", "--format", fmt, versioned_program).stdout)
    defined = listed(fmt, run("scan", "--format", fmt, "--defined", versioned_program).stdout)
    undefined = listed(fmt, run("scan", "--format", fmt, "--undefined", versioned_program).stdout)
    node = listed(fmt, run("scan", "--format", fmt, "--version-node", "V1",
                           versioned_program).stdout)
    elf = elfdce.scan(versioned_program)
    assert defined == {(s.name, s.version_name) for s in elf.defined()}
    assert undefined == {(s.name, s.version_name) for s in elf.undefined()}
    assert node == {("foo", "V1")}
    assert defined | undefined <= everything


def test_defined_and_undefined_exclude_each_other(versioned_lib):
    proc = run("scan", "--defined", "--undefined", versioned_lib)
    assert proc.returncode == 2 and "not allowed with" in proc.stderr


def test_help_and_version():
    assert "--version-node" in run("scan", "--help").stdout
    assert run("--version").stdout.startswith("elfdce ")


def test_main_returns_status_in_process(versioned_lib, capsys):
    assert main(["scan", "--format", "readelf", versioned_lib]) == 0
    assert "foo@@V2" in capsys.readouterr().out
    assert main(["scan", "/nonexistent"]) == 2


def test_scan_path_imports_nothing_heavy(host_libc):
    # what the interpreter loads before any code runs (3.9's -S start imports less than 3.11's)
    # is no cost of the scan path; the test's own code imports only sys
    bare = subprocess.run([sys.executable, "-S", "-c", "import sys; print(sorted(sys.modules))"],
                          capture_output=True, text=True, check=True).stdout
    code = ("import sys; sys.argv = ['elfdce', 'scan', '--format', 'readelf', %r];"
            "import elfdce.cli; elfdce.cli.main();"
            "heavy = {'argparse', 'dataclasses', 'typing', 'enum', 're', 'json', 'lief', 'capstone',"
            " 'cffi', '_cffi_backend', 'elftools', 'shtab'} & set(sys.modules) - set(%s);"
            "sys.stderr.write(repr(sorted(heavy)))" % (host_libc, bare.strip()))
    proc = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(elfdce.__file__)))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "[]"


# fast_parse must agree with argparse wherever it answers at all.
tokens = st.sampled_from(["--format", "--format=readelf", "--format=json", "--format=bad",
                          "--json", "--defined", "--undefined", "--version-node",
                          "--version-node=GLIBC_2.2.5", "--", "table", "readelf", "json",
                          "GLIBC_2.3", "a.so", "b.so", "-", "-x", "--form", "--help"])


@settings(max_examples=400, deadline=None)
@given(st.lists(tokens, max_size=6))
def test_fast_parser_agrees_with_argparse(argv):
    fast = fast_parse(argv)
    if fast is None:
        return
    parsed = build_parser().parse_args(["scan", *argv])
    assert {k: getattr(fast, k) for k in fast.__slots__} == {
        "paths": parsed.paths, "format": parsed.format, "defined": parsed.defined,
        "undefined": parsed.undefined, "version_node": parsed.version_node}


def test_fast_parser_answers_the_common_spellings():
    a = fast_parse(["--format", "readelf", "x.so"])
    assert a is not None and a.format == "readelf" and a.paths == ["x.so"]
    assert fast_parse(["--json", "--version-node=GLIBC_2.3", "x"]).version_node == "GLIBC_2.3"
    assert fast_parse(["--help"]) is None and fast_parse([]) is None


def test_names_that_are_not_utf8(tmp_path, versioned_lib):
    # "foo" becomes b"f\xffo": table and readelf print the bytes, JSON stays valid text.
    data = bytearray(open(versioned_lib, "rb").read())
    dynstr = elfdce.scan(versioned_lib).section(".dynstr")
    at = data.index(b"\0foo\0", dynstr.offset) + 2
    data[at] = 0xFF
    bad = tmp_path / "libbad.so"
    bad.write_bytes(bytes(data))
    env = dict(os.environ, PYTHONIOENCODING="utf-8", LC_ALL="C.UTF-8")
    for fmt in ("table", "readelf"):
        proc = subprocess.run([sys.executable, "-m", "elfdce", "scan", "--format", fmt, str(bad)],
                              capture_output=True, env=env, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert b"f\xffo@@V2" in proc.stdout or b"f\xffo " in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "elfdce", "scan", "--json", str(bad)],
                          capture_output=True, env=env, timeout=60)
    assert proc.returncode == 0
    names = {s["name"] for s in json.loads(proc.stdout.decode("utf-8"))["files"][0]["symbols"]}
    assert "f\udcffo" in names
    out = tmp_path / "maps"
    proc = subprocess.run([sys.executable, "-m", "elfdce", "versions", "--out-dir", str(out),
                           "--lib", f"libm={bad}"], capture_output=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert b"\tf\xffo;\n" in (out / "libm.version").read_bytes()


def test_cache_shows_and_clears_what_elfdce_keeps(tmp_path):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path))
    run = lambda *a: subprocess.run([sys.executable, "-m", "elfdce", "cache", *a],  # noqa: E731
                                    capture_output=True, text=True, env=env, timeout=60)
    assert "empty (nothing kept)" in run().stdout
    (tmp_path / "elfdce" / "run").mkdir(parents=True)
    (tmp_path / "elfdce" / "run" / "copy").write_bytes(b"x" * 5000)
    assert "  run: 1 file, " in run().stdout
    proc = run("--clear")
    assert proc.returncode == 0 and "removed (1 file" in proc.stdout
    assert not (tmp_path / "elfdce").exists()
