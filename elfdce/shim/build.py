"""Build a shim: plan, generate, compile through cffi's toolchain, verify, install atomically.

Why not ``FFI.compile()``: it always produces a CPython extension module (the generated C
includes ``Python.h`` and defines ``PyInit_<module>``, which needs the interpreter's symbols at
load time), and a namespace's libc.so.6 must import nothing at all. What we take from cffi is
its compiler machinery, `cffi.ffiplatform.compile`: the setuptools ``build_ext`` run, with the
compiler, flags and ``CC``/``CFLAGS``/``LDSHARED``/``LDFLAGS`` conventions Python extensions
are built with, given our one C file and our link flags (``-nostdlib``, the version script, the
soname). Its output (named like an extension module) is verified, then renamed into place.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from .._record import Record
from ..elf import ElfError, read_elf
from ..exports import from_elf
from ..glibc.libs import BY_KEY, GlibcLibrary, locate
from ..policy.model import Policy
from .generate import ARCHES, ShimSources, arch_for, write_sources
from .plan import ShimPlan, export_signature, plan_shim

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..elf import ElfSymbols

# -ffreestanding/-fno-builtin/-fno-tree-loop-distribute-patterns: no call to memcpy & co.
# -fno-stack-protector: no __stack_chk_fail; -fvisibility=hidden: only what the script lists.
COMPILE_FLAGS = ("-ffreestanding", "-fno-builtin", "-fno-tree-loop-distribute-patterns",
                 "-fno-stack-protector", "-fvisibility=hidden", "-fPIC")


class ShimError(Exception):
    """The shim cannot be built (no library, compiler failure, verification failure)."""


class ShimBuild(Record):
    """A built and verified shim."""

    output: str
    plan: ShimPlan
    sources: ShimSources
    library_path: str  # the host library it replaces
    exported: int  # pairs the rescan found, NS3 entries included


def compile_flags(sources: ShimSources) -> list[str]:
    """Compiler flags for the generated C file (the assembler finds the ``.include``s)."""
    return [*COMPILE_FLAGS, f"-Wa,-I{sources.directory}"]


def link_flags(plan: ShimPlan, sources: ShimSources) -> list[str]:
    """Linker flags: no start files or libraries, the exact script, the host's soname."""
    script = os.path.join(sources.directory, f"{plan.library.key}-ns3.version")
    return ["-nostdlib", "-shared", f"-Wl,--version-script={script}",
            f"-Wl,-soname,{plan.library.soname}", "-Wl,--no-undefined", "-Wl,-z,noexecstack"]


def toolchain_environment(arch: str, cc: str | None = None) -> dict[str, str]:
    """The ``CC``/``LDSHARED`` to build for ``arch``: ``cc``, else ``$CC``, else the native
    compiler (Python's) or Debian's cross compiler. ``LDSHARED`` becomes ``$CC -shared`` unless
    the user set it: the interpreter's own value may carry its link flags (an rpath to its
    prefix), which have no place in a libc replacement."""
    import sysconfig

    from ..glibc.libs import native_machine

    env = {}
    machine = native_machine()
    native = ARCHES.get(machine[0]) if machine else None
    compiler = cc or os.environ.get("CC")
    if compiler is None:
        if arch == native:
            compiler = str(sysconfig.get_config_var("CC") or "cc")
        else:
            compiler = cross_compiler(arch) or ""
            if not compiler:
                raise ShimError(f"building for {arch} needs a cross compiler "
                                f"({arch}-linux-gnu-gcc, Debian package gcc-{arch}-linux-gnu) or CC")
    env["CC"] = compiler
    if "LDSHARED" not in os.environ:
        env["LDSHARED"] = f"{compiler} -shared"
    return env


def cffi_compile(
    plan: ShimPlan, sources: ShimSources, workdir: str, verbose: bool = False,
    cc: str | None = None,
) -> str:
    """Compile and link ``sources`` with cffi's machinery; the path of the linked library."""
    from cffi import ffiplatform  # type: ignore[import-untyped]  # heavy: only here
    from cffi.error import VerificationError  # type: ignore[import-untyped]

    module = f"_elfdce_{plan.library.key}_ns3"
    # The work directory is random and the sources' may move: neither may reach the output
    # (DW_AT_comp_dir, .debug_line_str), so that two builds give the same bytes.
    prefix_maps = [f"-ffile-prefix-map={os.path.abspath(workdir)}=.",
                   f"-ffile-prefix-map={sources.directory}=."]
    ext = ffiplatform.get_extension(
        sources.c_file, module,
        include_dirs=[sources.directory],
        extra_compile_args=compile_flags(sources) + prefix_maps,
        extra_link_args=link_flags(plan, sources),
    )
    saved = {k: os.environ.get(k) for k in ("CC", "LDSHARED")}
    os.environ.update(toolchain_environment(sources.arch, cc))
    os.makedirs(workdir, exist_ok=True)
    cwd = os.getcwd()
    # build_ext reads setup.cfg from the current directory (Distribution.parse_config_files):
    # a project's own build options must not leak into the shim.
    os.chdir(workdir)
    try:
        return str(ffiplatform.compile(workdir, ext, compiler_verbose=verbose))
    except VerificationError as err:
        raise ShimError(f"building {plan.library.key}-ns3.so failed: {err}") from None
    except Exception as err:  # setuptools raises its own errors for a missing compiler
        raise ShimError(f"building {plan.library.key}-ns3.so failed: "
                        f"{type(err).__name__}: {err}") from None
    finally:
        os.chdir(cwd)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def verify(plan: ShimPlan, path: str) -> int:
    """Rescan the linked library; ShimError listing every difference from the plan's expected
    export set, any import, DT_NEEDED entry or wrong soname. Returns the number of exports."""
    try:
        elf = read_elf(path, relocations=False)
    except ElfError as err:
        raise ShimError(f"the linked shim cannot be read: {err}") from None
    exports = from_elf(elf)
    got = {export_signature(p) for p in exports.pairs}
    want = plan.expected()
    problems = [f"missing {_describe(t)}" for t in sorted(want - got)]
    problems += [f"unexpected {_describe(t)}" for t in sorted(got - want)]
    if exports.unversioned:
        problems.append(f"unversioned exports {', '.join(sorted(exports.unversioned))}")
    imports = sorted({s.name for s in elf.undefined() if s.name})
    if imports:
        problems.append(f"imports {', '.join(imports)} (a shim must import nothing)")
    if elf.dynamic is not None and elf.dynamic.needed:
        problems.append(f"DT_NEEDED {', '.join(elf.dynamic.needed)}")
    if elf.soname != plan.library.soname:
        problems.append(f"soname {elf.soname!r}, expected {plan.library.soname!r}")
    if problems:
        raise ShimError(f"{path}: the shim's exports differ from the plan "
                        f"({len(problems)} problems):\n  " + "\n  ".join(problems))
    return len(got) + len(exports.unversioned)


def _describe(t: tuple[str, str, bool, str, int]) -> str:
    name, version, default, kind, size = t
    return f"{name}{'@@' if default else '@'}{version} {kind}" + (f" size {size}" if size else "")


def build_shim(
    library: str | GlibcLibrary,
    policy: Policy,
    output: str,
    *,
    library_path: str | None = None,
    sysroot: str | None = None,
    source_dir: str | None = None,
    cc: str | None = None,
    verbose: bool = False,
) -> ShimBuild:
    """Build the shim replacing ``library`` (a key like ``libc`` or a soname) at ``output``.

    The host library is ``library_path`` or the one the loader would use (under ``sysroot``).
    Sources go to ``source_dir`` (default ``<output>.src``, kept for inspection and rebuilds).
    ``cc`` picks the compiler (default: `toolchain_environment`). The result is only renamed
    to ``output`` once its exports equal the plan's.
    """
    lib = library if isinstance(library, GlibcLibrary) else BY_KEY.get(library)
    if lib is None:
        raise ShimError(f"unknown library {library!r}: one of libc, libpthread, librt, libm, libdl")
    if library_path is None:
        library_path = _located(lib, sysroot)
    elf, arch = _read_host(library_path, lib)
    plan = plan_shim(lib, from_elf(elf), policy)
    output = os.path.abspath(output)
    try:
        sources = write_sources(plan, arch, os.path.abspath(source_dir or output + ".src"),
                                library_path)
    except ValueError as err:  # the same refusal as `versions`, one line, nothing written
        raise ShimError(f"{library_path}: {err}") from None
    exported = _install(plan, sources, output, verbose, cc)
    return ShimBuild(output, plan, sources, library_path, exported)


def _located(lib: GlibcLibrary, sysroot: str | None) -> str:
    """The file the loader would use for ``lib`` (under ``sysroot``); ShimError without one."""
    [located] = locate(sysroot, libraries=(lib,))
    if located.path is None:
        raise ShimError(f"{lib.soname} not found ({located.how})")
    return located.path


def _read_host(library_path: str, lib: GlibcLibrary) -> tuple[ElfSymbols, str]:
    """The host library's scan and the shim's architecture; ShimError unless it is glibc's
    ``lib``."""
    try:
        elf = read_elf(library_path, relocations=False)
        from ..glibc.libs import require_glibc_library

        require_glibc_library(elf, lib.key)
        arch = arch_for(elf.header.machine, elf.is_64, elf.header.little_endian)
    except (ElfError, ValueError) as err:
        raise ShimError(str(err)) from None
    return elf, arch


def _install(plan: ShimPlan, sources: ShimSources, output: str, verbose: bool,
             cc: str | None) -> int:
    """Compile and verify beside ``output``, then rename into place; the number of exports."""
    os.makedirs(os.path.dirname(output), exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".elfdce-shim-", dir=os.path.dirname(output)) as tmp:
        built = cffi_compile(plan, sources, tmp, verbose, cc)
        exported = verify(plan, built)
        os.chmod(built, 0o755)
        os.replace(built, output)
    return exported


def cross_compiler(arch: str) -> str | None:
    """Debian's cross gcc for ``arch`` when it is installed (``aarch64-linux-gnu-gcc``)."""
    return shutil.which(f"{arch}-linux-gnu-gcc")


__all__ = ["COMPILE_FLAGS", "toolchain_environment", "ShimBuild", "ShimError", "build_shim", "cffi_compile",
           "compile_flags", "cross_compiler", "link_flags", "verify"]
