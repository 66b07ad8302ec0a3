"""Bad input: one ElfError naming the file and the problem; from the CLI one stderr line, exit 2."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tracemalloc

import pytest
from conftest import compile_c, run_cli
from elfpatch import Image

from elfdce.elf import ElfError, read_elf, read_elf_bytes
from elfdce.elf.reader import INTERNAL_ERROR

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def expect_error(data: bytes, *words: str, name: str = "crafted.so") -> ElfError:
    """Parse ``data``; it must fail with an ElfError naming the file and containing ``words``.

    Memory is watched too: a corrupt count must never make the reader allocate more than the
    file's size (plus the fixed cost of the result structures).
    """
    tracemalloc.start()
    try:
        with pytest.raises(ElfError) as info:
            read_elf_bytes(data, name)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    err = info.value
    text = str(err)
    assert text.startswith(f"{name}: ") and "\n" not in text
    assert INTERNAL_ERROR not in text
    for w in words:
        assert w in text, f"{w!r} not in {text!r}"
    assert peak < 3 * len(data) + (4 << 20), f"peak allocation {peak} for a {len(data)}-byte file"
    return err


@pytest.fixture
def lib(versioned_lib) -> Image:
    return Image(open(versioned_lib, "rb").read())


@pytest.fixture
def prog(versioned_program) -> Image:
    return Image(open(versioned_program, "rb").read())


def test_missing_file():
    with pytest.raises(ElfError, match=r"^/nonexistent/x\.so: no such file$"):
        read_elf("/nonexistent/x.so")


def test_directory(tmp_path):
    with pytest.raises(ElfError, match="is a directory"):
        read_elf(str(tmp_path))


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    # A reader that opened this for reading without O_NONBLOCK would hang here.
    with pytest.raises(ElfError, match="not a regular file"):
        read_elf(str(fifo))


def test_empty_and_non_elf_files(tmp_path):
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with pytest.raises(ElfError, match="empty file"):
        read_elf(str(empty))
    text = tmp_path / "script.sh"
    text.write_bytes(b"#!/bin/sh\necho hello\n")
    with pytest.raises(ElfError, match="not an ELF file"):
        read_elf(str(text))


def test_unknown_class_and_encoding(lib):
    data = lib.bytes()
    expect_error(data[:4] + b"\x07" + data[5:], "unknown ELF class 7")
    expect_error(data[:5] + b"\x09" + data[6:], "unknown ELF data encoding 9")


@pytest.mark.parametrize("size", [3, 10, 16, 40, 63])
def test_truncated_inside_the_elf_header(lib, size):
    expect_error(lib.bytes()[:size])


def test_truncated_before_the_section_headers(lib):
    data = lib.bytes()
    expect_error(data[: lib.info.header.shoff + 10], "section header table", "past the end")


def test_dynsym_offset_past_the_end(lib):
    lib.set_section(".dynsym", "sh_offset", len(lib.data) + 100)
    expect_error(lib.bytes(), ".dynsym", "past the end")


def test_huge_dynsym_size(lib):
    lib.set_section(".dynsym", "sh_size", (1 << 62) - ((1 << 62) % 24))
    expect_error(lib.bytes(), ".dynsym", "past the end")


def test_string_table_without_terminator(lib):
    dynstr = lib.section(".dynstr")
    # Cut the table inside the last string: that name loses its NUL.
    last_start = lib.bytes()[dynstr.offset : dynstr.offset + dynstr.size - 1].rfind(b"\0") + 1
    lib.set_section(".dynstr", "sh_size", last_start + 1)
    expect_error(lib.bytes(), "no terminating NUL")


def test_name_offset_past_the_string_table(lib):
    lib.set_section(".dynstr", "sh_size", 1)
    expect_error(lib.bytes(), "past the end of the")


def test_versym_shorter_than_dynsym(lib):
    lib.set_section(".gnu.version", "sh_size", 4)
    expect_error(lib.bytes(), ".gnu.version", "version entries for 9 dynamic symbols")


def test_verdef_chain_that_wraps_back(lib):
    # A vd_next of -20 (mod 2**32) loops forever in a reader with wrapping 32-bit arithmetic.
    verdef = lib.section(".gnu.version_d")
    lib.put(verdef.offset + 16, "I", (1 << 32) - 20)
    expect_error(lib.bytes(), ".gnu.version_d", "outside the section")


def test_verneed_chain_that_wraps_back(prog):
    verneed = prog.section(".gnu.version_r")
    prog.put(verneed.offset + 12, "I", (1 << 32) - 16)
    expect_error(prog.bytes(), ".gnu.version_r", "outside the section")


def test_vernaux_self_loop_ends(prog):
    # vna_next = 0 ends a chain: a self-referencing entry is simply the last one.
    verneed = prog.section(".gnu.version_r")
    aux = verneed.offset + prog.get(verneed.offset + 8, "I")
    prog.put(aux + 12, "I", 0)
    prog.put(verneed.offset + 2, "H", 0xFFFF)  # vn_cnt absurd: still bounded by the chain
    info = read_elf_bytes(prog.bytes())
    assert len(info.version_needs[0].versions) == 1


def test_absurd_verdef_count(lib):
    lib.set_section(".gnu.version_d", "sh_info", 0xFFFFFFFF)
    expect_error(lib.bytes(), "version definitions cannot fit")


def test_absurd_section_count(lib):
    lib.set_header("e_shnum", 0xFFFE)
    expect_error(lib.bytes(), "section header table", "past the end")


def test_absurd_program_header_count(lib):
    lib.set_header("e_phnum", 0xFFFE)
    expect_error(lib.bytes(), "program header table", "past the end")


def test_section_name_index_out_of_range(lib):
    lib.set_header("e_shstrndx", 0x7000)
    expect_error(lib.bytes(), "section name table index")


def test_dynsym_link_out_of_range(lib):
    lib.set_section(".dynsym", "sh_link", 999)
    expect_error(lib.bytes(), "sh_link 999")


def test_wrong_symbol_entry_size(lib):
    lib.set_section(".dynsym", "sh_entsize", 7)
    expect_error(lib.bytes(), "sh_entsize 7")


def test_no_section_headers_and_no_hash(lib):
    lib.strip_section_headers()
    data = lib.bytes()
    # turn DT_GNU_HASH/DT_HASH into DT_DEBUG entries: nothing is left to count the symbols
    info = read_elf_bytes(data)
    dyn = next(p for p in info.segments if p.type == 2)
    step = 16 if lib.is64 else 8
    for off in range(dyn.offset, dyn.offset + dyn.filesz, step):
        tag = lib.get(off, "q" if lib.is64 else "i")
        if tag in (4, 0x6FFFFEF5):
            lib.put(off, "q" if lib.is64 else "i", 21)
    expect_error(lib.bytes(), "DT_GNU_HASH/DT_HASH")


@pytest.mark.parametrize("make", ["missing", "directory", "text", "truncated"])
def test_cli_reports_one_line_and_exits_2(tmp_path, lib, make):
    path = tmp_path / "input"
    if make == "directory":
        path.mkdir()
    elif make == "text":
        path.write_text("hello\n")
    elif make == "truncated":
        path.write_bytes(lib.bytes()[:200])
    proc = subprocess.run([sys.executable, "-m", "elfdce", "scan", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"elfdce: {path}: "), proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_keeps_going_after_a_bad_file(tmp_path, versioned_lib):
    proc = subprocess.run(
        [sys.executable, "-m", "elfdce", "scan", "--format", "readelf", "/nonexistent", versioned_lib],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "foo@@V2" in proc.stdout
    assert proc.stderr.strip() == "elfdce: /nonexistent: no such file"


def test_cli_usage_error_exits_2():
    proc = subprocess.run([sys.executable, "-m", "elfdce", "scan", "--bogus", "x"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "usage:" in proc.stderr


def peak_memory(data: bytes):
    """(result or ElfError, peak bytes allocated) of parsing ``data``."""
    tracemalloc.start()
    try:
        try:
            result = read_elf_bytes(data, "crafted.so")
        except ElfError as err:
            result = err
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def test_definitions_sharing_one_long_verdaux_chain(lib):
    # N definitions all pointing at one chain of 65,535 verdaux entries: a reader that walks
    # it per definition does N x 65,535 steps (and decodes as many names).
    dynstr = lib.section(".dynstr")
    name_off = lib.bytes()[dynstr.offset : dynstr.offset + dynstr.size].index(b"V1\0")
    base = len(lib.data) + (-len(lib.data)) % 8
    lib.data += b"\0" * (base - len(lib.data))
    n = 400
    aux_start = base + 20 * n
    region = bytearray()
    for i in range(n):
        region += struct.pack("<HHHHIII", 1, 0, i + 2, 0xFFFF, 0, aux_start - (base + 20 * i),
                              20 if i < n - 1 else 0)
    for j in range(0xFFFF):
        region += struct.pack("<II", name_off, 8 if j < 0xFFFE else 0)
    lib.data += region
    lib.set_section(".gnu.version_d", "sh_offset", base)
    lib.set_section(".gnu.version_d", "sh_size", len(region))
    lib.set_section(".gnu.version_d", "sh_info", n)
    expect_error(lib.bytes(), "chains share entries beyond what the section holds")


def test_every_symbol_naming_one_long_string(lib):
    # 20,000 symbols all named by one 1 MB string: decoded once, not 20,000 times (20 GB).
    count, long_name = 20_000, b"A" * (1 << 20)
    strtab = b"\0" + long_name + b"\0"
    base = len(lib.data) + (-len(lib.data)) % 8
    lib.data += b"\0" * (base - len(lib.data))
    symtab = struct.pack("<IBBHQQ", 0, 0, 0, 0, 0, 0) + struct.pack(
        "<IBBHQQ", 1, 0x12, 0, 7, 0x1000, 4) * (count - 1)
    lib.data += symtab + strtab + b"\0\0" * count
    lib.set_section(".dynsym", "sh_offset", base)
    lib.set_section(".dynsym", "sh_size", len(symtab))
    lib.set_section(".dynstr", "sh_offset", base + len(symtab))
    lib.set_section(".dynstr", "sh_size", len(strtab))
    lib.set_section(".gnu.version", "sh_offset", base + len(symtab) + len(strtab))
    lib.set_section(".gnu.version", "sh_size", 2 * count)
    result, peak = peak_memory(lib.bytes())
    assert not isinstance(result, ElfError), result
    assert len(result.symbols) == count and result.symbols[5].name == "A" * (1 << 20)
    assert peak < 3 * len(lib.data) + (16 << 20), peak


def test_definitions_may_share_a_verdaux_entry(lib):
    # lld writes such files (Debian's libjansson.so.4): two definitions whose vd_aux reach
    # the same verdaux. Legal, and read like any other: here the first borrows the second's.
    verdef = lib.section(".gnu.version_d")
    second = verdef.offset + lib.get(verdef.offset + 16, "I")
    second_aux = second + lib.get(second + 12, "I")
    lib.put(verdef.offset + 12, "I", second_aux - verdef.offset)
    info = read_elf_bytes(lib.bytes())
    assert info.version_defs[0].name == info.version_defs[1].name == "V1"


def test_many_sections_naming_one_long_string(lib):
    # 2,000 section headers all named by one 1 MB string: decoded once, not 2,000 times.
    h = lib.info.header
    names = b"\0" + b"S" * (1 << 20) + b"\0"
    base = len(lib.data) + (-len(lib.data)) % 8
    lib.data += b"\0" * (base - len(lib.data)) + names
    table_at = len(lib.data)
    old = bytes(lib.data[h.shoff : h.shoff + h.shnum * h.shentsize])
    extra = bytearray(old[h.shentsize : 2 * h.shentsize]) * 2000  # copies of section 1
    lib.data += old + extra
    lib.set_header("e_shoff", table_at)
    lib.set_header("e_shnum", h.shnum + 2000)
    lib.info = lib.info._replace(header=lib.info.header._replace(shoff=table_at))
    lib.set_section(".shstrtab", "sh_offset", base)
    lib.set_section(".shstrtab", "sh_size", len(names))
    data = bytes(lib.data)
    # every section's sh_name (offset 0 of its header) points at the long string
    buf = bytearray(data)
    for i in range(h.shnum + 2000):
        struct.pack_into("<I", buf, table_at + i * h.shentsize, 1)
    result, peak = peak_memory(bytes(buf))
    assert peak < 3 * len(buf) + (16 << 20), peak


def test_overlapping_relocation_tables(prog):
    # DT_JMPREL starting before .rela.dyn and running into it: those entries would be decoded
    # twice (a file made of such spans multiplies memory by the number of overlapping tables).
    rela_addr = prog.info.dynamic.get(7)  # DT_RELA
    prog.set_dynamic(23, rela_addr - 24)  # DT_JMPREL
    prog.set_dynamic(2, 96)  # DT_PLTRELSZ
    expect_error(prog.bytes(), "relocation tables overlap")


def test_relocation_naming_a_symbol_that_does_not_exist(prog):
    plt = prog.section(".rela.plt")
    prog.put(plt.offset + 8, "Q", (0xFFFF << 32) | 7)  # r_info: symbol 65535, JUMP_SLOT
    expect_error(prog.bytes(), "names symbol 65535 of")


def test_relocations_cost_about_their_size_in_memory(host_libc):
    data = open(host_libc, "rb").read()
    result, peak = peak_memory(data)
    assert len(result.relocations) > 100
    assert peak < len(data)  # arrays, not one record per relocation


def _cli(*args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    return run_cli(*args, timeout=timeout)


def test_text_inputs_refuse_fifos_devices_and_directories(tmp_path, host_libc):
    """Every non-ELF input (policy, prefix map, abilist, diff side) is opened one way: a FIFO
    cannot hang it, /dev/zero cannot make it read forever, a directory is named as one."""
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    prefixes = tmp_path / "prefixes"
    shutil.copytree(os.path.join(ROOT, "versions"), prefixes)
    os.unlink(prefixes / "libc-ns3.version")
    os.mkfifo(prefixes / "libc-ns3.version")
    cases = [
        (["diff", "/dev/zero", host_libc], "/dev/zero: not a regular file"),
        (["diff", "/dev/urandom", host_libc], "/dev/urandom: not a regular file"),
        (["diff", fifo, host_libc], f"{fifo}: not a regular file"),
        (["diff", str(tmp_path), host_libc], f"{tmp_path}: is a directory"),
        (["table", "--policy", fifo], f"{fifo}: not a regular file"),
        (["preflight", "--policy", "/dev/zero", host_libc], "/dev/zero: not a regular file"),
        (["diff", "--policy", fifo, host_libc, host_libc], f"{fifo}: not a regular file"),
        (["versions", "--prefix-dir", str(prefixes), "--out-dir", str(tmp_path / "o")],
         "libc-ns3.version: not a regular file"),
    ]
    for args, expected in cases:
        proc = _cli(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert expected in proc.stderr and "Traceback" not in proc.stderr, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) <= 2


def test_a_huge_text_input_is_refused_before_reading(tmp_path):
    big = tmp_path / "policy.tsv"
    with open(big, "wb") as f:
        f.truncate(20 << 30)  # 20 GiB, sparse
    proc = _cli("table", "--policy", str(big))
    assert proc.returncode == 2 and "larger than the 64 MiB" in proc.stderr


def test_scan_json_of_a_bad_file_says_so_on_stderr_too():
    proc = _cli("scan", "--json", "/etc/passwd")
    assert proc.returncode == 2 and '"error"' in proc.stdout
    assert proc.stderr.startswith("elfdce: /etc/passwd: not an ELF file")
    assert len(proc.stderr.splitlines()) == 1


def test_a_symbol_count_claim_is_bounded(tmp_path, lib):
    """A .dynsym claiming 0x9000000 entries in a 4 GiB sparse file (0 bytes on disk): refused
    at once, not read."""
    lib.set_section(".dynsym", "sh_size", 0x9000000 * (24 if lib.is64 else 16))
    path = tmp_path / "claims.so"
    path.write_bytes(lib.bytes())
    with open(path, "r+b") as f:
        f.truncate(4 << 30)
    import time

    t = time.monotonic()
    proc = _cli("scan", str(path), timeout=30)
    assert time.monotonic() - t < 10
    assert proc.returncode == 2 and "150994944 dynamic symbols: more than" in proc.stderr
    env = dict(os.environ, ELFDCE_MAX_SYMBOLS="10")
    small = subprocess.run([sys.executable, "-m", "elfdce", "scan", str(path)],
                           capture_output=True, text=True, timeout=30, env=env)
    assert small.returncode == 2 and "ELFDCE_MAX_SYMBOLS" in small.stderr


def test_names_made_of_one_long_string_are_bounded(monkeypatch):
    """8,000 symbols naming suffixes of one 200,000-byte string would decode 1.6 GB of names."""
    from elfdce.elf import reader

    monkeypatch.setenv("ELFDCE_MAX_NAME_BYTES", str(1 << 20))
    cache = reader._StringCache(reader._File("x", b"", 0), b"a" * 200_000 + b"\0", "table")
    with pytest.raises(ElfError, match="add up to more than 1048576 bytes"):
        for i in range(8000):
            cache.get(i * 20)


def _peak_child_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def test_sparse_giant_files_cost_neither_time_nor_memory(tmp_path, host_libc, gcc):
    import time

    libc = tmp_path / "libc.so.6"
    shutil.copy(host_libc, libc)
    with open(libc, "r+b") as f:
        f.truncate(20 << 30)  # 20 GB, sparse
    (tmp_path / "p.c").write_text("int main(void) { return 0; }\n")
    pie = tmp_path / "pie"
    compile_c(str(pie), "-fPIE", "-pie", str(tmp_path / "p.c"), compiler=gcc)
    with open(pie, "r+b") as f:
        f.truncate(3 << 30)
    for args in (["check-host", "--libc", str(libc)],
                 ["fix-pie", str(pie), "-o", str(tmp_path / "fixed")]):
        t = time.monotonic()
        proc = _cli(*args, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert time.monotonic() - t < 5, args
    assert _peak_child_rss_mb() < 400
    fixed = os.stat(tmp_path / "fixed")
    assert fixed.st_size == 3 << 30 and fixed.st_blocks * 512 < 10 << 20  # the holes kept


def test_fix_pie_in_place_on_a_symlink_patches_the_target(tmp_path, gcc):
    import elfdce

    (tmp_path / "p.c").write_text("int main(void) { return 0; }\n")
    target = tmp_path / "pie"
    compile_c(str(target), "-fPIE", "-pie", str(tmp_path / "p.c"), compiler=gcc)
    link = tmp_path / "link"
    link.symlink_to(target)
    proc = _cli("fix-pie", "--in-place", str(link))
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and not elfdce.scan(str(target)).dynamic.is_pie_flagged


@pytest.mark.parametrize("name", [b"f;o", b"f o", b"f*o"])
def test_names_generated_code_cannot_hold_are_refused(tmp_path, versioned_lib, name):
    data = bytearray(open(versioned_lib, "rb").read())
    at = data.index(b"\0foo\0") + 1
    data[at:at + 3] = name
    bad = tmp_path / "libbad.so"
    bad.write_bytes(bytes(data))
    for args in (["versions", "--lib", f"libm={bad}", "--out-dir", str(tmp_path / "maps")],
                 ["shim", "build", "--lib", "libm", "--host-lib", f"libm={bad}", "-o",
                  str(tmp_path / "s.so")]):
        proc = _cli(*args, timeout=120)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "names no assembler or version script can hold" in proc.stderr
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) <= 2
    assert not (tmp_path / "maps").exists() and not (tmp_path / "s.so").exists()
    assert not (tmp_path / "s.so.src").exists()  # refused before any source is written


def test_names_that_are_not_utf8_with_a_strict_stdout(tmp_path, versioned_lib, host_libc):
    data = bytearray(open(versioned_lib, "rb").read())
    data[data.index(b"\0foo\0") + 2] = 0xFF
    bad = tmp_path / "libbad.so"
    bad.write_bytes(bytes(data))
    env = dict(os.environ, PYTHONIOENCODING="utf-8:strict")
    for args in (["scan", "--format", "abilist", str(bad)], ["diff", str(bad), host_libc],
                 ["shim", "build", "--lib", "libm", "--host-lib", f"libm={bad}", "-o",
                  str(tmp_path / "s.so")]):
        proc = subprocess.run([sys.executable, "-m", "elfdce", *args], capture_output=True,
                              env=env, timeout=120)
        assert b"Traceback" not in proc.stderr, (args, proc.stderr[-500:])
        assert proc.returncode in (0, 1, 2)
    proc = subprocess.run([sys.executable, "-m", "elfdce", "scan", "--format", "abilist",
                           str(bad)], capture_output=True, env=env, timeout=60)
    assert b"f\xffo" in proc.stdout  # the name's own bytes


def test_a_set_of_files_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    from elfdce import fsutil

    paths = [str(tmp_path / f"f{i}") for i in range(4)]
    for p in paths:
        with open(p, "w") as f:
            f.write("old")
    real_fdopen = os.fdopen
    calls = {"n": 0}

    def failing_fdopen(fd, *a, **k):
        calls["n"] += 1
        if calls["n"] == 3:  # the disk fills at the third file
            os.close(fd)
            raise OSError(28, "No space left on device")
        return real_fdopen(fd, *a, **k)

    monkeypatch.setattr(fsutil.os, "fdopen", failing_fdopen)
    with pytest.raises(OSError):
        fsutil.write_set([(p, b"new") for p in paths])
    assert [open(p).read() for p in paths] == ["old"] * 4
    assert sorted(os.listdir(tmp_path)) == ["f0", "f1", "f2", "f3"]  # no temporary left


def test_a_dead_runs_temporaries_are_removed_by_the_next_run(tmp_path):
    out = tmp_path / "maps"
    out.mkdir()
    dead = out / ".elfdce-999999999-leftover"  # no such pid
    dead.write_text("x")
    alive = out / f".elfdce-{os.getpid()}-mine"
    alive.write_text("x")
    proc = _cli("versions", "--out-dir", str(out), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert not dead.exists() and alive.exists()


def test_a_file_that_cannot_be_mapped_is_not_read_whole(tmp_path, host_libc):
    big = tmp_path / "libc.so.6"
    shutil.copy(host_libc, big)
    with open(big, "r+b") as f:
        f.truncate(20 << 30)
    # an address-space limit smaller than the file: the mapping fails, reading it would too
    proc = subprocess.run(["bash", "-c", f"ulimit -v 3000000; exec {sys.executable} -m elfdce "
                           f"scan {big}"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "cannot be mapped" in proc.stderr, proc.stderr[-300:]
    assert "MemoryError" not in proc.stderr


@pytest.fixture
def full_disk(tmp_path):
    """A 64 KiB tmpfs: a disk that fills."""
    d = tmp_path / "small"
    d.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(d)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {r.stderr.strip()}")
    yield d
    subprocess.run(["umount", str(d)], check=True)


def test_a_full_disk_leaves_no_mixed_set_and_names_the_users_path(full_disk, tmp_path, gcc):
    maps = full_disk / "maps"
    proc = _cli("versions", "--out-dir", str(maps), timeout=120)
    assert proc.returncode == 2 and f"cannot write to {maps}" in proc.stderr
    assert "nothing written" in proc.stderr and os.listdir(maps) == []
    big = tmp_path / "libbig.so"
    (tmp_path / "b.c").write_text("char blob[200000] = {1};\nint main(void) { return 0; }\n")
    compile_c(str(tmp_path / "b"), "-fPIE", "-pie", str(tmp_path / "b.c"), compiler=gcc)
    subprocess.run(["cp", "--sparse=never", str(tmp_path / "b"), str(big)], check=True)
    out = full_disk / "out"
    proc = _cli("fix-pie", str(big), "-o", str(out))
    assert proc.returncode == 2 and proc.stderr.startswith(f"elfdce fix-pie: {out}: ")
    assert ".elfdce-" not in proc.stderr and [n for n in os.listdir(full_disk) if n != "maps"] == []
    proc = _cli("fix-pie", str(big), "-o", str(tmp_path))
    assert proc.returncode == 2 and "is a directory" in proc.stderr


def test_a_dt_hash_claim_without_section_headers_is_bounded(tmp_path, gcc):
    """The issue's case: a PIE without section headers whose DT_HASH claims 0x9000000 symbols,
    in a 4 GiB sparse file (nothing on disk): refused at once."""
    import time

    (tmp_path / "p.c").write_text("int main(void) { return 0; }\n")
    prog = tmp_path / "p"
    compile_c(str(prog), "-fPIE", "-pie", "-Wl,--hash-style=sysv", str(tmp_path / "p.c"),
              compiler=gcc)
    image = Image(prog.read_bytes())
    hash_vaddr = next(e.value for e in image.info.dynamic.entries if e.tag == 4)  # DT_HASH
    seg = next(p for p in image.info.segments
               if p.type == 1 and p.vaddr <= hash_vaddr < p.vaddr + p.filesz)
    image.put(seg.offset + hash_vaddr - seg.vaddr + 4, "I", 0x9000000)  # nchain
    image.strip_section_headers()
    crafted = tmp_path / "crafted"
    crafted.write_bytes(image.bytes())
    with open(crafted, "r+b") as f:
        f.truncate(4 << 30)
    t = time.monotonic()
    proc = _cli("scan", str(crafted), timeout=30)
    assert time.monotonic() - t < 5
    assert proc.returncode == 2 and "dynamic symbols: more than" in proc.stderr, proc.stderr
    assert _peak_child_rss_mb() < 400


def test_error_messages_stay_one_line_whatever_the_names(tmp_path):
    """A crafted section name (hypothesis found ``\\n`` in place of the dot of
    ``.gnu.version_r``) or a file name with a newline cannot break the one-line message."""
    from elfdce.fsutil import InputError

    for err in (ElfError("lib\nx.so", "\ngnu.version_r: vernaux 0 is outside the section"),
                InputError("policy\r.tsv", "not UTF-8\x7f")):
        assert "\n" not in str(err) and "\r" not in str(err) and "\x7f" not in str(err)
        assert "\\x0a" in str(err) or "\\x0d" in str(err)
    weird = tmp_path / "new\nline.so"
    weird.write_bytes(b"not an ELF file at all")
    proc = _cli("scan", str(weird))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    for args in (("table", "--policy", str(tmp_path / "no\nsuch")),
                 ("diff", str(tmp_path / "ab\nlist"), "/bin/true"),
                 ("fix-pie", "/bin/true", "-o", str(tmp_path / "no\ndir" / "out"))):
        proc = _cli(*args)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, (args, proc.stderr)
