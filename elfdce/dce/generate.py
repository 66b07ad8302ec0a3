"""Generating a prepared tree's host files: learn what DCE's sources define (by compiling them),
complete the table for the host, and write ``elfdce_dce/gen/`` as a set."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile

from .._record import Record
from ..fsutil import holds, write_atomic, write_set
from ..policy.xmacro import parse_xmacro
from .complete import (
    LIBC_ONLY_SOURCES,
    LIBRARY_SOURCES,
    REMOVED_DECLARATIONS,
    Completion,
    Definitions,
    complete,
)
from .emit import (
    data_source,
    host_table,
    simulator_header,
    simulator_source,
    trampolines_header,
)
from .glue import defined_names
from .host import Host, load_host
from .tree import DceTree

GEN = "gen"
INPUTS = "inputs.json"  # the compiler and flags of the last generation (for --check)
COMPILE_TIMEOUT = 300


class GenerateError(Exception):
    """Generation failed: ``str()`` says which step and file."""


class Generated(Record):
    """A generated set: file name (under gen/) -> bytes, and what it came from."""

    files: dict[str, bytes]
    completion: Completion
    host: Host


def _run(cmd: list[str], what: str) -> None:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=COMPILE_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise GenerateError(f"{what}: {err}") from None
    if r.returncode != 0:
        tail = "\n".join(r.stderr.strip().splitlines()[-12:])
        raise GenerateError(f"{what} failed (exit {r.returncode}):\n{tail}")


def probe_definitions(tree: DceTree, cxx: list[str], flags: list[str]) -> Definitions:
    """Compile DCE's library sources with ``flags`` (the host table left out) and read which
    global names each object defines."""
    by_source: dict[str, frozenset[str]] = {}
    with tempfile.TemporaryDirectory(prefix="elfdce-dce-") as tmp:
        for src in LIBRARY_SOURCES + LIBC_ONLY_SOURCES:
            path = os.path.join(tree.model, src)
            if not os.path.isfile(path):
                if src in LIBRARY_SOURCES:
                    raise GenerateError(f"{path}: missing (a DCE tree's library source)")
                continue
            obj = os.path.join(tmp, src + ".o")
            _run([*cxx, *flags, "-w", "-DELFDCE_NO_HOST_TABLE", "-DLIBSETUP=libc_setup",
                  "-I", tree.model, "-c", path, "-o", obj], f"compiling {path}")
            by_source[src] = defined_names([obj])
    return Definitions(by_source)


def undeclared_names(host: Host, cxx: list[str], flags: list[str]) -> frozenset[str]:
    """Which of the removed declarations the host's headers lack (one probe compile each)."""
    out = set()
    with tempfile.TemporaryDirectory(prefix="elfdce-dce-") as tmp:
        for name, _text, _data in REMOVED_DECLARATIONS:
            if not host.exports_name(name):
                continue
            src = os.path.join(tmp, "probe.cc")
            with open(src, "w") as f:
                f.write("#include <sys/types.h>\n#include <sys/stat.h>\n#include <signal.h>\n"
                        f"void *elfdce_probe = (void *) &{name};\n")
            r = subprocess.run([*cxx, *flags, "-w", "-fsyntax-only", src], capture_output=True,
                               timeout=COMPILE_TIMEOUT)
            if r.returncode != 0:
                out.add(name)
    return frozenset(out)


def generate(tree: DceTree, cxx: list[str], flags: list[str], *,
             sysroot: str | None = None) -> Generated:
    """The host files for ``tree``: compile DCE's library sources with ``cxx`` and ``flags``,
    complete its table for the host libraries (under ``sysroot``, default the running host)."""
    try:
        with open(tree.table, encoding="utf-8", errors="surrogateescape") as f:
            table = parse_xmacro(f.read(), tree.table)
    except OSError as err:
        raise GenerateError(f"{tree.table}: {err.strerror}") from None
    host = load_host(sysroot)
    for lib in host.libraries:
        try:
            lib.exports.check_expressible()
        except ValueError as err:
            raise GenerateError(f"{lib.path}: {err}") from None
    defs = probe_definitions(tree, cxx, flags)
    completion = complete(host, table, defs, undeclared_names(host, cxx, flags))
    major, minor = host.glibc_version()
    source = f"{host.libc.path}, glibc {major}.{minor}"
    files = {
        "libc-ns3-host.h": host_table(completion, source),
        "simulator.h": simulator_header(completion, source),
        "simulator.cc": simulator_source(completion, source),
        "trampolines.h": trampolines_header(),
    }
    for lib in host.libraries:
        files[f"data-{lib.key}.cc"] = data_source(list(completion.data), lib.key, source)
    files[INPUTS] = json.dumps({"cxx": cxx, "flags": flags, "sysroot": sysroot,
                                "libc": host.libc.path, "glibc": f"{major}.{minor}",
                                "counts": completion.counts(), "notes": list(completion.notes)},
                               indent=1, sort_keys=True) + "\n"
    return Generated({k: v.encode("utf-8", "surrogateescape") for k, v in files.items()},
                     completion, host)


def write_generated(tree: DceTree, generated: Generated) -> list[str]:
    """Write the set into ``elfdce_dce/gen/`` (`write_set`: every changed file staged, all
    renamed once all are written); files of an older set that it lacks are removed.
    Returns the names that changed."""
    gen = os.path.join(tree.elfdce_dir, GEN)
    os.makedirs(gen, exist_ok=True)
    changes = [(os.path.join(gen, name), data) for name, data in sorted(generated.files.items())
               if not holds(os.path.join(gen, name), data)]
    write_set(changes)
    changed = [os.path.basename(path) for path, _ in changes]
    for name in os.listdir(gen):
        if name not in generated.files:
            path = os.path.join(gen, name)
            if os.path.isdir(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
            changed.append(name)
    return changed


def recorded_inputs(tree: DceTree) -> dict | None:
    """The compiler and flags the last generation used, or None."""
    try:
        with open(os.path.join(tree.elfdce_dir, GEN, INPUTS), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("cxx"), list):
        return None
    return data


__all__ = ["GenerateError", "Generated", "generate", "probe_definitions", "recorded_inputs",
           "write_atomic", "write_generated"]
