"""A file's bytes by virtual address, and the bounds of the function around an address from the
unwind data (``.eh_frame_hdr``'s sorted table and the FDE it points to, which every glibc
build ships, stripped or not)."""

from __future__ import annotations

import struct

from .._record import Record
from . import constants as C
from .errors import ElfError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .model import ElfSymbols, Section


class Image:
    """A loaded file's bytes with virtual-address access through its sections."""

    def __init__(self, elf: ElfSymbols) -> None:
        import mmap

        self.elf = elf
        # mapped, not read: a crafted 20 GB sparse "libc" costs address space, not memory
        with open(elf.path, "rb") as f:
            try:
                self.data: bytes | mmap.mmap = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
            except (OSError, ValueError):
                self.data = f.read()
        self.sections = [s for s in elf.sections if s.addr and s.type != C.SHT_NOBITS]

    def section_of(self, addr: int) -> Section | None:
        for s in self.sections:
            if s.addr <= addr < s.addr + s.size:
                return s
        return None

    def read(self, addr: int, size: int) -> bytes:
        s = self.section_of(addr)
        if s is None or addr + size > s.addr + s.size:
            raise ElfError(self.elf.path, f"address {addr:#x} is not in a section with data")
        off = s.offset + (addr - s.addr)
        return self.data[off : off + size]

    def address_of_offset(self, offset: int) -> int | None:
        for s in self.sections:
            if s.offset <= offset < s.offset + s.size:
                return s.addr + (offset - s.offset)
        return None

    def find_string(self, text: bytes) -> int | None:
        """The address of a string that starts with ``text`` (its start, where code points) in a
        loaded section, or None."""
        start = 0
        while True:
            off = self.data.find(text, start)
            if off < 0:
                return None
            addr = self.address_of_offset(off)
            if addr is not None and (off == 0 or self.data[off - 1] == 0):
                return addr
            start = off + 1


def _read_encoded(image: Image, addr: int, enc: int, datarel: int = 0) -> tuple[int, int]:
    """(value, size) of a DW_EH_PE-encoded pointer at ``addr``."""
    fmt = {0x0: "<Q", 0x1: "<Q", 0x2: "<H", 0x3: "<I", 0x4: "<Q", 0x9: "<q", 0xA: "<h",
           0xB: "<i", 0xC: "<q"}.get(enc & 0x0F)
    if fmt is None:
        raise ValueError(f"unsupported pointer encoding {enc:#x}")
    if not image.elf.header.little_endian:
        fmt = ">" + fmt[1:]
    size = struct.calcsize(fmt)
    value = struct.unpack(fmt, image.read(addr, size))[0]
    app = enc & 0x70
    if app == 0x10:  # pcrel
        value += addr
    elif app == 0x30:  # datarel (.eh_frame_hdr)
        value += datarel
    return value & ((1 << 64) - 1), size


def _uleb(image: Image, addr: int) -> tuple[int, int]:
    value = shift = 0
    n = 0
    while True:
        b = image.read(addr + n, 1)[0]
        n += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, n


class Function(Record):
    """A function's address range, from its FDE."""

    start: int
    end: int


def enclosing_function(image: Image, addr: int) -> Function | None:
    """The FDE range that contains ``addr``, found through .eh_frame_hdr's binary-search table."""
    hdr = image.elf.section(".eh_frame_hdr")
    if hdr is None:
        return None
    version, ptr_enc, count_enc, table_enc = image.read(hdr.addr, 4)
    if version != 1 or table_enc != 0x3B:  # datarel sdata4 pairs, what GNU ld writes
        return None
    _, n1 = _read_encoded(image, hdr.addr + 4, ptr_enc, hdr.addr)
    count, n2 = _read_encoded(image, hdr.addr + 4 + n1, count_enc, hdr.addr)
    table = hdr.addr + 4 + n1 + n2
    raw = image.read(table, 8 * count)
    bo = "<" if image.elf.header.little_endian else ">"
    pairs = struct.unpack(f"{bo}{2 * count}i", raw)
    starts = [hdr.addr + pairs[2 * i] for i in range(count)]
    lo, hi = 0, count - 1
    best = -1
    while lo <= hi:  # last entry whose initial location <= addr
        mid = (lo + hi) // 2
        if starts[mid] <= addr:
            best, lo = mid, mid + 1
        else:
            hi = mid - 1
    if best < 0:
        return None
    fde = hdr.addr + pairs[2 * best + 1]
    fde_enc = _fde_encoding(image, fde)
    begin, size = _read_encoded(image, fde + 8, fde_enc)
    length, _ = _read_encoded(image, fde + 8 + size, fde_enc & 0x0F)
    if not begin <= addr < begin + length:
        return None
    return Function(begin, begin + length)


def _fde_encoding(image: Image, fde: int) -> int:
    """The pointer encoding an FDE's CIE declares (augmentation 'R'), DW_EH_PE_absptr else."""
    bo = "<" if image.elf.header.little_endian else ">"
    cie_delta = struct.unpack(bo + "I", image.read(fde + 4, 4))[0]
    cie = fde + 4 - cie_delta
    aug_addr = cie + 9  # length(4) id(4) version(1)
    aug = b""
    while True:
        byte = image.read(aug_addr + len(aug), 1)
        if byte == b"\0":
            break
        aug += byte
    p = aug_addr + len(aug) + 1
    for _ in range(2):  # code and data alignment factors
        _, n = _uleb(image, p)
        p += n
    p += 1  # return address register (version 1: a byte)
    if not aug.startswith(b"z"):
        return 0
    _, n = _uleb(image, p)  # augmentation data length
    p += n
    for ch in aug[1:]:
        if ch == ord("R"):
            return image.read(p, 1)[0]
        if ch == ord("P"):
            enc = image.read(p, 1)[0]
            _, size = _read_encoded(image, p + 1, enc & 0x0F)
            p += 1 + size
        elif ch == ord("L"):
            p += 1
    return 0


def function_table(image: Image) -> tuple[Function, ...]:
    """Every FDE range of the file, sorted by start: the bounds of each function the unwind
    data describes (GCC's ``.cold`` parts are ranges of their own). Read through
    ``.eh_frame_hdr``'s table when there is one, else by walking ``.eh_frame``; empty when
    neither can be read."""
    bo = "<" if image.elf.header.little_endian else ">"
    encodings: dict[int, int] = {}  # CIE address -> its FDE pointer encoding
    out = []

    def fde_range(fde: int) -> Function | None:
        cie = fde + 4 - struct.unpack(bo + "I", image.read(fde + 4, 4))[0]
        enc = encodings.get(cie)
        if enc is None:
            enc = encodings[cie] = _fde_encoding(image, fde)
        begin, size = _read_encoded(image, fde + 8, enc)
        length, _ = _read_encoded(image, fde + 8 + size, enc & 0x0F)
        return Function(begin, begin + length) if length else None

    hdr = image.elf.section(".eh_frame_hdr")
    try:
        if hdr is not None:
            version, ptr_enc, count_enc, table_enc = image.read(hdr.addr, 4)
            if version == 1 and table_enc == 0x3B:
                _, n1 = _read_encoded(image, hdr.addr + 4, ptr_enc, hdr.addr)
                count, n2 = _read_encoded(image, hdr.addr + 4 + n1, count_enc, hdr.addr)
                pairs = struct.unpack(f"{bo}{2 * count}i",
                                      image.read(hdr.addr + 4 + n1 + n2, 8 * count))
                for i in range(count):
                    fn = fde_range(hdr.addr + pairs[2 * i + 1])
                    if fn is not None:
                        out.append(fn)
                return tuple(sorted(set(out)))
        frame = image.elf.section(".eh_frame")
        if frame is None:
            return ()
        p, end = frame.addr, frame.addr + frame.size
        while p + 8 <= end:
            length = struct.unpack(bo + "I", image.read(p, 4))[0]
            if length == 0:  # the terminator
                break
            if length == 0xFFFFFFFF:  # 64-bit DWARF lengths: not what GNU ld writes here
                return tuple(sorted(set(out)))
            if struct.unpack(bo + "I", image.read(p + 4, 4))[0] != 0:  # an FDE (0: a CIE)
                fn = fde_range(p)
                if fn is not None:
                    out.append(fn)
            p += 4 + length
    except (ElfError, ValueError, struct.error):
        pass  # a damaged table: what was read so far
    return tuple(sorted(set(out)))


def build_id(image: Image) -> str | None:
    """The GNU build-id (hex) of the file: its ``.note.gnu.build-id`` section, or an
    NT_GNU_BUILD_ID note of a PT_NOTE segment; None when it has none."""
    bo = "<" if image.elf.header.little_endian else ">"
    regions = []
    note = image.elf.section(".note.gnu.build-id")
    if note is not None:
        regions.append((note.offset, note.size))
    regions += [(p.offset, p.filesz) for p in image.elf.segments if p.type == C.PT_NOTE]
    for offset, size in regions:
        raw = image.data[offset : offset + size]
        pos = 0
        while pos + 12 <= len(raw):
            namesz, descsz, ntype = struct.unpack_from(bo + "III", raw, pos)
            name_at = pos + 12
            desc_at = name_at + ((namesz + 3) & ~3)
            if desc_at + descsz > len(raw):
                break
            if ntype == 3 and raw[name_at : name_at + namesz].rstrip(b"\0") == b"GNU":
                return raw[desc_at : desc_at + descsz].hex() or None
            pos = desc_at + ((descsz + 3) & ~3)
    return None
