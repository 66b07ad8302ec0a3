"""Where elfdce's non-Python files are: ``csrc/`` (C and assembly templates, test and probe
programs) and ``versions/`` ship inside the package; a checkout has them at the top level."""

from __future__ import annotations

import os

_HERE = os.path.dirname(os.path.abspath(__file__))


def _shipped(name: str, marker: str, what: str) -> str:
    for d in (os.path.join(_HERE, name), os.path.join(os.path.dirname(_HERE), name)):
        if os.path.exists(os.path.join(d, marker)):  # a directory (csrc/shim) or a file
            return d
    raise FileNotFoundError(f"elfdce's {what} ({name}/) are missing from this installation")


def csrc_dir() -> str:
    """The ``csrc`` directory (``elfdce/csrc`` when installed, ``csrc/`` in a checkout)."""
    return _shipped("csrc", "shim", "C sources")


def versions_dir() -> str:
    """The ``versions`` directory: the NS3 prefix maps and DCE 1.12's policy."""
    return _shipped("versions", "libc-ns3.version", "NS3 prefix maps (*-ns3.version)")


if __name__ == "__main__":  # `python -m elfdce.data csrc|versions`: where an install keeps them
    import sys

    where = {"csrc": csrc_dir, "versions": versions_dir}
    if len(sys.argv) != 2 or sys.argv[1] not in where:
        print("usage: python -m elfdce.data csrc|versions", file=sys.stderr)
        sys.exit(2)
    print(where[sys.argv[1]]())
