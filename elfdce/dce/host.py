"""The five host libraries as DCE's build needs them: where each is, what it exports, and the
address of every exported pair (aliases are pairs at one address)."""

from __future__ import annotations

from .._record import Record
from ..elf import ElfError, read_elf
from ..exports import ExportSet, from_elf
from ..glibc.libs import FIVE, glibc_release, locate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..elf import ElfSymbols


class HostLibrary(Record):
    """One of the five host libraries: its key (``libc``), file, scan and export set."""

    key: str
    path: str
    elf: ElfSymbols
    exports: ExportSet

    def addresses(self, data: bool = False) -> dict[tuple[str, str], int]:
        """(name, version) -> st_value of each exported function pair (every pair, data
        included, with ``data``): pairs at one address are aliases."""
        out: dict[tuple[str, str], int] = {}
        for s in self.elf.exports():
            v = s.version
            if v is not None and v.needed_from is None and (data or s.is_function or s.is_ifunc):
                out.setdefault((s.name, v.name), s.value)
        return out


class Host(Record):
    """The host's five libraries (a stub-free 2.31 has five real ones; ≥ 2.34 three stubs)."""

    libraries: tuple[HostLibrary, ...]
    sysroot: str | None

    def library(self, key: str) -> HostLibrary | None:
        return next((lib for lib in self.libraries if lib.key == key), None)

    @property
    def libc(self) -> HostLibrary:
        lib = self.library("libc")
        assert lib is not None  # load_host refuses a host without one
        return lib

    def glibc_version(self) -> tuple[int, int]:
        """libc's release: its banner ("… release version 2.31."), else the newest ``GLIBC_2.N``
        node (a lower bound: 2.31 added no symbols, so its newest node is GLIBC_2.30)."""
        release = glibc_release(self.libc.path)
        if release is not None:
            return release
        best = (0, 0)
        for node in self.libc.exports.nodes:
            name = node.name
            if name.startswith("GLIBC_2."):
                parts = name[6:].split(".")
                if all(p.isdigit() for p in parts):
                    best = max(best, (int(parts[0]), int(parts[1])))
        return best

    def exports_name(self, name: str) -> bool:
        return any(p.name == name for lib in self.libraries for p in lib.exports.pairs)


class HostError(Exception):
    """The host libraries cannot be used: ``str()`` names the file and the problem."""


def load_host(sysroot: str | None = None, overrides: dict[str, str] | None = None) -> Host:
    """Locate and read the five libraries (as `elfdce versions` finds them)."""
    libs = []
    for loc in locate(sysroot, overrides):
        if loc.path is None:
            if loc.library.key == "libc":
                raise HostError(f"libc.so.6: {loc.how}")
            continue
        try:
            elf = read_elf(loc.path, relocations=False)
        except ElfError as err:
            raise HostError(str(err)) from None
        libs.append(HostLibrary(loc.library.key, loc.path, elf, from_elf(elf)))
    host = Host(tuple(libs), sysroot)
    if not any(p.name == "gnu_get_libc_version" for p in host.libc.exports.pairs):
        raise HostError(f"{host.libc.path}: not a glibc libc.so.6 (no gnu_get_libc_version)")
    return host


__all__ = ["FIVE", "Host", "HostError", "HostLibrary", "load_host"]
