"""Whole trees: every ELF file under some directories, scanned or pre-flighted in parallel
(`files` finds them, `run` shares them among workers, `store` keeps results between runs)."""

from __future__ import annotations

from .records import FileResult, TreeRun
from .run import MODES, analyse, run_tree
from .store import ResultStore

__all__ = ["FileResult", "MODES", "ResultStore", "TreeRun", "analyse", "run_tree"]
