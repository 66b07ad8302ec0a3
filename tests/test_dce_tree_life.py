"""A prepared DCE tree a user lives with: it finds elfdce after the venv that prepared it is gone
(the interpreter running waf, then the `elfdce` on PATH, then the recorded path), and `--check`
says why a tree differs when another elfdce prepared it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, run_cli
from test_dce_prepare import copy_fixture

import elfdce


def _other_installation(dest, edit: tuple[str, str] | None = None) -> str:
    """A copy of this elfdce elsewhere (as a recreated venv or an upgrade holds it), with one
    text replaced in dce/prepare.py when ``edit`` is given; the directory to put on sys.path."""
    package = os.path.dirname(elfdce.__file__)
    shutil.copytree(package, os.path.join(dest, "elfdce"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    for data in ("csrc", "versions"):  # where an editable install keeps its data
        if os.path.isdir(os.path.join(ROOT, data)):
            shutil.copytree(os.path.join(ROOT, data), os.path.join(dest, data))
    if edit:
        path = os.path.join(dest, "elfdce", "dce", "prepare.py")
        with open(path) as f:
            text = f.read()
        assert edit[0] in text
        with open(path, "w") as f:
            f.write(text.replace(edit[0], edit[1]))
    return str(dest)


def _cli_from(where: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=where)
    return subprocess.run([sys.executable, "-m", "elfdce", *args], capture_output=True, text=True,
                          timeout=300, env=env, cwd=where)


def test_check_from_another_installation_says_who_prepared_the_tree(tmp_path):
    tree = copy_fixture(str(tmp_path / "dce"))
    assert run_cli("dce", "prepare", tree).returncode == 0
    with open(os.path.join(tree, "elfdce_dce", "manifest.json")) as f:
        recorded = json.load(f)["prepared_by"]
    assert recorded["path"] == os.path.dirname(os.path.dirname(elfdce.__file__))

    # the same code elsewhere (a recreated venv): the tree is what it would write
    same = _other_installation(tmp_path / "same")
    r = _cli_from(same, "dce", "prepare", "--check", tree)
    assert r.returncode == 0, r.stdout + r.stderr

    # an elfdce whose edit differs (an upgrade): --check and --dry-run agree, with the reason
    newer = _other_installation(tmp_path / "newer", ("DCE's glibc-specific build steps",
                                                     "DCE's glibc-specific build steps, v2"))
    r = _cli_from(newer, "dce", "prepare", "--check", tree)
    assert r.returncode == 1
    assert "wscript: differs from what prepare writes" in r.stdout + r.stderr
    why = [ln for ln in (r.stdout + r.stderr).splitlines() if "prepared by elfdce" in ln]
    assert why and f"at {recorded['path']};" in why[0] and f"at {newer}: run prepare again" in why[0]
    assert recorded["digest"] in why[0]
    dry = _cli_from(newer, "dce", "prepare", "--dry-run", tree)
    assert dry.returncode == 0 and "+import elfdce_dce  # elfdce dce prepare: DCE's glibc-specific " \
        "build steps, v2" in dry.stdout
    # preparing again from there records the new installation, and --check is satisfied
    assert _cli_from(newer, "dce", "prepare", tree).returncode == 0
    assert _cli_from(newer, "dce", "prepare", "--check", tree).returncode == 0
    with open(os.path.join(tree, "elfdce_dce", "manifest.json")) as f:
        assert json.load(f)["prepared_by"]["path"] == newer


def _import_loader(tree: str, path_dirs: list[str],
                   waflib: bool = True) -> subprocess.CompletedProcess:
    """Import the tree's elfdce_dce as waf does, under an interpreter that cannot import elfdce
    itself (-S: no site-packages; -I: no PYTHONPATH, no cwd), with PATH set to ``path_dirs``
    (waflib's directory given, as waf gives it, unless ``waflib`` is False)."""
    import waflib as waf_package  # waf runs with its own waflib importable; elfdce's steps use it

    dirs = [tree] + ([os.path.dirname(os.path.dirname(waf_package.__file__))] if waflib else [])
    code = (f"import sys; sys.path[:0] = {dirs!r}; import elfdce_dce, elfdce; "
            "print(elfdce.__file__)")
    env = {"PATH": os.pathsep.join(path_dirs), "HOME": os.environ.get("HOME", "/")}
    return subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True,
                          text=True, timeout=120, env=env)


def test_the_loader_finds_elfdce_on_path_then_where_it_was(tmp_path):
    probe = subprocess.run([sys.executable, "-I", "-S", "-c", "import elfdce"],
                           capture_output=True, text=True, timeout=60)
    if probe.returncode == 0:
        pytest.skip("elfdce is importable without site-packages here: nothing to find")
    tree = copy_fixture(str(tmp_path / "dce"))
    assert run_cli("dce", "prepare", tree).returncode == 0
    manifest = os.path.join(tree, "elfdce_dce", "manifest.json")
    here = os.path.dirname(os.path.dirname(elfdce.__file__))

    # the venv that prepared the tree is gone from the record: the `elfdce` on PATH is asked
    with open(manifest) as f:
        doc = json.load(f)
    doc["prepared_by"]["path"] = str(tmp_path / "gone")
    with open(manifest, "w") as f:
        json.dump(doc, f)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "elfdce"
    script.write_text(f"#!{sys.executable}\nimport elfdce.cli, sys\nsys.exit(elfdce.cli.main())\n")
    script.chmod(0o755)
    r = _import_loader(tree, [str(bin_dir), "/usr/bin", "/bin"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith(here)

    # no elfdce on PATH: the recorded path
    doc["prepared_by"]["path"] = here
    with open(manifest, "w") as f:
        json.dump(doc, f)
    r = _import_loader(tree, ["/nonexistent"])
    assert r.returncode == 0, r.stderr

    # neither: one clear error
    doc["prepared_by"]["path"] = str(tmp_path / "gone")
    with open(manifest, "w") as f:
        json.dump(doc, f)
    r = _import_loader(tree, ["/nonexistent"])
    assert r.returncode != 0 and "elfdce is not importable by this Python, nor by the `elfdce` " \
        "on PATH" in r.stderr

    # elfdce found where it was, but without what it needs (here waflib, which only waf has):
    # that is what the error says, not that elfdce is missing
    doc["prepared_by"]["path"] = here
    with open(manifest, "w") as f:
        json.dump(doc, f)
    r = _import_loader(tree, ["/nonexistent"], waflib=False)
    assert r.returncode != 0 and f"the elfdce in {here}: No module named 'waflib'" in r.stderr, \
        r.stderr
    # elfdce importable by this Python itself, waflib not: its own error, no search
    r = subprocess.run([sys.executable, "-I", "-S", "-c",
                        f"import sys; sys.path[:0] = [{tree!r}, {here!r}]; import elfdce_dce"],
                       capture_output=True, text=True, timeout=120, env={"PATH": "/nonexistent"})
    assert r.returncode != 0 and "No module named 'waflib'" in r.stderr
    assert "elfdce is not importable" not in r.stderr, r.stderr


def test_a_no_op_build_does_nothing_and_a_touched_source_reruns_its_steps(tmp_path):
    from test_dce_prepare import waf

    tree = copy_fixture(str(tmp_path / "dce"))
    assert run_cli("dce", "prepare", tree).returncode == 0
    for step in ("configure", "build"):
        r = waf(tree, step)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "elfdce: libc-ns3.so: exports" in r.stdout  # the checks ran after the first links
    key = os.path.join(tree, "elfdce_dce", "gen", "key.json")
    with open(key) as f:
        made = json.load(f)
    assert set(made["libraries"]) >= {"libc", "libm"} and "model/libc.cc" in made["sources"]

    # nothing changed: no step runs, elfdce says nothing, the generated set is not touched
    stamp = os.stat(key).st_mtime_ns
    r = waf(tree, "build")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "elfdce" not in r.stdout + r.stderr
    assert not [ln for ln in r.stdout.splitlines() if ln.startswith("[")], r.stdout
    assert os.stat(key).st_mtime_ns == stamp

    # a source touched (an editor's save, a checkout of the same bytes): by content, nothing
    # to regenerate; waf itself compiles nothing either (its signatures are content hashes)
    libc_cc = os.path.join(tree, "model", "libc.cc")
    later = os.stat(libc_cc).st_mtime_ns + 5_000_000_000
    os.utime(libc_cc, ns=(later, later))
    r = waf(tree, "build")
    assert r.returncode == 0 and "elfdce" not in r.stdout + r.stderr, r.stdout + r.stderr
    assert not [ln for ln in r.stdout.splitlines() if ln.startswith("[")], r.stdout
    assert os.stat(key).st_mtime_ns == stamp

    # a DCE source changed: generated again, its objects rebuilt, relinked, checked (a comment
    # alone recompiles, and stops there: the objects are the same)
    with open(libc_cc, "a") as f:
        f.write('\nextern "C" int elfdce_test_added (void) { return 1; }\n')
    r = waf(tree, "build")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Compiling model/libc.cc" in r.stdout and "elfdce: libc-ns3.so: exports" in r.stdout, \
        r.stdout
    with open(key) as f:
        assert json.load(f)["sources"]["model/libc.cc"] != made["sources"]["model/libc.cc"]
    # and quiet again
    r = waf(tree, "build")
    assert r.returncode == 0 and "elfdce" not in r.stdout + r.stderr


def test_an_ns3_prefix_with_pkgconfig_only_under_lib64_is_found_and_an_empty_one_refused(tmp_path):
    from elfdce.dce.waf import ns3_version_in_lib64

    prefix = tmp_path / "ns3"
    (prefix / "lib64" / "pkgconfig").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"no ns-3 core module .* under .*/lib/pkgconfig or "
                                         r".*/lib64/pkgconfig"):
        ns3_version_in_lib64(str(prefix))
    for module in ("core", "network"):
        (prefix / "lib64" / "pkgconfig" / f"libns3.35-{module}-debug.pc").write_text("")
    assert ns3_version_in_lib64(str(prefix)) == "ns3.35"
    # with the lib -> lib64 link (or ns-3 installing into lib), DCE's own lookup is left alone
    (prefix / "lib").symlink_to("lib64")
    assert ns3_version_in_lib64(str(prefix)) is None


def test_source_digests_follow_content_and_distrust_recent_mtimes(tmp_path):
    from types import SimpleNamespace

    from elfdce.dce.waf import source_digests

    (tmp_path / "model").mkdir()
    src, wscript = tmp_path / "model" / "a.cc", tmp_path / "wscript"
    src.write_text("int a;\n")
    wscript.write_text("# waf\n")
    tree = SimpleNamespace(root=str(tmp_path), model=str(tmp_path / "model"),
                           wscript=str(wscript))
    stamps = str(tmp_path / "stamps.json")
    first = source_digests(tree, stamps)
    assert set(first) == {"model/a.cc", "wscript"}
    # just written: not remembered by mtime, so the same size and mtime with other bytes shows
    st = os.stat(src)
    src.write_text("int b;\n")
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert source_digests(tree, stamps)["model/a.cc"] != first["model/a.cc"]
    # older than two seconds: remembered, and a touch keeps the digest without reading
    old = st.st_mtime_ns - 10_000_000_000
    os.utime(src, ns=(old, old))
    second = source_digests(tree, stamps)
    with open(stamps) as f:
        assert json.load(f)["model/a.cc"] == [7, old, second["model/a.cc"]]
    os.utime(src, ns=(old + 1, old + 1))
    assert source_digests(tree, stamps) == second
