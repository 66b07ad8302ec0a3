"""Generate `numbers.py`, the syscall number -> name tables, from the kernel's UAPI headers.

    python -m elfdce.syscalls.gentable [--root DIR]   # rewrite elfdce/syscalls/numbers.py
    python -m elfdce.syscalls.gentable --check        # exit 1 when the headers here disagree

``--root`` reads the headers of another root (a debootstrap of Debian sid, whose headers are the
newest): the table is made from the newest headers at hand, and records their kernel version.

x86_64 reads ``asm/unistd_64.h`` (plain ``#define __NR_name N`` lines); aarch64 reads
``asm-generic/unistd.h`` the way the arm64 UAPI header includes it: ``__BITS_PER_LONG`` 64 and
the ``__ARCH_WANT_*`` switches arch/arm64/include/uapi/asm/unistd.h defines. The few
preprocessor lines those headers use (``#if``/``#ifdef``/``#ifndef``/``#else``/``#endif``,
``defined()``, ``||``, ``&&``, ``!``, ``==``, ``!=``, aliases such as
``#define __NR_fcntl __NR3264_fcntl``) are evaluated here, so no compiler is needed.
"""

from __future__ import annotations

import os
import re
import sys

# where Debian (and most distributions) install the kernel's UAPI headers
HEADERS = {
    "x86_64": ("/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "/usr/include/asm/unistd_64.h"),
    "aarch64": ("/usr/include/asm-generic/unistd.h",
                "/usr/aarch64-linux-gnu/include/asm-generic/unistd.h"),
}

# arch/arm64/include/uapi/asm/unistd.h before it includes asm-generic/unistd.h
PREDEFINED = {
    "x86_64": {},
    "aarch64": {"__BITS_PER_LONG": "64", "__ARCH_WANT_RENAMEAT": "1",
                "__ARCH_WANT_NEW_STAT": "1", "__ARCH_WANT_SET_GET_RLIMIT": "1",
                "__ARCH_WANT_TIME32_SYSCALLS": "1", "__ARCH_WANT_SYS_CLONE3": "1",
                "__ARCH_WANT_MEMFD_SECRET": "1"},
}

# macros of those headers that are not system calls
NOT_SYSCALLS = {"syscalls", "arch_specific_syscall"}

_DIRECTIVE = re.compile(r"^\s*#\s*(\w+)\s*(.*?)\s*$")
_TOKEN = re.compile(r"defined\s*\(\s*(\w+)\s*\)|defined\s+(\w+)|(\|\||&&|==|!=|!|\(|\))|(\w+)")


def header_path(arch: str, root: str = "/") -> str | None:
    """The first of ``arch``'s headers that exists here (under ``root``), or None."""
    candidates = (os.path.join(root, p.lstrip("/")) for p in HEADERS[arch])
    return next((p for p in candidates if os.path.isfile(p)), None)


def kernel_version(header: str) -> tuple[int, int] | None:
    """The kernel version (major, minor) of the UAPI headers ``header`` is one of: the
    ``linux/version.h`` of its include directory (or the nearest one above it)."""
    d = os.path.dirname(header)
    while True:
        path = os.path.join(d, "linux", "version.h")
        if os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                m = re.search(r"#define\s+LINUX_VERSION_CODE\s+(\d+)", f.read())
            return (int(m.group(1)) >> 16, (int(m.group(1)) >> 8) & 0xFF) if m else None
        if os.path.dirname(d) == d:
            return None
        d = os.path.dirname(d)


def _value(macros: dict[str, str], name: str, depth: int = 0) -> int | None:
    text = macros.get(name)
    if text is None or depth > 8:
        return None
    text = text.strip().strip("()").strip()
    if re.fullmatch(r"\d+", text):
        return int(text)
    m = re.fullmatch(r"(\w+)\s*\+\s*(\d+)", text)  # (__NR_SYSCALL_BASE + 3) style
    if m:
        base = _value(macros, m.group(1), depth + 1)
        return None if base is None else base + int(m.group(2))
    if re.fullmatch(r"\w+", text):
        return _value(macros, text, depth + 1)
    return None


def _condition(expr: str, macros: dict[str, str]) -> bool:
    """A preprocessor condition of the kinds these headers use; unknown names are 0 (as cpp)."""
    out = []
    for m in _TOKEN.finditer(re.sub(r"/\*.*?\*/", "", expr)):
        name = m.group(1) or m.group(2)
        if name:
            out.append("1" if name in macros else "0")
        elif m.group(3):
            out.append({"||": " or ", "&&": " and ", "!": " not "}.get(m.group(3), m.group(3)))
        else:
            word = m.group(4)
            out.append(str(int(word)) if word.isdigit() else str(_value(macros, word) or 0))
    text = "".join(out)
    if not re.fullmatch(r"[\d\s()=!a-z]*", text):  # only numbers, and/or/not, ==, !=
        raise ValueError(f"cannot evaluate #if {expr}")
    return bool(eval(text, {"__builtins__": {}}))  # noqa: S307 - checked above


def parse(text: str, predefined: dict[str, str]) -> dict[int, str]:
    """{number: name} of the ``__NR_name`` macros ``text`` defines under ``predefined``."""
    macros = dict(predefined)
    active = [True]  # one entry per open #if: whether its current branch is taken
    taken = [True]  # whether a branch of it was taken already
    lines = text.replace("\\\n", " ").splitlines()
    for line in lines:
        m = _DIRECTIVE.match(line)
        if not m:
            continue
        word, rest = m.group(1), m.group(2)
        outer = all(active)
        if word in ("if", "ifdef", "ifndef"):
            if word == "if":
                value = outer and _condition(rest, macros)
            else:
                value = outer and ((rest.split()[0] in macros) == (word == "ifdef"))
            active.append(value)
            taken.append(value)
        elif word == "elif":
            value = all(active[:-1]) and not taken[-1] and _condition(rest, macros)
            active[-1] = value
            taken[-1] = taken[-1] or value
        elif word == "else":
            active[-1] = all(active[:-1]) and not taken[-1]
            taken[-1] = True
        elif word == "endif":
            active.pop()
            taken.pop()
        elif not outer:
            continue
        elif word == "define":
            parts = rest.split(None, 1)
            if parts and "(" not in parts[0]:
                macros[parts[0]] = re.sub(r"/\*.*?\*/", "", parts[1]).strip() if len(parts) > 1 else "1"
        elif word == "undef":
            macros.pop(rest.split()[0], None)
    table: dict[int, str] = {}
    for name in macros:
        if not name.startswith("__NR_") or name[5:] in NOT_SYSCALLS:
            continue
        number = _value(macros, name)
        if number is not None:
            table.setdefault(number, name[5:])
    return dict(sorted(table.items()))


def from_headers(arch: str, root: str = "/") -> dict[int, str] | None:
    """``arch``'s table from the headers installed here (under ``root``), or None when they are
    not."""
    path = header_path(arch, root)
    if path is None:
        return None
    with open(path, encoding="utf-8", errors="replace") as f:
        return parse(f.read(), PREDEFINED[arch])


def render(tables: dict[str, dict[int, str]], sources: dict[str, str],
           kernels: dict[str, tuple[int, int] | None]) -> str:
    """The text of numbers.py."""
    out = ['"""System call numbers by machine. GENERATED by `python -m elfdce.syscalls.gentable`',
           "from the kernel UAPI headers named below (of the kernel version in KERNEL); do not edit",
           '(tests/test_syscalls.py checks it against the headers installed where the tests run)."""',
           "", "SOURCES = {"]
    out += [f"    {arch!r}: {src!r}," for arch, src in sources.items()]
    out += ["}", "", "KERNEL = {"]
    out += [f"    {arch!r}: {kernels.get(arch)!r}," for arch in sources]
    out += ["}", "", "NAMES: dict[str, dict[int, str]] = {"]
    for arch, table in tables.items():
        out.append(f"    {arch!r}: {{")
        for number, name in table.items():
            out.append(f"        {number}: {name!r},")
        out.append("    },")
    out.append("}")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = args[args.index("--root") + 1] if "--root" in args[:-1] else "/"
    tables, sources, kernels = {}, {}, {}
    for arch in HEADERS:
        table = from_headers(arch, root)
        path = header_path(arch, root)
        if table is None or path is None:
            print(f"gentable: no {arch} header under {root} ({', '.join(HEADERS[arch])})",
                  file=sys.stderr)
            return 1
        tables[arch] = table
        sources[arch] = "/" + os.path.relpath(path, root)
        kernels[arch] = kernel_version(path)
    target = os.path.join(os.path.dirname(os.path.abspath(__file__)), "numbers.py")
    text = render(tables, sources, kernels)
    if "--check" in args:
        from .numbers import NAMES

        same = NAMES == tables
        print("numbers.py matches the headers" if same else "numbers.py differs: regenerate")
        return 0 if same else 1
    from ..fsutil import write_if_changed

    changed = write_if_changed(target, text.encode())
    print(f"{target}: {'written' if changed else 'unchanged'} "
          f"({', '.join(f'{a} {len(t)}' for a, t in tables.items())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
