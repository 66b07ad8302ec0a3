"""Where elfdce's non-Python files are: ``csrc/`` (C and assembly templates, test and probe
programs) and ``versions/`` ship inside the package; a checkout has them at the top level."""

from __future__ import annotations

import os

_HERE = os.path.dirname(os.path.abspath(__file__))


def csrc_dir() -> str:
    """The ``csrc`` directory (``elfdce/csrc`` when installed, ``csrc/`` in a checkout)."""
    for d in (os.path.join(_HERE, "csrc"), os.path.join(os.path.dirname(_HERE), "csrc")):
        if os.path.isdir(os.path.join(d, "shim")):
            return d
    raise FileNotFoundError("elfdce's C sources (csrc/) are missing from this installation")
