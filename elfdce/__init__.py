"""elfdce: read the versioned dynamic symbols of ELF files, and make ns-3 DCE work on modern Linux.

Public API::

    import elfdce
    elf = elfdce.scan("/lib/x86_64-linux-gnu/libc.so.6")
    elf.soname                      # 'libc.so.6'
    for sym in elf.exports():       # defined, visible, version markers left out
        sym.name, sym.version_name, sym.is_default_version, sym.type_name, sym.size
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .elf import ElfError, ElfSymbols, Symbol, SymbolVersion, read_elf
    from .versionmaps import build_map, compat_pairs, version_script

__version__ = "0.1.0"


def scan(path: str, *, relocations: bool = True) -> ElfSymbols:
    """Read the dynamic symbols of the ELF file at ``path`` with their GNU symbol versions.

    Returns an immutable `ElfSymbols`; raises `ElfError` (``"PATH: problem"``) for anything
    that is not a readable ELF file. ``relocations=False`` skips decoding dynamic relocations.
    """
    from .elf import read_elf

    return read_elf(path, relocations=relocations)


def __getattr__(name: str) -> object:
    # Loaded on first use. `scan` too: `python -m elfdce` imports this package before its
    # __main__ runs, and the reader is imported where cli/scan.py has paused the collector.
    if name in ("ElfError", "ElfSymbols", "Symbol", "SymbolVersion", "read_elf", "elf"):
        # import_module, not `from . import elf`: that asks this very hook for "elf" first
        from importlib import import_module

        elf = import_module(".elf", __name__)
        value = elf if name == "elf" else getattr(elf, name)
    elif name in ("version_script", "compat_pairs", "build_map"):
        from . import versionmaps

        value = getattr(versionmaps, name)
    else:
        raise AttributeError(f"module 'elfdce' has no attribute {name!r}")
    globals()[name] = value  # found directly from now on
    return value


__all__ = [
    "ElfError", "ElfSymbols", "Symbol", "SymbolVersion", "build_map", "compat_pairs", "read_elf",
    "scan", "version_script", "__version__",
]
