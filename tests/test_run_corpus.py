"""`elfdce run` against real Debian programs: each case is run natively and under `run` (shims
from the default policy, no overrides, so DCE-class functions call the host's) with the same
arguments, standard input, environment and directory; stdout, stderr and the exit status must be
the same. scripts/test installs the packages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

TEXT = "b 2\na 1\nc 3\na 1\n"
# (id, argv, stdin): coreutils, text tools, compressors, an interpreter, C++ programs, network
# clients run offline
CASES = [
    ("cat", ["cat", "f.txt"], None),
    ("wc", ["wc", "-l", "-w", "f.txt"], None),
    ("head", ["head", "-n", "2", "f.txt"], None),
    ("tail", ["tail", "-n", "1", "f.txt"], None),
    ("sort", ["sort", "-r", "f.txt"], None),
    ("sort-unique", ["sort", "-u", "-k2,2n", "f.txt"], None),
    ("cut", ["cut", "-d", " ", "-f2", "f.txt"], None),
    ("cut-chars", ["cut", "-c1-2", "f.txt"], None),
    ("tr", ["tr", "a-z", "A-Z"], TEXT),
    ("uniq", ["uniq", "-c"], "a\na\nb\n"),
    ("date", ["date", "-u", "-d", "@0", "+%Y-%m-%d %H:%M"], None),
    ("id", ["id", "-u"], None),
    ("uname", ["uname", "-s"], None),
    ("basename", ["basename", "/a/b/c.txt", ".txt"], None),
    ("dirname", ["dirname", "/a/b/c"], None),
    ("seq", ["seq", "-s", ",", "3", "7"], None),
    ("printf", ["printf", "%s-%05.1f\\n", "x", "3.25"], None),
    ("expr", ["expr", "6", "*", "7"], None),
    ("md5sum", ["md5sum", "f.txt"], None),
    ("sha256sum", ["sha256sum", "f.txt"], None),
    ("base64", ["base64", "f.txt"], None),
    ("od", ["od", "-An", "-tx1", "-N8", "f.txt"], None),
    ("tac", ["tac", "f.txt"], None),
    ("nl", ["nl", "f.txt"], None),
    ("fold", ["fold", "-w", "2", "f.txt"], None),
    ("numfmt", ["numfmt", "--to=iec", "123456789"], None),
    ("stat", ["stat", "-c", "%s %F", "f.txt"], None),
    ("env", ["env", "-i", "A=1", "B=2"], None),
    ("ls", ["ls", "-1", "-a"], None),
    ("ls-missing", ["ls", "nosuchfile"], None),
    ("grep", ["grep", "-n", "a", "f.txt"], None),
    ("grep-none", ["grep", "-c", "zzz", "f.txt"], None),
    ("sed", ["sed", "-e", "s/a/X/g", "f.txt"], None),
    ("mawk", ["mawk", "{ s += $2 } END { print s, NR }", "f.txt"], None),
    ("gzip", ["gzip", "-c", "-n", "f.txt"], None),
    ("xz", ["xz", "-c", "f.txt"], None),
    ("bzip2", ["bzip2", "-c", "f.txt"], None),
    ("cmp", ["cmp", "f.txt", "g.txt"], None),
    ("diff", ["diff", "f.txt", "g.txt"], None),
    ("find", ["find", ".", "-name", "*.txt", "-type", "f"], None),
    ("perl", ["perl", "-e", "printf(\"%d %s\\n\", 6*7, join(',', sort qw(b a c)))"], None),
    ("iperf", ["iperf", "--version"], None),
    ("nc", ["nc", "-h"], None),
    ("ping", ["ping", "-V"], None),
    ("true", ["true"], None),
    ("false", ["false"], None),
    ("sleep", ["sleep", "0.1"], None),
]


def _resolve(argv: list[str]) -> list[str] | None:
    path = shutil.which(argv[0])
    return None if path is None else [os.path.realpath(path), *argv[1:]]


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> str:
    d = tmp_path_factory.mktemp("corpus")
    (d / "f.txt").write_text(TEXT)
    (d / "g.txt").write_text(TEXT.replace("c 3", "c 4"))
    shims = d / "shims"
    r = subprocess.run([sys.executable, "-m", "elfdce", "shim", "build", "--all", "-o",
                        str(shims)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return str(d)


def _run(argv: list[str], stdin: str | None, cwd: str) -> tuple[int, bytes, bytes]:
    # HOME outside the directory listed (run keeps its cache under it)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC",
           "HOME": os.path.join(os.path.dirname(cwd), "home")}
    p = subprocess.run(argv, input=stdin.encode() if stdin is not None else b"", cwd=cwd,
                       capture_output=True, timeout=120, env=env)
    return p.returncode, p.stdout, p.stderr


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_program_runs_under_run_as_natively(corpus_dir, case):
    _name, argv, stdin = case
    full = _resolve(argv)
    if full is None:
        pytest.skip(f"{argv[0]} is not installed (scripts/test installs the corpus)")
    work = os.path.join(corpus_dir, "work-" + _name)
    if not os.path.isdir(work):
        os.makedirs(work)
        for f in ("f.txt", "g.txt"):
            shutil.copy(os.path.join(corpus_dir, f), work)
    native = _run(full, stdin, work)
    under = _run([sys.executable, "-m", "elfdce", "run", "--shim",
                  os.path.join(corpus_dir, "shims"), "--overrides", "", *full], stdin, work)
    assert under == native
