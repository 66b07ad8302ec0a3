"""Differential tests: `scan --format readelf` against GNU readelf --dyn-syms -W."""

from __future__ import annotations

import subprocess
import sys

import pytest
from elfcorpus import cross_libc_files, system_elf_files
from readelf_oracle import as_readelf_prints, normalise, readelf_dyn_syms, readelf_version

from elfdce.elf import ElfError, read_elf
from elfdce.emit.readelf import format_readelf

CHUNK = 250


def ours(paths: list[str]) -> tuple[bytes, list[str]]:
    """Our output for ``paths`` as readelf prints several files, and the files we rejected."""
    parts, rejected = [], []
    for p in paths:
        parts.append(f"\nFile: {p}\n")
        try:
            parts.append(format_readelf(read_elf(p, relocations=False)))
        except ElfError as err:
            rejected.append(str(err))
    return "".join(parts).encode("utf-8", "surrogateescape"), rejected


def mine_normalised(text: bytes) -> list[bytes]:
    """Our lines normalised, as the installed readelf prints them (see `as_readelf_prints`)."""
    return as_readelf_prints(normalise(text), readelf_version())


def first_difference(a: bytes, b: bytes) -> str:
    la, lb = normalise(a), mine_normalised(b)
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return f"line {i}:\n  readelf: {x!r}\n  elfdce:  {y!r}"
    return f"line counts differ: readelf {len(la)}, elfdce {len(lb)}"


def assert_same_as_readelf(paths: list[str]) -> None:
    problems = []
    for i in range(0, len(paths), CHUNK):
        chunk = paths[i : i + CHUNK]
        ref = readelf_dyn_syms(chunk)
        mine, rejected = ours(chunk)
        problems.extend(rejected)
        if normalise(ref) != mine_normalised(mine):
            for p in chunk:
                r, m = readelf_dyn_syms([p]), ours([p])[0].split(b"\n", 2)[2]
                if normalise(r) != mine_normalised(m):
                    problems.append(f"{p}: {first_difference(r, m)}")
    assert not problems, f"{len(problems)} files differ:\n" + "\n".join(problems[:20])


def test_host_libc_matches_readelf_exactly(host_libc):
    # Byte for byte, not only up to whitespace.
    expected = subprocess.run(["readelf", "--dyn-syms", "-W", host_libc], capture_output=True,
                              check=True, env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"}).stdout
    got = subprocess.run([sys.executable, "-m", "elfdce", "scan", "--format", "readelf", host_libc],
                         capture_output=True, check=True).stdout
    assert got == expected


def test_cli_several_files_match_readelf(host_libc, versioned_lib, versioned_program):
    paths = [host_libc, versioned_lib, versioned_program, "/bin/true"]
    expected = readelf_dyn_syms(paths)
    got = subprocess.run([sys.executable, "-m", "elfdce", "scan", "--format", "readelf", *paths],
                         capture_output=True, check=True).stdout
    assert got == expected


def test_compiled_test_files_match_readelf(versioned_lib, versioned_program):
    assert_same_as_readelf([versioned_lib, versioned_program])


def test_cross_libcs_match_readelf():
    files = cross_libc_files()
    machines = {read_elf(p, relocations=False).header.machine for p in files}
    # arm64, armhf, i386, s390x, ppc64el, riscv64, mips64el, x32 at least (scripts/test installs)
    assert len(machines) >= 7, f"cross libcs missing: only machines {sorted(machines)}"
    assert_same_as_readelf(files)


@pytest.mark.slow
def test_every_system_elf_file_matches_readelf():
    files = system_elf_files()
    assert len(files) > 500, "expected a Debian system with its /usr/lib"
    assert_same_as_readelf(files)
