"""Small in-memory edits of real ELF files, for the bad-input and fallback tests."""

from __future__ import annotations

import struct

from elfdce.elf import read_elf_bytes


class Image:
    """An ELF image as a bytearray, with the header field offsets of its class."""

    def __init__(self, data: bytes) -> None:
        self.data = bytearray(data)
        self.info = read_elf_bytes(bytes(data))
        self.is64 = self.info.header.elf_class == 64
        self.bo = "<" if self.info.header.little_endian else ">"

    def put(self, offset: int, fmt: str, value: int) -> None:
        struct.pack_into(self.bo + fmt, self.data, offset, value)

    def get(self, offset: int, fmt: str) -> int:
        return struct.unpack_from(self.bo + fmt, self.data, offset)[0]

    # ELF header fields: (offset in 32-bit, offset in 64-bit, format in 32, format in 64)
    _EHDR = {
        "e_phoff": (28, 32, "I", "Q"), "e_shoff": (32, 40, "I", "Q"),
        "e_phnum": (44, 56, "H", "H"), "e_shentsize": (46, 58, "H", "H"),
        "e_shnum": (48, 60, "H", "H"), "e_shstrndx": (50, 62, "H", "H"),
    }
    # Section header fields
    _SHDR = {
        "sh_offset": (16, 24, "I", "Q"), "sh_size": (20, 32, "I", "Q"),
        "sh_link": (24, 40, "I", "I"), "sh_info": (28, 44, "I", "I"),
        "sh_entsize": (36, 56, "I", "Q"),
    }

    def set_header(self, field: str, value: int) -> None:
        o32, o64, f32, f64 = self._EHDR[field]
        self.put(o64 if self.is64 else o32, f64 if self.is64 else f32, value)

    def section(self, name: str):
        sec = self.info.section(name)
        assert sec is not None, name
        return sec

    def set_section(self, name: str, field: str, value: int) -> None:
        sec = self.section(name)
        o32, o64, f32, f64 = self._SHDR[field]
        base = self.info.header.shoff + sec.index * self.info.header.shentsize
        self.put(base + (o64 if self.is64 else o32), f64 if self.is64 else f32, value)

    def set_dynamic(self, tag: int, value: int) -> None:
        """Set the value of the first dynamic entry with ``tag`` (PT_DYNAMIC)."""
        dyn = next(p for p in self.info.segments if p.type == 2)
        step, fmt = (16, "q") if self.is64 else (8, "i")
        for off in range(dyn.offset, dyn.offset + dyn.filesz, step):
            if self.get(off, fmt) == tag:
                self.put(off + step // 2, "Q" if self.is64 else "I", value)
                return
        raise KeyError(tag)

    def strip_section_headers(self) -> None:
        for field in ("e_shoff", "e_shnum", "e_shstrndx"):
            self.set_header(field, 0)

    def bytes(self) -> bytes:
        return bytes(self.data)
