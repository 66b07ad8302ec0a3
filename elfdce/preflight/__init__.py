"""Will a program run under DCE? `binding` finds its closure and binds each import as ld.so
does, `classify` says what becomes of each import, `verdict` applies DCE's rules, `check` puts
them together (`preflight` gives a `Report`), `cache` shares parsed libraries between the
programs of one run."""

from __future__ import annotations

from .cache import Cache
from .check import Import, ProgramInfo, Report, Setting, Verdict, preflight, program_info
from .classify import read_replacements

__all__ = ["Cache", "Import", "ProgramInfo", "Report", "Setting", "Verdict", "preflight",
           "program_info", "read_replacements"]
