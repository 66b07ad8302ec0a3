"""The command line's conventions, each held by a test: JSON schemas for every JSON output,
the subcommand's usage on a usage error, one exit-status table (README's is the code's), plurals,
a machine mismatch said once, README's examples working from an installed wheel."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys

import jsonschema
import pytest
from conftest import HOST_LIBC, ROOT, run_cli

import elfdce
from elfdce.cli import COMMANDS, build_parser
from elfdce.cli.completion import parsers
from elfdce.cli.exits import BY_COMMAND, markdown_table, sentence
from elfdce.emit.words import count

SCHEMAS = os.path.join(os.path.dirname(elfdce.__file__), "schemas")
CROSS_LIBC = "/usr/aarch64-linux-gnu/lib/libc.so.6"


def schema(name: str) -> dict:
    with open(os.path.join(SCHEMAS, f"{name}.schema.json")) as f:
        return json.load(f)


def subparsers() -> dict[str, argparse.ArgumentParser]:
    """Every subcommand's parser (nested ones as ``shim build``), as the man page walks them."""
    return {" ".join(words): p for words, p in parsers(build_parser()) if words}


# --- JSON ------------------------------------------------------------------------------------


def test_every_json_output_has_a_schema():
    """A subcommand with --json (or --format json) names a schema that ships."""
    names = {"scan": "scan", "preflight": "preflight", "check-host": "check-host",
             "diff": "diff", "table": "table", "syscalls": "syscalls"}
    for command, parser in subparsers().items():
        options = {s for a in parser._actions for s in a.option_strings}
        formats = {c for a in parser._actions if a.dest == "format" and a.choices
                   for c in a.choices}
        if "--json" in options or "json" in formats:
            assert command in names, f"{command} prints JSON: add its schema and a test"
            assert os.path.isfile(os.path.join(SCHEMAS, f"{names[command]}.schema.json"))


def test_diff_json_follows_its_schema(host_libc, tmp_path):
    abilist = tmp_path / "libc.abilist"
    abilist.write_text(run_cli("scan", "--format", "abilist", host_libc).stdout)
    for old, new in ((host_libc, host_libc), (str(abilist), host_libc)):
        proc = run_cli("diff", "--json", old, new)
        assert proc.returncode in (0, 1), proc.stderr
        doc = json.loads(proc.stdout)
        jsonschema.validate(doc, schema("diff"))
        assert doc["machines_differ"] is None
    # an abilist without one version of a name: a change of a kind the schema lists
    lines = abilist.read_text().splitlines()
    (tmp_path / "less.abilist").write_text("\n".join(lines[1:]) + "\n")
    proc = run_cli("diff", "--json", str(abilist), str(tmp_path / "less.abilist"))
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, schema("diff"))
    assert proc.returncode == 1 and [c["kind"] for c in doc["changes"]] == ["removed"]


def test_table_json_follows_its_schema():
    proc = run_cli("table", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, schema("table"))
    assert doc["entries"] and HOST_LIBC in doc["libraries"].values()


def test_table_xmacro_is_read_back_by_policy(tmp_path):
    """`table --format xmacro` is a policy `--policy` takes: the same names, the same classes
    (the X-macro form has no IFUNC: those come back NATIVE, forwarded to the host either way)."""
    header, tsv = tmp_path / "libc-ns3.h", tmp_path / "table.tsv"
    assert run_cli("table", "--format", "xmacro", "-o", str(header)).returncode == 0
    assert run_cli("table", "--format", "tsv", "-o", str(tsv)).returncode == 0
    proc = run_cli("table", "--policy", str(header), "--format", "tsv")
    assert proc.returncode == 0, proc.stderr

    def classes(text: str) -> dict[str, str]:
        rows = [line.split("\t") for line in text.splitlines() if line and line[0] != "#"]
        return {r[0]: ("NATIVE" if r[1] == "IFUNC" else r[1]) for r in rows}

    assert classes(proc.stdout) == classes(tsv.read_text())


# --- usage and exit statuses -----------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(set(subparsers()) - {"shim", "dce"}))
def test_a_mistyped_option_shows_the_subcommands_usage(command):
    proc = run_cli(*command.split(), "--no-such-option", timeout=60)
    assert proc.returncode == 2
    assert f"usage: elfdce {command} " in proc.stderr, proc.stderr
    # (a command that requires an argument may complain of that first: its usage all the same)
    assert ("unrecognized arguments: --no-such-option" in proc.stderr
            or re.search(r"error: .* required", proc.stderr)), proc.stderr
    assert "Traceback" not in proc.stderr


def test_every_subcommand_help_ends_with_its_exit_statuses():
    assert set(BY_COMMAND) == set(COMMANDS)
    parsers = subparsers()
    for command in BY_COMMAND:
        assert sentence(command) in (parsers[command].description or ""), command
    assert sentence("dce") in parsers["dce prepare"].description
    assert sentence("shim") in parsers["shim build"].description


def test_readme_holds_the_exit_status_table():
    with open(os.path.join(ROOT, "README.md")) as f:
        assert markdown_table() in f.read()


def test_preflight_usage_says_one_program_or_tree_directories(host_libc):
    proc = run_cli("preflight", "/bin/true", "/bin/ls")
    assert proc.returncode == 2
    assert "usage: elfdce preflight [options] PROGRAM\n" in proc.stderr
    assert "elfdce preflight --tree [options] DIR [DIR ...]" in proc.stderr


def test_scan_tree_exit_statuses_are_the_documented_ones(tmp_path):
    (tmp_path / "ok").write_bytes(open("/bin/true", "rb").read())
    assert run_cli("scan", "--tree", str(tmp_path)).returncode == 0
    (tmp_path / "truncated").write_bytes(open("/bin/true", "rb").read()[:100])
    proc = run_cli("scan", "--tree", str(tmp_path))
    assert proc.returncode == 1 and "truncated" in proc.stderr
    assert run_cli("scan", "--tree", str(tmp_path / "absent")).returncode == 2


def test_fix_pie_on_a_pie_without_dt_flags_1_succeeds_unchanged(tmp_path, compile_program):
    """A PIE without a DT_FLAGS_1 entry (an older linker's; made here by rewriting the entry
    into DT_DEBUG, which nothing reads from the file) has no DF_1_PIE for dlopen to refuse:
    fix-pie says so, exits 0, and the copy is byte-identical."""
    pie = compile_program("pie", "-fPIE", "-pie", os.path.join(ROOT, "csrc", "programs",
                                                                  "answer.c"))
    elf = elfdce.scan(pie)
    if not (elf.is_64 and elf.header.little_endian):
        pytest.skip("the entry is rewritten as ELF64 little-endian")
    from elfdce.elf import constants as C

    index = next(i for i, e in enumerate(elf.dynamic.entries) if e.tag == C.DT_FLAGS_1)
    dyn = next(p for p in elf.segments if p.type == C.PT_DYNAMIC)
    data = bytearray(open(pie, "rb").read())
    entry = dyn.offset + index * 16
    data[entry:entry + 16] = C.DT_DEBUG.to_bytes(8, "little") + bytes(8)
    noflags = tmp_path / "noflags"
    noflags.write_bytes(bytes(data))
    assert elfdce.scan(str(noflags)).kind == "pie-without-flag"
    proc = run_cli("fix-pie", str(noflags), "-o", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert "no DT_FLAGS_1" in proc.stdout and "unchanged" in proc.stdout
    assert (tmp_path / "out").read_bytes() == bytes(data)


# --- words and machines ----------------------------------------------------------------------


def test_counts_are_plural_only_when_they_should_be(tmp_path):
    assert [count(1, "ELF file"), count(2, "ELF file"), count(1, "library"), count(3, "library"),
            count(1, "entry"), count(2, "entry")] == [
        "1 ELF file", "2 ELF files", "1 library", "3 libraries", "1 entry", "2 entries"]
    (tmp_path / "one").write_bytes(open("/bin/true", "rb").read())
    out = run_cli("scan", "--tree", str(tmp_path)).stdout
    assert "1 ELF file" in out and "1 ELF files" not in out
    proc = run_cli("versions", "--summary")
    assert proc.returncode == 0, proc.stderr
    assert not re.search(r"\b1 (pairs|version nodes)\b", proc.stdout)
    assert not re.search(r"\b1 (imports|libraries)\b", run_cli("preflight", "/bin/true").stdout)


@pytest.mark.skipif(not os.path.exists(CROSS_LIBC), reason="no aarch64 cross libc here "
                    "(libc6-arm64-cross)")
def test_a_machine_mismatch_is_one_line(host_libc):
    proc = run_cli("diff", host_libc, CROSS_LIBC)
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("elfdce diff:")]
    assert len(warnings) == 1 and "AArch64" in warnings[0], proc.stderr
    assert proc.returncode == 1
    doc = json.loads(run_cli("diff", "--json", host_libc, CROSS_LIBC).stdout)
    jsonschema.validate(doc, schema("diff"))
    assert doc["machines_differ"] == {"old": elfdce.scan(host_libc).header.machine_name,
                                      "new": elfdce.scan(CROSS_LIBC).header.machine_name}
    proc = run_cli("preflight", CROSS_LIBC)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_lookup_gives_the_default_or_none():
    """`lookup(name)` is the default-version definition (README); a compat-only name needs its
    version."""
    elf = elfdce.scan(HOST_LIBC)
    compat_only = next(s for s in elf.exports() if not s.is_default_version
                       and not any(o.name == s.name and o.is_default_version
                                   for o in elf.exports()))
    assert elf.lookup(compat_only.name) is None
    assert elf.lookup(compat_only.name, compat_only.version_name) == compat_only
    default = next(s for s in elf.exports() if s.is_default_version)
    assert elf.lookup(default.name) == default


# --- README examples from an installed wheel -------------------------------------------------


@pytest.mark.slow
def test_readme_examples_work_from_an_installed_wheel(tmp_path, gcc):
    """The README's ``$`` commands, run outside the checkout against a wheel installed into
    a directory of its own: no path in them may lean on a checkout."""
    target, work = tmp_path / "site", tmp_path / "work"
    work.mkdir()
    # a real (non-editable) install: pip builds the wheel in isolation and installs it
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(target), ROOT], check=True, timeout=300, capture_output=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, argv in (("elfdce", "-m elfdce"), ("python", "")):
        (bin_dir / name).write_text(f'#!/bin/sh\nexec {sys.executable} {argv} "$@"\n')
        (bin_dir / name).chmod(0o755)
    env = dict(os.environ, PYTHONPATH=str(target), PATH=f"{bin_dir}:{os.environ['PATH']}")
    where = subprocess.run(["python", "-c", "import elfdce; print(elfdce.__file__)"], env=env,
                           capture_output=True, text=True, cwd=work, timeout=60).stdout
    assert where.startswith(str(target)), where
    with open(os.path.join(ROOT, "README.md")) as f:
        commands = [line[2:] for line in f.read().splitlines() if line.startswith("$ ")]
    assert len(commands) >= 3
    for command in commands:
        proc = subprocess.run(["bash", "-c", command], env=env, cwd=work, capture_output=True,
                              text=True, timeout=300)
        # preflight's verdict is its exit status (0, 1 or 3); anything else must succeed
        allowed = (0, 1, 3) if "preflight" in command else (0,)
        assert proc.returncode in allowed, f"{command}: {proc.returncode}\n{proc.stderr}"
        assert "Traceback" not in proc.stderr and "No such file" not in proc.stderr, command


# --- the oldest Python elfdce supports ------------------------------------------------------

def _python_floor() -> tuple[int, int]:
    """setup.cfg's python_requires floor, e.g. (3, 9)."""
    with open(os.path.join(ROOT, "setup.cfg")) as f:
        m = re.search(r"^python_requires\s*=\s*>=\s*(\d+)\.(\d+)\s*$", f.read(), re.M)
    assert m, "setup.cfg names no python_requires floor"
    return int(m.group(1)), int(m.group(2))


def _runtime_union_annotations(tree) -> list[int]:
    """Lines where an ``X | Y`` annotation is evaluated when the definition runs (Python < 3.10
    raises TypeError there): in a module without ``from __future__ import annotations``."""
    import ast

    future = any(isinstance(n, ast.ImportFrom) and n.module == "__future__"
                 and any(a.name == "annotations" for a in n.names) for n in tree.body)
    if future:
        return []
    lines = []
    for node in ast.walk(tree):
        anns = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            anns = [x.annotation for x in (*a.posonlyargs, *a.args, *a.kwonlyargs,
                                           a.vararg, a.kwarg) if x is not None]
            anns.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            anns = [node.annotation]
        for ann in anns:
            if ann is not None and any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr)
                                       for n in ast.walk(ann)):
                lines.append(ann.lineno)
    return lines


def test_every_python_file_parses_as_the_oldest_supported_python():
    """DCE's waf imports elfdce under the system Python of each distribution (Debian 11: 3.9):
    no syntax, and no runtime-evaluated ``X | Y`` annotation, newer than setup.cfg's floor. (The
    quick suite runs under 3.9 itself in scripts/roots' Debian 11 root.)"""
    import ast

    floor = _python_floor()
    assert floor <= (3, 9), "Debian 11's system Python is 3.9"
    bad = []
    for top in ("elfdce", "csrc", "versions", "tests", "benchmarks"):
        for d, dirs, files in os.walk(os.path.join(ROOT, top)):
            dirs[:] = [x for x in dirs if x not in ("build", "__pycache__") and not x.startswith(".")]
            for name in files:
                if not name.endswith(".py"):
                    continue
                path = os.path.join(d, name)
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                rel = os.path.relpath(path, ROOT)
                try:
                    tree = ast.parse(text, path, feature_version=floor)
                except SyntaxError as err:
                    bad.append(f"{rel}:{err.lineno}: {err.msg}")
                    continue
                bad += [f"{rel}:{n}: X | Y annotation evaluated at run time"
                        for n in _runtime_union_annotations(tree)]
    assert not bad, "\n".join(bad)
