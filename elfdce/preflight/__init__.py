"""Will a program load under DCE? `binding` finds its closure and binds each import as ld.so
does, `check` classes the imports by the policy and gives the verdict (`Report`), `cache`
shares parsed libraries between the programs of one run."""

from __future__ import annotations

from .cache import Cache
from .check import Import, ProgramInfo, Report, Verdict, preflight, program_info, read_replacements

__all__ = ["Cache", "Import", "ProgramInfo", "Report", "Verdict", "preflight", "program_info",
           "read_replacements"]
