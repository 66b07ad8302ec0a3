"""Running GNU readelf as the oracle."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest


def readelf_dyn_syms(paths: list[str]) -> bytes:
    """``readelf --dyn-syms -W`` over ``paths`` in the C locale (raw bytes of stdout)."""
    exe = shutil.which("readelf")
    if exe is None:
        pytest.fail("readelf (binutils) is needed: scripts/test installs it")
    env = dict(os.environ, LC_ALL="C")
    return subprocess.run(
        [exe, "--dyn-syms", "-W", *paths], capture_output=True, env=env, check=False
    ).stdout


def normalise(text: bytes) -> list[bytes]:
    """Lines with runs of whitespace folded (the comparison the issue asks for)."""
    return [b" ".join(line.split()) for line in text.split(b"\n")]


def readelf_version() -> tuple[int, ...]:
    """The oracle's binutils version from ``readelf --version``, e.g. (2, 40)."""
    exe = shutil.which("readelf")
    if exe is None:
        pytest.fail("readelf (binutils) is needed: scripts/test installs it")
    first = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
    m = re.search(r"(\d+)\.(\d+)", first.splitlines()[0] if first else "")
    assert m, first
    return int(m.group(1)), int(m.group(2))


def as_readelf_prints(lines: list[bytes], version: tuple[int, ...]) -> list[bytes]:
    """elfdce's normalised lines as the oracle of ``version`` prints them: readelf before 2.36
    leaves an unnamed STT_SECTION symbol's name empty, where later ones (and elfdce) print the
    section's name."""
    if version >= (2, 36):
        return lines
    out = []
    for line in lines:
        f = line.split(b" ")
        out.append(b" ".join(f[:7]) if len(f) == 8 and f[3] == b"SECTION" else line)
    return out
