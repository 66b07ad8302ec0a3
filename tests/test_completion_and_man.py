"""`elfdce completion` and `elfdce man`: scripts the shells accept and that complete, a man page
groff renders without a warning; all of it from the live parser, the same bytes every run."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

import pytest

import elfdce.cli
from elfdce.cli.exits import EXIT_STATUS
from elfdce.cli import COMMANDS, build_parser
from elfdce.cli.manpage import page
from conftest import require_package


def run_cli(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "elfdce", *args], capture_output=True,
                          timeout=120, **kw)


def walk(parser: argparse.ArgumentParser, words: tuple[str, ...] = ()):
    """(command words, parser) of every parser, found here independently of elfdce's own walk."""
    yield words, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from walk(child, (*words, name))


def subparser(*words: str) -> argparse.ArgumentParser:
    return dict(walk(build_parser()))[words]


def option(parser: argparse.ArgumentParser, flag: str) -> argparse.Action:
    return next(a for a in parser._actions if flag in a.option_strings)


def roff(text: str) -> str:
    return text.replace("-", "\\-")


@pytest.fixture(scope="module")
def bash_script(tmp_path_factory) -> str:
    proc = run_cli("completion", "bash")
    assert proc.returncode == 0, proc.stderr
    path = tmp_path_factory.mktemp("completion") / "elfdce.bash"
    path.write_bytes(proc.stdout)
    return str(path)


# Sources the script, finds the function `complete -F` registered for elfdce and calls it as
# readline would for the command line given as arguments (the last one the word under the cursor).
DRIVER = r'''
source "$1" || exit 99
shift
spec=$(complete -p elfdce) || exit 98
fn=${spec##*-F }
fn=${fn%% *}
COMP_WORDS=("$@")
COMP_CWORD=$(( $# - 1 ))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
"$fn" elfdce "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
'''


def complete(script: str, *words: str, cwd: str | None = None) -> list[str]:
    proc = subprocess.run(["bash", "--norc", "--noprofile", "-c", DRIVER, "bash", script,
                           "elfdce", *words], capture_output=True, text=True, timeout=60, cwd=cwd)
    assert proc.returncode == 0 and proc.stderr == "", (proc.returncode, proc.stderr)
    return [line for line in proc.stdout.splitlines() if line]


def test_bash_accepts_the_script(bash_script):
    proc = subprocess.run(["bash", "-n", bash_script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == ""
    proc = subprocess.run(["bash", "--norc", "--noprofile", "-c",
                           'source "$1" && complete -p elfdce', "bash", bash_script],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == ""
    assert " -F " in proc.stdout and proc.stdout.rstrip().endswith(" elfdce")


def test_bash_completes_commands_options_and_choices(bash_script):
    assert complete(bash_script, "pre") == ["preflight"]
    assert set(complete(bash_script, "")) == set(COMMANDS)
    assert complete(bash_script, "scan", "--fo") == ["--format"]
    choices = option(subparser("scan"), "--format").choices
    assert choices and sorted(complete(bash_script, "scan", "--format", "")) == sorted(choices)
    # a later option still completes after a choice was taken
    assert complete(bash_script, "scan", "--format", "json", "--ver") == ["--version-node"]
    # a subcommand's own subcommands, options and choices
    assert complete(bash_script, "shim", "") == ["build"]
    abi = option(subparser("shim", "build"), "--abi").choices
    assert abi and sorted(complete(bash_script, "shim", "build", "--abi", "")) == sorted(abi)
    assert set(complete(bash_script, "completion", "")) == set(
        next(a for a in subparser("completion")._actions if a.dest == "shell").choices)


def test_bash_completes_files_where_an_argument_is_a_path(bash_script, tmp_path):
    (tmp_path / "libfoo.so").write_bytes(b"")
    (tmp_path / "gen").mkdir()
    cwd = str(tmp_path)
    assert {"libfoo.so", "gen"} <= set(complete(bash_script, "scan", "", cwd=cwd))
    assert complete(bash_script, "scan", "lib", cwd=cwd) == ["libfoo.so"]
    assert complete(bash_script, "diff", "libfoo.so", "li", cwd=cwd) == ["libfoo.so"]
    assert complete(bash_script, "table", "--policy", "li", cwd=cwd) == ["libfoo.so"]
    # directories only where the argument is one
    assert complete(bash_script, "versions", "--out-dir", "", cwd=cwd) == ["gen"]
    assert complete(bash_script, "dce", "prepare", "", cwd=cwd) == ["gen"]
    # not a path: no file names offered
    assert complete(bash_script, "scan", "--version-node", "", cwd=cwd) == []


def test_zsh_accepts_the_script(tmp_path):
    proc = run_cli("completion", "zsh")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.decode()
    assert text.startswith("#compdef elfdce")
    for name in COMMANDS:
        assert re.search(rf"^\s*{re.escape(name)}:", text, re.M), name
    zsh = shutil.which("zsh")
    require_package("zsh", zsh is not None, "zsh (the script's syntax check, zsh -n)")
    path = tmp_path / "_elfdce"
    path.write_bytes(proc.stdout)
    check = subprocess.run([zsh, "-n", str(path)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and check.stderr == "", check.stderr


def sections(text: str) -> dict[str, str]:
    """The page's .SH and .SS parts by title (a .SH part ends at the first .SS)."""
    parts: dict[str, str] = {}
    for chunk in re.split(r"^(?=\.S[HS] )", text, flags=re.M):
        title, _, body = chunk.partition("\n")
        if title.startswith((".SH ", ".SS ")):
            parts[title[4:].strip('"')] = body
    return parts


def test_man_page_renders_without_warnings(tmp_path):
    proc = run_cli("man")
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / "elfdce.1"
    path.write_bytes(proc.stdout)
    if shutil.which("groff"):
        check = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(path)],
                               capture_output=True, text=True, timeout=60)
        shown = subprocess.run(["groff", "-man", "-Tutf8", "-P-cbou", str(path)],
                               capture_output=True, text=True, timeout=60).stdout
    elif shutil.which("man"):
        check = subprocess.run(["man", "--warnings", "-l", str(path)], capture_output=True,
                               text=True, timeout=60, env={**os.environ, "MANPAGER": "cat"})
        shown = check.stdout
    else:
        pytest.skip("neither groff nor man is installed: the page was not rendered")
    assert check.returncode == 0 and check.stderr == "", check.stderr
    shown = re.sub(".\b", "", shown).replace("\u2212", "-").replace("\u2010", "-")
    for title in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "EXIT STATUS"):
        assert re.search(rf"^{title}$", shown, re.M), title
    for name in COMMANDS:
        assert re.search(rf"^ +elfdce {re.escape(name)}$", shown, re.M), name


def test_man_page_has_every_command_and_option():
    text = page()
    parts = sections(text)
    assert text.startswith('.\\"') and "\n.TH ELFDCE 1 " in text
    for title in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "EXIT STATUS"):
        assert title in parts, title
    assert f'"elfdce {elfdce.__version__}"' in text
    for name in COMMANDS:
        assert f"elfdce {roff(name)}" in parts, name
        assert f'.SY "elfdce {roff(name)}' in parts["SYNOPSIS"], name
    for words, parser in walk(build_parser()):
        body = parts["OPTIONS"] if not words else parts[roff(" ".join(("elfdce", *words)))]
        if words and parser.description:
            # a description is one filled line, hyphens escaped
            assert roff(" ".join(parser.description.split())) in body
        for action in parser._actions:
            for flag in action.option_strings:
                assert f"\\fB{roff(flag)}\\fR" in text, (words, flag)
                if not isinstance(action, argparse._HelpAction):
                    assert f"\\fB{roff(flag)}\\fR" in body, (words, flag)  # in its own part
            if action.choices and action.metavar is None:  # argparse's {a,b}
                assert "{" + ",".join(map(str, action.choices)) + "}" in body, (words, action)


def test_man_exit_status_from_the_table_or_the_descriptions():
    live = sections(page())["EXIT STATUS"]
    for status in EXIT_STATUS:
        assert f".TP\n\\fB{status}\\fR\n" in live
    # every command one runs, with the statuses its description gives
    for words, parser in walk(build_parser()):
        description = " ".join((parser.description or "").split())
        described = re.search(r"Exit status:\s*(.*\.)", description)
        runs = not any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)
        if words and runs and described:
            name = roff(" ".join(("elfdce", *words)))
            assert f".TP\n\\fB{name}\\fR\n" in live, words
            assert roff(described.group(1).split(". ")[0]) in live
    own = sections(page(statuses={0: "fine", 7: "a status of its own"}))["EXIT STATUS"]
    assert own.startswith(".TP\n\\fB0\\fR\nfine\n.TP\n\\fB7\\fR\na status of its own\n")
    without = sections(page(statuses={}))["EXIT STATUS"]
    assert without.startswith(".PP\n") and ".TP\n\\fBelfdce scan\\fR\n" in without


def test_man_exit_status_follows_the_one_table(monkeypatch):
    # the page reads cli.exits' table: change the table, the page follows
    monkeypatch.setattr("elfdce.cli.manpage.EXIT_STATUS", {4: "four"})
    assert sections(page())["EXIT STATUS"].startswith(".TP\n\\fB4\\fR\nfour\n.PP\n")


@pytest.mark.parametrize("args", [("completion", "bash"), ("completion", "zsh"), ("man",)])
def test_output_is_the_same_every_run(args, tmp_path):
    first = run_cli(*args)
    # another terminal width, locale and directory change nothing
    second = run_cli(*args, cwd=str(tmp_path),
                    env={**os.environ, "COLUMNS": "37", "LC_ALL": "C", "LANG": "C"})
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout and first.stdout
    text = first.stdout.decode()
    for name in COMMANDS:
        assert (roff(name) if args == ("man",) else name) in text


def test_output_option_writes_atomically_and_only_on_change(tmp_path):
    out = tmp_path / "elfdce.1"
    assert run_cli("man", "-o", str(out)).returncode == 0
    assert out.read_bytes() == run_cli("man").stdout
    os.utime(out, (1_000_000_000, 1_000_000_000))
    assert run_cli("man", "--output", str(out)).returncode == 0
    assert out.stat().st_mtime == 1_000_000_000  # same bytes: not rewritten
    script = tmp_path / "elfdce.bash"
    assert run_cli("completion", "bash", "-o", str(script)).returncode == 0
    assert script.read_bytes() == run_cli("completion", "bash").stdout
    bad = run_cli("man", "-o", str(tmp_path / "missing" / "elfdce.1"))
    assert bad.returncode == 2 and bad.stdout == b""
    assert str(tmp_path / "missing" / "elfdce.1") in bad.stderr.decode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elfdce.1", "elfdce.bash"]


def test_parser_does_not_import_shtab():
    # shtab is for `completion` alone: building the parser (what every other command does)
    # must not load it
    code = ("import sys; from elfdce.cli import build_parser; build_parser(); "
            "sys.exit('shtab' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
