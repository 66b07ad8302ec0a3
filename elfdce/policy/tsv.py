"""elfdce's own policy file: one symbol a line, tab-separated, readable and diffable.

    # elfdce policy 1
    # name<TAB>class<TAB>macro<TAB>extra<TAB>guard<TAB>note
    socket	DCE	DCE
    malloc	DCE	DCE_WITH_ALIAS2	valloc
    strtod	DCE	DCET	double
    __h_errno	TLS				thread-local: cannot be forwarded

``class`` is one of DCE, NATIVE, DATA, TLS, IFUNC, PRIVATE, UNSUPPORTED; ``macro`` (empty for
symbols outside DCE's table) one of DCE's X-macro kinds; ``extra`` their further arguments
separated by ``|``; ``guard`` the ``#ifdef`` symbol. Lines starting with ``#`` are comments.
"""

from __future__ import annotations

from .model import CLASSES, MACROS, Policy, PolicyEntry, PolicyError

HEADER = "# elfdce policy 1\n# name\tclass\tmacro\textra\tguard\tnote\n"


def parse_tsv(text: str, path: str = "<policy>") -> Policy:
    """A policy from its TSV text; errors name the line."""
    entries = []
    seen: dict[str, int] = {}
    for lineno, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) > 6:
            raise PolicyError(path, lineno, f"{len(cols)} columns, at most 6 "
                              "(name, class, macro, extra, guard, note)")
        name, cls, macro, extra, guard, note = (cols + [""] * 6)[:6]
        if not name or not name.replace("_", "a").isalnum() or name[0].isdigit():
            raise PolicyError(path, lineno, f"{name!r} is not a symbol name")
        if cls not in CLASSES:
            raise PolicyError(path, lineno, f"class {cls!r} is not one of {', '.join(CLASSES)}")
        if macro and macro not in MACROS:
            raise PolicyError(path, lineno, f"macro {macro!r} is not one of {', '.join(MACROS)}")
        if macro and MACROS[macro][0] != cls and not (cls == "IFUNC" and MACROS[macro][0] == "NATIVE"):
            raise PolicyError(path, lineno, f"macro {macro} makes a {MACROS[macro][0]} entry, "
                              f"not {cls}")
        if name in seen:
            raise PolicyError(path, lineno, f"{name} is already on line {seen[name]}")
        seen[name] = lineno
        entries.append(PolicyEntry(name, cls, macro, tuple(extra.split("|")) if extra else (),
                                   guard or None, note))
    return Policy(tuple(entries))


def format_tsv(policy: Policy) -> str:
    """The TSV text of ``policy`` (parse_tsv reads it back unchanged)."""
    lines = [HEADER.rstrip("\n")]
    for e in policy.entries:
        cols = [e.name, e.cls, e.macro, "|".join(e.extra), e.guard or "", e.note]
        lines.append("\t".join(cols).rstrip("\t"))
    return "\n".join(lines) + "\n"


def read_policy(path: str) -> Policy:
    """A policy file: elfdce TSV, or a DCE ``libc-ns3.h`` (by its content)."""
    from ..fsutil import InputError, read_input

    try:
        text = read_input(path).decode("utf-8")
    except InputError as err:
        raise PolicyError(path, None, err.problem) from None
    except UnicodeDecodeError:
        raise PolicyError(path, None, "not UTF-8 text") from None
    if _looks_like_tsv(text):
        return parse_tsv(text, path)
    from .xmacro import parse_xmacro

    return parse_xmacro(text, path)


def _looks_like_tsv(text: str) -> bool:
    """elfdce TSV: its header line, or tab-separated lines; a C header has neither (its
    comments, which DCE's and `table --format xmacro`'s open with, are passed over)."""
    if text.startswith("# elfdce policy"):
        return True
    from .xmacro import _COMMENTS

    for line in _COMMENTS.sub("", text).split("\n"):
        if line.startswith("# elfdce policy"):
            return True
        if line.strip() and not line.startswith("#"):
            return "\t" in line.strip() or "(" not in line
    return True
