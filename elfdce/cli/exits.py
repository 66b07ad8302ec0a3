"""Exit statuses: the one table every subcommand's help, the man page and README's table come
from (a test holds README to it).

The same number means the same kind of outcome in every command: 0 done with nothing to report,
1 done and something found (what, per command below), 2 nothing done because of bad input or
usage (one line on stderr naming the file or option), 3 `preflight`'s "loads once fix-pie has
run", 4 `preflight`'s "runs, but leaves the simulation", 130 interrupted. `run` is the exception that proves the rule: it passes on the program's.
"""

from __future__ import annotations

OK = 0
FINDINGS = 1
BAD_INPUT = 2
NEEDS_FIX_PIE = 3
ESCAPES = 4
INTERRUPTED = 130

EXIT_STATUS = {
    OK: "success",
    FINDINGS: "done, and something was found (per command)",
    BAD_INPUT: "bad input or usage: a file that cannot be read or is not what the command "
               "takes, a bad option; one line on stderr names it",
    NEEDS_FIX_PIE: "preflight: the program loads once `elfdce fix-pie` has cleared DF_1_PIE",
    ESCAPES: "preflight: the program runs, but calls forwarded to the host leave the simulation",
    INTERRUPTED: "interrupted (Ctrl-C)",
}

# a command whose status is another's: what it passes on
PASSED_ON = {"run": "the program's own (128+N when signal N ended it, 124 on timeout)"}

# command -> {status: what it means there}; statuses 2 and 130 hold for every command.
BY_COMMAND: dict[str, dict[int, str]] = {
    "scan": {OK: "every file read", FINDINGS: "--tree: a file could not be read"},
    "versions": {OK: "written (or --summary printed)",
                 FINDINGS: "--check: a file differs from what would be written"},
    "table": {OK: "printed"},
    "diff": {OK: "no change", FINDINGS: "changes"},
    "preflight": {OK: "it runs (hazards named or not)",
                  FINDINGS: "it will not start (something missing, a library not found, not a "
                            "PIE, no main DCE finds, static TLS), with --tree: a file unreadable "
                            "or a program that will not load",
                  NEEDS_FIX_PIE: "it loads once fix-pie has run (DF_1_PIE on glibc >= 2.30, a "
                                 "DCE tree not prepared by elfdce)",
                  ESCAPES: "it runs, but escapes the simulation (a call forwarded to the host "
                           "sleeps, opens or sends there)"},
    "fix-pie": {OK: "written (unchanged when there was nothing to clear)"},
    "fix-unique": {OK: "written (unchanged when there was nothing to rebind)"},
    "check-host": {OK: "examined", FINDINGS: "--probe: a probe disagreed with the static verdict"},
    "shim": {OK: "built and verified", BAD_INPUT: "also a failed build or verification"},
    "run": {BAD_INPUT: "also when the shims or the program cannot be loaded"},
    "dce": {OK: "done (--check: prepared for this host)",
            FINDINGS: "--check: not prepared, or prepared for another host or elfdce",
            BAD_INPUT: "also not a DCE tree"},
    "cache": {OK: "shown or cleared"},
    "syscalls": {OK: "shown (--diff: no change)", FINDINGS: "--diff: footprints changed"},
    "completion": {OK: "printed (or written)"},
    "man": {OK: "printed (or written)"},
}


def sentence(command: str) -> str:
    """``Exit status: 0 …, 1 …, 2 bad input or usage, 130 interrupted.`` for ``command``'s help."""
    own = dict(BY_COMMAND[command])
    own[BAD_INPUT] = "bad input or usage" + (f" ({own[BAD_INPUT]})" if BAD_INPUT in own else "")
    parts = [PASSED_ON[command]] if command in PASSED_ON else []
    parts += [f"{status} {text}" for status, text in sorted(own.items())]
    parts.append(f"{INTERRUPTED} interrupted")
    return "Exit status: " + "; ".join(parts) + "."


def markdown_table() -> str:
    """README's exit-status table (a test checks README holds exactly this)."""
    lines = ["| command | 0 | 1 | 2 | 3 | 4 |", "|---|---|---|---|---|---|"]
    for command, own in BY_COMMAND.items():
        cells = [own.get(OK, ""), own.get(FINDINGS, ""), "bad input or usage"
                 + (f" ({own[BAD_INPUT]})" if BAD_INPUT in own else ""), own.get(NEEDS_FIX_PIE, ""),
                 own.get(ESCAPES, "")]
        if command in PASSED_ON:
            cells[0] = PASSED_ON[command]
        lines.append(f"| `{command}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


__all__ = ["BAD_INPUT", "BY_COMMAND", "ESCAPES", "EXIT_STATUS", "FINDINGS", "INTERRUPTED",
           "NEEDS_FIX_PIE", "OK", "PASSED_ON", "markdown_table", "sentence"]
