"""glibc's abilist format (``sysdeps/…/libc.abilist``): ``VERSION NAME F``, ``VERSION NAME D
0xSIZE`` for data, ``VERSION NAME T 0xSIZE`` for TLS; one pair a line, sorted, GLIBC_PRIVATE
left out, no difference made between default and compat pairs."""

from __future__ import annotations

import re

from .sets import PRIVATE, ExportPair, ExportSet, VersionNode

_VERSION_NUMBERS = re.compile(r"(\d+)")


def version_key(version: str) -> tuple:
    """Sort key that orders GLIBC_2.2.5 < GLIBC_2.10 < GLIBC_PRIVATE (numbers as numbers)."""
    parts = _VERSION_NUMBERS.split(version)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def format_abilist(exports: ExportSet) -> str:
    """The abilist lines of ``exports`` (GLIBC_PRIVATE left out, as glibc's lists do)."""
    lines = set()
    for p in exports.pairs:
        if p.version == PRIVATE:
            continue
        if p.kind == "OBJECT":
            lines.add(f"{p.version} {p.name} D 0x{p.size:x}")
        elif p.kind == "TLS":
            lines.add(f"{p.version} {p.name} T 0x{p.size:x}")
        else:
            lines.add(f"{p.version} {p.name} F")
    # glibc sorts with LC_ALL=C sort: byte order of the whole line
    return "".join(line + "\n" for line in sorted(lines, key=lambda s: s.encode("utf-8", "surrogateescape")))


class AbilistError(ValueError):
    """An abilist line that cannot be read: ``str()`` is ``FILE:LINE: problem``."""


def parse_abilist(text: str, path: str = "<abilist>", soname: str | None = None) -> ExportSet:
    """The export set an abilist describes; each name's newest version is taken as default."""
    pairs: list[tuple[str, str, str, int]] = []
    for lineno, line in enumerate(text.split("\n"), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) == 3 and fields[2] == "A":  # old format: a version-node marker
            continue
        if len(fields) == 3 and fields[2] == "F":
            pairs.append((fields[1], fields[0], "FUNC", 0))
        elif len(fields) == 4 and fields[2] in ("D", "T"):
            try:
                size = int(fields[3], 0)
            except ValueError:
                raise AbilistError(f"{path}:{lineno}: size {fields[3]!r} is not a number") from None
            pairs.append((fields[1], fields[0], "OBJECT" if fields[2] == "D" else "TLS", size))
        else:
            raise AbilistError(f"{path}:{lineno}: expected 'VERSION NAME F', 'VERSION NAME D "
                               f"SIZE' or 'VERSION NAME T SIZE', not {line.strip()!r}")
    versions = sorted({v for _, v, _, _ in pairs}, key=version_key)
    newest: dict[str, str] = {}
    for name, version, _, _ in pairs:
        if name not in newest or version_key(version) > version_key(newest[name]):
            newest[name] = version
    return ExportSet(
        soname,
        tuple(VersionNode(v, None) for v in versions),
        tuple(ExportPair(n, v, newest[n] == v, k, s) for n, v, k, s in pairs),
        defaults_known=False,
    )
