"""DCE's X-macro table (``model/libc-ns3.h``): import and export.

One entry per line, ``KIND (arguments)``: ``DCE (socket)``, ``NATIVE_WITH_ALIAS2 (sscanf,
__isoc99_sscanf)``, ``DCET (double, strtod)``, ``DCE_EXPLICIT (clock_gettime, int, clockid_t,
struct timespec *)``, ``NATIVE_EXPLICIT (memchr, void * (*)(void *, int, size_t))``. Entries may
sit inside ``#ifdef HAVE_…`` blocks (kept as the entry's guard); comments and the header's own
``#ifndef``/``#define`` preamble are ignored.
"""

from __future__ import annotations

import re

from .model import MACROS, Policy, PolicyEntry, PolicyError

_INVOCATION = re.compile(r"([A-Z_][A-Z0-9_]*)\s*\(")
_COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def _split_args(text: str) -> list[str]:
    """Top-level comma-separated arguments, whitespace folded."""
    args: list[str] = []
    depth = 0
    cur: list[str] = []
    for ch in text:
        if ch == "," and depth == 0:
            args.append("".join(cur))
            cur = []
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur.append(ch)
    args.append("".join(cur))
    return [" ".join(a.split()) for a in args]


def parse_xmacro(text: str, path: str = "<libc-ns3.h>") -> Policy:
    """The table entries of a ``libc-ns3.h``-style header, in order."""
    # Blank out comments but keep their newlines, so line numbers stay right.
    text = _COMMENTS.sub(lambda m: "\n" * m.group().count("\n"), text)
    lines = text.split("\n")
    entries: list[PolicyEntry] = []
    guards: list[str] = []
    i = 0
    while i < len(lines):
        lineno, line = i + 1, lines[i].strip()
        i += 1
        if not line:
            continue
        if line.startswith("#"):
            _directive(line, guards, path, lineno)
            continue
        m = _INVOCATION.match(line)
        if m is None or m.group(1) not in MACROS:
            word = line.split("(")[0].split()[0] if line.split() else line
            raise PolicyError(path, lineno, f"not a table entry: {word!r} (expected one of "
                              f"{', '.join(MACROS)})")
        # An invocation may span lines: read until its parentheses balance.
        body = line[m.end():]
        while 1 + body.count("(") - body.count(")") > 0 and i < len(lines):
            body += " " + lines[i].strip()
            i += 1
        args = _arguments(body, m.group(1), path, lineno)
        entries.append(_entry(m.group(1), args, guards, path, lineno))
    if guards:
        raise PolicyError(path, None, f"#if without #endif ({guards[-1]})")
    return Policy(tuple(entries))


def _directive(line: str, guards: list[str], path: str, lineno: int) -> None:
    """Follow a preprocessor line: ``guards`` is the stack of conditions entries sit under."""
    directive, _, rest = line[1:].strip().partition(" ")
    rest = rest.strip()
    if directive == "ifdef":
        guards.append(rest)
    elif directive == "ifndef":
        guards.append(f"!{rest}")
    elif directive == "if":
        guards.append(rest)
    elif directive == "else":
        if not guards:
            raise PolicyError(path, lineno, "#else without #if")
        g = guards.pop()
        guards.append(g[1:] if g.startswith("!") else f"!{g}")
    elif directive == "endif":
        if not guards:
            raise PolicyError(path, lineno, "#endif without #if")
        guards.pop()


def _arguments(body: str, kind: str, path: str, lineno: int) -> list[str]:
    """The arguments of a ``kind`` invocation whose text after its ``(`` is ``body``."""
    depth, end = 1, -1
    for k, ch in enumerate(body):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            end = k
            break
    if end < 0:
        raise PolicyError(path, lineno, f"unbalanced parentheses in {kind} entry")
    trailing = body[end + 1 :].strip().rstrip(";").strip()
    if trailing:
        raise PolicyError(path, lineno, f"unexpected text after the entry: {trailing!r}")
    return _split_args(body[:end])


def _entry(kind: str, args: list[str], guards: list[str], path: str, line: int) -> PolicyEntry:
    cls, before, after = MACROS[kind]
    if any(not a for a in args):
        raise PolicyError(path, line, f"empty argument in {kind} entry")
    if after >= 0 and len(args) != 1 + before + after:
        raise PolicyError(path, line, f"{kind} takes {1 + before + after} argument(s), "
                          f"not {len(args)}")
    if after < 0 and len(args) < 2:
        raise PolicyError(path, line, f"{kind} takes a name and a return type at least")
    name = args[before]
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise PolicyError(path, line, f"{name!r} is not a symbol name")
    extra = tuple(args[:before] + args[before + 1 :])
    guard = " && ".join(guards) or None
    return PolicyEntry(name, cls, kind, extra, guard)


def format_xmacro(policy: Policy, title: str = "") -> str:
    """A ``libc-ns3.h``-style header of the policy's table entries (a drop-in for DCE's)."""
    out = [
        "/* Generated by elfdce" + (f": {title}" if title else "") + ".",
        " * DCE's X-macro table of replacement-library functions (see DCE's libc-ns3.h). */",
        "",
        "#ifndef DCE",
        "#error Macro DCE should be defined before including this table",
        "#endif",
    ]
    defaults = [
        ("NATIVE", "#define NATIVE DCE"),
        ("NATIVE_WITH_ALIAS", "#define NATIVE_WITH_ALIAS NATIVE"),
        ("NATIVE_WITH_ALIAS2", "#define NATIVE_WITH_ALIAS2(name, internal) NATIVE_WITH_ALIAS (name)"),
        ("DCE_WITH_ALIAS", "#define DCE_WITH_ALIAS DCE"),
        ("DCE_WITH_ALIAS2", "#define DCE_WITH_ALIAS2(name, internal) DCE_WITH_ALIAS (name)"),
        ("NATIVE_EXPLICIT", "#define NATIVE_EXPLICIT(name, type) NATIVE (name)"),
        ("DCE_EXPLICIT", "#define DCE_EXPLICIT(name, rtype, ...) DCE (name)"),
        ("DCET", "#define DCET(rtype, name) DCE (name)"),
        ("NATIVET", "#define NATIVET(rtype, name) NATIVE (name)"),
    ]
    for macro, definition in defaults:
        out += [f"#ifndef {macro}", definition, "#endif"]
    out.append("")
    current: str | None = None
    for e in policy.table():
        if e.guard != current:
            if current is not None:
                out += ["#endif"] * len(current.split(" && "))
            if e.guard is not None:
                out += [_open_guard(g) for g in e.guard.split(" && ")]
            current = e.guard
        _, before, _ = MACROS[e.macro]
        args = list(e.extra[:before]) + [e.name] + list(e.extra[before:])
        out.append(f"{e.macro} ({', '.join(args)})")
    if current is not None:
        out += ["#endif"] * len(current.split(" && "))
    out.append("")
    out += [f"#undef {m}" for m in MACROS]
    return "\n".join(out) + "\n"


def _open_guard(guard: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", guard):
        return f"#ifdef {guard}"
    if guard.startswith("!") and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", guard[1:]):
        return f"#ifndef {guard[1:]}"
    return f"#if {guard}"
