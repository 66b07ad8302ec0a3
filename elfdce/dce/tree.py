"""A ns-3-dce source tree, as far as elfdce needs to know it.

What elfdce assumes, and nothing more: a ``wscript`` that builds ``dcemakeversion`` and the five
``lib*-ns3`` libraries from ``model/libc.cc`` with version scripts; DCE's X-macro table
``model/libc-ns3.h``, the library sources next to it, the NS3 prefix maps
``model/<lib>-ns3.version``, and the loader's cache ``model/elf-cache.cc``. The anchors each edit
needs are looked up in `prepare`; a tree without them is refused with the missing piece named.
"""

from __future__ import annotations

import os

from .._record import Record

ELFDCE_DIR = "elfdce_dce"  # a Python package name: the prepared wscript imports it
REQUIRED = ("wscript", "model/libc-ns3.h", "model/libc.cc", "model/elf-cache.cc",
            "model/libc-ns3.version")


class TreeError(Exception):
    """Not a DCE tree elfdce can prepare: ``str()`` names the path and what is missing."""


class DceTree(Record):
    """Paths of a DCE source tree."""

    root: str

    @property
    def wscript(self) -> str:
        return os.path.join(self.root, "wscript")

    @property
    def model(self) -> str:
        return os.path.join(self.root, "model")

    @property
    def table(self) -> str:
        return os.path.join(self.model, "libc-ns3.h")

    @property
    def elfdce_dir(self) -> str:
        return os.path.join(self.root, ELFDCE_DIR)

    def prefix_map(self, key: str) -> str:
        """DCE's NS3 prefix map of one library (``model/libc-ns3.version``)."""
        return os.path.join(self.model, f"{key}-ns3.version")


def open_tree(root: str) -> DceTree:
    """The DCE tree at ``root``; TreeError when it is not one."""
    if not os.path.isdir(root):
        raise TreeError(f"{root}: not a directory")
    for rel in REQUIRED:
        path = os.path.join(root, rel)
        if not os.path.isfile(path):
            raise TreeError(f"{root}: not a ns-3-dce source tree ({rel} is missing)")
    return DceTree(os.path.abspath(root))
