"""Running GNU readelf as the oracle."""

from __future__ import annotations

import os
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
