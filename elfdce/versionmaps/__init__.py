"""The version maps of DCE's replacement libraries (dcemakeversion's job): `maps` builds them
from a library and its NS3 prefix map, `script` writes version scripts and .symver headers."""

from __future__ import annotations

from .maps import STYLES, VersionMap, build_map, compat_pairs, default_prefix_dir, read_prefix, version_script

__all__ = ["STYLES", "VersionMap", "build_map", "compat_pairs", "default_prefix_dir",
           "read_prefix", "version_script"]
