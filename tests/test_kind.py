"""One classifier of what an ELF file is (`elfdce.elf.kind.classify`), and every command that
cares agreeing with it: preflight's PIE status, --tree's kinds, run's refusals, fix-pie."""

from __future__ import annotations

import json
import os

import pytest
from conftest import HOST_LIBC, ROOT, run_cli

import elfdce
from elfdce.elf.kind import Kind, classify

ANSWER = os.path.join(ROOT, "csrc", "programs", "answer.c")


@pytest.fixture(scope="module")
def files(compile_program, versioned_lib) -> dict[str, str]:
    """One file of each kind, built here (the static ones only where libc.a is installed)."""
    out = {
        Kind.PIE: compile_program("pie", "-fPIE", "-pie", ANSWER),
        Kind.EXEC: compile_program("exec", "-fno-pie", "-no-pie", ANSWER),
        Kind.LIBRARY: versioned_lib,
        Kind.OBJECT: compile_program("answer.o", "-c", ANSWER),
    }
    if os.path.exists("/usr/lib/x86_64-linux-gnu/libc.a") or any(
            os.path.exists(os.path.join(d, "libc.a")) for d in ("/usr/lib", "/usr/lib64")):
        out[Kind.STATIC] = compile_program("static", "-static", "-fno-pie", "-no-pie", ANSWER)
        out[Kind.STATIC_PIE] = compile_program("static-pie", "-static-pie", "-fPIE", ANSWER)
    return out


def test_each_kind_is_told_apart(files):
    for kind, path in files.items():
        assert classify(elfdce.scan(path)) == kind == elfdce.scan(path).kind, path
    # glibc's libc.so.6 has a PT_INTERP (it runs, printing its version): a library all the same
    assert classify(elfdce.scan(HOST_LIBC)) == Kind.LIBRARY


def test_the_commands_agree_with_the_classifier(files, tmp_path):
    tree_kind = {Kind.PIE: "program", Kind.EXEC: "program", Kind.LIBRARY: "library",
                 Kind.OBJECT: "object", Kind.STATIC: "static", Kind.STATIC_PIE: "static"}
    preflight_pie = {Kind.PIE: "pie", Kind.EXEC: "exec", Kind.LIBRARY: "dso",
                     Kind.OBJECT: "other", Kind.STATIC: "exec", Kind.STATIC_PIE: "static-pie"}
    for kind, path in files.items():
        report = run_cli("preflight", "--json", path)
        if kind != Kind.OBJECT:  # an object has no closure to bind: preflight refuses it
            assert json.loads(report.stdout)["pie"] == preflight_pie[kind], (kind, report.stderr)
        one = tmp_path / kind
        one.mkdir()
        (one / "f").write_bytes(open(path, "rb").read())
        tree = json.loads(run_cli("scan", "--tree", "--json", str(one)).stdout)
        assert [f["kind"] for f in tree["files"]] == [tree_kind[kind]], kind
        fixed = run_cli("fix-pie", path, "-o", str(tmp_path / f"{kind}.fixed"))
        assert (fixed.returncode == 0) == (kind in Kind.LOADABLE), (kind, fixed.stderr)
        shims = tmp_path / "shims"  # an empty libc-ns3.so: refusals come before any loading
        shims.mkdir(exist_ok=True)
        (shims / "libc-ns3.so").write_bytes(b"")
        ran = run_cli("run", "--shim", str(shims), path)
        if kind not in Kind.LOADABLE:
            assert ran.returncode == 2 and path in ran.stderr, (kind, ran.stderr)
