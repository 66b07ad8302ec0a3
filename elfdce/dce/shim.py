"""elfdce's shims in DCE's ABI: ``lib*-ns3.so`` that DCE's simulator loads in place of its own.

DCE calls ``<lib>_setup (const struct Libc *)``: the library copies ``sizeof (struct Libc)``
bytes and (libc) hands the addresses of its data objects to the simulator through the table's
``dce_global_variables_setup`` entry (``struct DceGlobalVariables``). Both layouts are
*measured*: a probe that includes DCE's own ``libc.h`` and ``dce-global-variables.h`` is compiled
with the build's flags and the offsets are read from its object. The shim's dispatch table is
the struct copy itself: each exported pair is one ``jmp *table+offset`` to the field DCE's
simulator filled — a table entry's for every host pair of its names (compat ones too), a
completion entry's for that pair (a prepared tree names every other host pair), a typed
field's for DCE's hand-written ``strstr``, ``strpbrk`` and ``vsnprintf``; DCE's other
hand-written functions are written in C over the same fields.
"""

from __future__ import annotations

import os
import subprocess
import tempfile

from .._record import Record
from ..data import csrc_dir
from ..elf import read_elf, read_static_symbols
from ..versionmaps.script import exact_script
from ..exports import ExportPair, ExportSet, internal_name
from ..fsutil import write_atomic
from ..glibc.libs import BY_KEY, GlibcLibrary, is_version_placeholder
from ..policy.model import PolicyEntry
from ..policy.xmacro import parse_xmacro
from ..shim.generate import ARCHES, ShimSources, _align
from ..shim.plan import DATA_KINDS, FUNCTION_KINDS, NS3_VERSION, export_signature
from .complete import Definitions, entry_ident, exported_by_dce
from .generate import GenerateError, probe_definitions, recorded_inputs
from .host import Host
from .tree import DceTree

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

# DCE's struct Libc ends with typed fields for the functions libc.cc writes by hand.
TYPED_FIELDS = ("strpbrk", "strstr", "vsnprintf")
# struct DceGlobalVariables field -> the data object whose address it carries.
GLOBALS = {
    "pstdin": "stdin", "pstdout": "stdout", "pstderr": "stderr", "penvp": "environ",
    "poptarg": "optarg", "poptind": "optind", "popterr": "opterr", "poptopt": "optopt",
    "pprogname": "__progname", "pprogram_invocation_name": "program_invocation_name",
    "pprogram_invocation_short_name": "program_invocation_short_name",
}
# What DCE's libc.cc defines by hand outside its table, and how the shim does the same.
HAND_WRITTEN = {
    "strpbrk": ("typed", "strpbrk"), "strstr": ("typed", "strstr"),
    "vsnprintf": ("typed", "vsnprintf"),
    "snprintf": ("c", "int {sym} (char *s, unsigned long n, const char *f, ...)"
                      " { va_list v; va_start (v, f); int r = ELFDCE_VSNPRINTF (s, n, f, v);"
                      " va_end (v); return r; }"),
    "__snprintf": ("c", "int {sym} (char *s, unsigned long n, const char *f, ...)"
                        " { va_list v; va_start (v, f); int r = ELFDCE_VSNPRINTF (s, n, f, v);"
                        " va_end (v); return r; }"),
    # glibc's signature (DCE's own drops the flag argument and misreads the size)
    "__sprintf_chk": ("c", "int {sym} (char *s, int flag, unsigned long slen, const char *f, ...)"
                           " { va_list v; (void) flag; va_start (v, f);"
                           " int r = ELFDCE_VSNPRINTF (s, slen, f, v); va_end (v); return r; }"),
    "__libc_alloca_cutoff": ("c", "int {sym} (unsigned long size) { (void) size; return 0; }"),
    "__res_iclose": ("c", "void {sym} (void *statp, int free_addr) { (void) statp; (void) free_addr; }"),
    "__resolv_context_get_preinit": ("c", "void *{sym} (void) { return 0; }"),
    "__resolv_context_get_override": ("c", "void *{sym} (void *s) { (void) s; return 0; }"),
    "__resolv_context_get": ("c", "void *{sym} (void) { return 0; }"),
    "__resolv_context_put": ("c", "void {sym} (void *c) { (void) c; }"),
    "__rawmemchr": ("slot-of", "rawmemchr"),
}


class Layout(Record):
    """``struct Libc`` and ``struct DceGlobalVariables`` as the build's compiler lays them out."""

    size: int
    fields: dict[str, int]  # table entry or typed field name -> offset of its pointer
    globals_size: int
    globals: dict[str, int]  # DceGlobalVariables field -> offset


class DceShimError(Exception):
    """A DCE-ABI shim cannot be planned or built: ``str()`` says why."""


def _compile(cmd: list[str], what: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise DceShimError(f"{what}: {err}") from None


def _inputs(tree: DceTree) -> tuple[list[str], list[str]]:
    inputs = recorded_inputs(tree)
    if inputs is None:
        raise DceShimError(f"{tree.root}: not prepared for this host (run `elfdce dce prepare` "
                           "and DCE's ./waf configure && ./waf build first)")
    return list(inputs["cxx"]), list(inputs.get("flags") or [])


_ENTRY_MACROS = ("DCE", "DCET", "NATIVET", "DCE_EXPLICIT", "NATIVE_EXPLICIT")


def measure_layout(tree: DceTree) -> Layout:
    """Compile a probe of DCE's headers with the build's flags; read the offsets it stores."""
    cxx, flags = _inputs(tree)
    base = [*cxx, *flags, "-w", "-DLIBSETUP=libc_setup", "-I", tree.model]
    with tempfile.TemporaryDirectory(prefix="elfdce-layout-") as tmp:
        typed = _compiling(base, os.path.join(tmp, "t.cc"), TYPED_FIELDS,
                           '#include "libc.h"\n#include <stddef.h>\n'
                           "unsigned long x = offsetof (struct Libc, {name}_fn);\n",
                           "probing struct Libc")
        gfields = _compiling(base, os.path.join(tmp, "g.cc"), GLOBALS,
                             '#include <stdio.h>\n#include "dce-global-variables.h"\n'
                             "#include <stddef.h>\n"
                             "unsigned long x = offsetof (struct DceGlobalVariables, {name});\n",
                             "probing DceGlobalVariables")
        src = os.path.join(tmp, "layout.cc")
        with open(src, "w") as f:
            f.write(_layout_probe(typed, gfields))
        obj = os.path.join(tmp, "layout.o")
        r = _compile([*base, "-c", src, "-o", obj], "measuring struct Libc")
        if r.returncode != 0:
            tail = "\n".join(r.stderr.strip().splitlines()[-8:])
            raise DceShimError(f"measuring struct Libc of {tree.model} failed:\n{tail}")
        values = _object_bytes(obj, "elfdce_layout")
        names = _object_bytes(obj, "elfdce_layout_names").decode().split("\n")[:-1]
    return _decode_layout(values, names, typed, gfields)


def _compiling(base: list[str], src: str, names: Iterable[str], code: str,
               what: str) -> list[str]:
    """The ``names`` for which ``code`` (``{name}`` replaced) compiles, written to ``src``."""
    found = []
    for name in names:
        with open(src, "w") as f:
            f.write(code.replace("{name}", name))
        if _compile([*base, "-fsyntax-only", src], what).returncode == 0:
            found.append(name)
    return found


def _layout_probe(typed: list[str], gfields: list[str]) -> str:
    """C++ that stores the size and field offsets of struct Libc (the table's entries, then the
    ``typed`` fields) and of struct DceGlobalVariables (``gfields``), and the entries' names."""
    entry = "#define {m}(...) ELFDCE_FIRST (__VA_ARGS__)"
    redefine = "\n".join([
        "#define ELFDCE_FIRST(a, ...) ELFDCE_ITEM (a)",
        "#define DCE(name) ELFDCE_ITEM (name)",
        "#define DCET(rtype, name) ELFDCE_ITEM (name)",
        "#define NATIVET(rtype, name) ELFDCE_ITEM (name)",
        entry.format(m="DCE_EXPLICIT"), entry.format(m="NATIVE_EXPLICIT"),
    ])
    return "\n".join([
        "#include <stdio.h>", '#include "libc.h"', '#include "dce-global-variables.h"',
        "#include <stddef.h>", 'extern "C" {',
        "extern const unsigned long elfdce_layout[];",
        "const unsigned long elfdce_layout[] = { sizeof (struct Libc),",
        "#define ELFDCE_ITEM(name) offsetof (struct Libc, name ## _fn),", redefine,
        '#include "libc-ns3.h"',
        *[f"offsetof (struct Libc, {t}_fn)," for t in typed],
        "sizeof (struct DceGlobalVariables),",
        *[f"offsetof (struct DceGlobalVariables, {g})," for g in gfields],
        "0 };",
        "#undef ELFDCE_ITEM",
        "extern const char elfdce_layout_names[];",
        'const char elfdce_layout_names[] = ""',
        '#define ELFDCE_ITEM(name) #name "\\n"', redefine,
        '#include "libc-ns3.h"',
        ";", "}", ""])


def _decode_layout(values: bytes, names: list[str], typed: list[str],
                   gfields: list[str]) -> Layout:
    """The `Layout` from the probe's stored values; DceShimError when either struct has fields
    elfdce does not know."""
    width = 8
    ints = [int.from_bytes(values[i:i + width], "little") for i in range(0, len(values), width)]
    size, rest = ints[0], ints[1:]
    fields = dict(zip(names + typed, rest[: len(names) + len(typed)]))
    rest = rest[len(names) + len(typed):]
    gsize, goffs = rest[0], rest[1: 1 + len(gfields)]
    pointer_fields = len(names) + len(typed)
    if size != width * pointer_fields:
        raise DceShimError(f"struct Libc is {size} bytes, but its {pointer_fields} known fields "
                           f"take {width * pointer_fields}: fields elfdce does not know")
    if gsize != width * len(gfields):
        raise DceShimError(f"struct DceGlobalVariables is {gsize} bytes, but its "
                           f"{len(gfields)} known fields take {width * len(gfields)}")
    return Layout(size, fields, gsize, dict(zip(gfields, goffs)))


def _object_bytes(obj: str, symbol: str) -> bytes:
    sym = next((s for s in read_static_symbols(obj) if s.name == symbol and s.is_defined), None)
    if sym is None:
        raise DceShimError(f"{obj}: the probe's {symbol} is missing")
    sec = read_elf(obj, relocations=False).sections[sym.shndx]
    with open(obj, "rb") as f:
        f.seek(sec.offset + sym.value)
        return f.read(sym.size)


class Export(Record):
    """One exported pair of the shim and how it is defined."""

    pair: ExportPair
    how: str  # "slot", "c", "data"
    offset: int  # slot: byte offset in struct Libc
    body: str  # c: the function's C definition template
    storage: str  # data: the storage label (pairs at one host address share it)


class DceShimPlan(Record):
    """What one DCE-ABI shim defines; ``library`` and `expected` as `elfdce.shim.build` needs."""

    library: GlibcLibrary
    layout: Layout
    exports: tuple[Export, ...]
    excluded: tuple[tuple[str, str], ...]  # (label, reason)
    host: ExportSet
    unbacked: tuple[str, ...]  # table entries no host library exports (slot kept, not exported)

    @property
    def entries(self) -> tuple[str, ...]:
        return (self.library.setup,)

    def export_set(self) -> ExportSet:
        return self.host._replace(pairs=tuple(e.pair for e in self.exports))

    def expected(self) -> set[tuple[str, str, bool, str, int]]:
        out = {export_signature(e.pair) for e in self.exports}
        out.update((e, NS3_VERSION, True, "FUNC", 0) for e in self.entries)
        return out


def tree_definitions(tree: DceTree) -> Definitions:
    """What the tree's library sources define (compiled with the recorded build flags):
    once per tree, not once per library."""
    cxx, flags = _inputs(tree)
    try:
        return probe_definitions(tree, cxx, flags)
    except GenerateError as err:
        raise DceShimError(str(err)) from None


def plan_dce_shim(tree: DceTree, key: str, host: Host, layout: Layout,
                  definitions: Definitions | None = None) -> DceShimPlan:
    """Which host pairs of ``key`` the shim exports, each through which field."""
    lib = host.library(key)
    if lib is None:
        raise DceShimError(f"{BY_KEY[key].soname}: not found on the host")
    with open(tree.table, encoding="utf-8", errors="surrogateescape") as f:
        table = parse_xmacro(f.read(), tree.table)
    slot_of: dict[str, int] = {}
    for e in table.table():
        if e.name in layout.fields:
            for n in e.names:
                slot_of.setdefault(n, layout.fields[e.name])
    defined = (definitions or tree_definitions(tree)).for_library(key)
    by_name = table.by_name()
    addresses = lib.addresses(data=True)
    storage_at: dict[int, str] = {}
    exports, excluded = [], []
    for p in lib.exports.pairs:
        if is_version_placeholder(p.name):
            continue
        if p.kind in DATA_KINDS:
            value = addresses.get((p.name, p.version), -1)
            label = storage_at.setdefault(value, f"__elfdce_data_{len(storage_at)}")
            exports.append(Export(p, "data", 0, "", label))
        elif p.kind not in FUNCTION_KINDS:
            excluded.append((p.label, f"symbol type {p.kind}"))
        else:
            export = _function_export(p, slot_of, defined, by_name, layout, host)
            if isinstance(export, str):
                excluded.append((p.label, export))
            else:
                exports.append(export)
    everywhere = {p.name for other in host.libraries for p in other.exports.pairs}
    unbacked = tuple(sorted(e.name for e in table.table()
                            if e.name in layout.fields and not set(e.names) & everywhere))
    return DceShimPlan(BY_KEY[key], layout, tuple(exports), tuple(excluded), lib.exports,
                       unbacked)


def _function_export(p: ExportPair, slot_of: dict[str, int], defined: frozenset[str],
                     by_name: dict[str, PolicyEntry], layout: Layout,
                     host: Host) -> Export | str:
    """How the shim exports the function pair ``p`` (``slot_of``: the field of each name of
    DCE's table), or why it does not: as the prepared build does (`complete.exported_by_dce`),
    through DCE's own entry where its definition exports the pair (an entry added for another
    library's pair of the same name notwithstanding), else through the pair's added entry."""
    if p.name in slot_of and exported_by_dce(p, defined, by_name):
        return Export(p, "slot", slot_of[p.name], "", "")
    ident = entry_ident(p.name, p.version)
    if ident in layout.fields:
        return Export(p, "slot", layout.fields[ident], "", "")
    if p.name in slot_of:
        return Export(p, "slot", slot_of[p.name], "", "")
    if p.name not in HAND_WRITTEN or p.name not in defined:
        return ("neither in the table nor in its completion (prepare the tree and build it for "
                "this host)")
    how, arg = HAND_WRITTEN[p.name]
    if how == "typed" and arg in layout.fields:
        return Export(p, "slot", layout.fields[arg], "", "")
    field = _slot_of_name(arg, slot_of, layout, host) if how == "slot-of" else None
    if field is not None:
        return Export(p, "slot", field, "", "")
    if how == "c" and "vsnprintf" in layout.fields:
        return Export(p, "c", 0, arg, "")
    return f"written by hand in DCE; {arg} not in struct Libc"


def _slot_of_name(name: str, slot_of: dict[str, int], layout: Layout, host: Host) -> int | None:
    """The field a call to ``name`` (its default pair) goes through: its table entry's, or its
    completion entry's."""
    if name in slot_of:
        return slot_of[name]
    for lib in host.libraries:
        for p in lib.exports.pairs:
            if p.name == name and p.default and entry_ident(name, p.version) in layout.fields:
                return layout.fields[entry_ident(name, p.version)]
    return None


def sources(plan: DceShimPlan, arch: str, directory: str) -> ShimSources:
    """Write the shim's sources: one C file (setup, hand-written functions) that includes the
    assembly (trampolines through the struct copy, data storage), and the version script."""
    base = f"{plan.library.key}-ns3"
    asm, c_funcs = _assembly(plan, arch, base)
    globals_code = _globals_setup(plan) if plan.library.key == "libc" else []
    c = _c_source(plan, arch, base, c_funcs, globals_code)
    ns3 = f"{NS3_VERSION} {{\nglobal:\n\t{plan.library.setup};\n}};\n"
    texts = {f"{base}.c": "\n".join(c), f"{base}.s": "\n".join(asm) + "\n",
             f"{base}.version": exact_script(plan.export_set(), ns3)}
    for name in (f"arch-{arch}.s", "common.s"):
        with open(os.path.join(csrc_dir(), "shim", name), encoding="utf-8") as f:
            texts[name] = f.read()
    os.makedirs(directory, exist_ok=True)
    for name, text in texts.items():
        write_atomic(os.path.join(directory, name), text.encode("utf-8", "surrogateescape"))
    return ShimSources(directory, os.path.join(directory, f"{base}.c"), tuple(sorted(texts)), arch)


def _assembly(plan: DceShimPlan, arch: str, base: str) -> tuple[list[str], list[str]]:
    """The lines of ``<base>.s`` (a trampoline per slot export, storage per data object), and
    the C definitions of the exports written in C."""
    symver = {(p.name, p.version) for p in plan.export_set().symver_pairs()}
    asm = [f'\t.include "arch-{arch}.s"', '\t.include "common.s"',
           f'\tELFDCE_TRAP "elfdce {base}.so: a slot DCE never filled was called\\n"',
           f"\tELFDCE_SLOT_TABLE {plan.layout.size // 8}"]
    c_funcs = []
    placed: set[str] = set()
    for e in plan.exports:
        p = e.pair
        # a pair the version script alone cannot express gets a .symver'd internal name
        sym = internal_name(p.name, p.version) if (p.name, p.version) in symver else p.name
        if e.how == "slot":
            asm.append(f"\tELFDCE_TRAMPOLINE {sym}, {e.offset // 8}")
        elif e.how == "c":
            c_funcs.append("ELFDCE_VISIBLE " + e.body.replace("{sym}", sym))
        elif e.storage in placed:  # an alias of a data object already defined
            # .set first: GNU as 2.35 (Debian 11) resets a symbol's .size when .set assigns it
            asm.append(f"\t.set {sym}, {e.storage}\n\t.type {sym}, %object\n\t.size {sym}, {p.size}")
        else:
            placed.add(e.storage)
            if p.kind == "TLS":
                asm.append(f"\tELFDCE_TLS {sym}, {p.size}, {_align(p.size)}\n\t.set {e.storage}, {sym}")
            else:
                asm.append(f"\tELFDCE_OBJECT {e.storage}, {sym}, {p.size}, {_align(p.size)}")
        asm.append(f"\t.globl {sym}")
        if sym != p.name:
            asm.append(f"\t.symver {sym}, {p.label}")
    return asm, c_funcs


def _globals_setup(plan: DceShimPlan) -> list[str]:
    """C statements of libc's setup that hand DCE the addresses of the data objects
    (``struct DceGlobalVariables``, through the table's ``dce_global_variables_setup``)."""
    data = {e.pair.name: e.storage for e in plan.exports if e.how == "data"}
    setup_field = plan.layout.fields.get("dce_global_variables_setup")
    if setup_field is None:
        raise DceShimError("struct Libc has no dce_global_variables_setup entry")
    code = [f"  unsigned char globals[{plan.layout.globals_size}];",
            f"  for (i = 0; i < {plan.layout.globals_size}; i++) globals[i] = 0;"]
    for field, offset in plan.layout.globals.items():
        label = data.get(GLOBALS[field])
        if label is None:
            raise DceShimError(f"the host libc has no {GLOBALS[field]} for {field}")
        code.append(f"  {{ extern char {label}[] __attribute__ ((visibility (\"hidden\")));"
                    f" void *a = {label}; unsigned char *b = (unsigned char *) &a;"
                    f" for (unsigned long k = 0; k < sizeof a; k++)"
                    f" globals[{offset} + k] = b[k]; }}")
    code.append(f"  ((void (*) (void *)) __elfdce_slots[{setup_field // 8}]) (globals);")
    return code


def _c_source(plan: DceShimPlan, arch: str, base: str, c_funcs: list[str],
              globals_code: list[str]) -> list[str]:
    """The lines of ``<base>.c``: the functions written in C, then DCE's setup entry."""
    vsn = plan.layout.fields.get("vsnprintf")
    return [
        f"/* Generated by elfdce: {plan.library.soname} in ns-3-dce's ABI ({base}.so). */",
        f"#if !({'defined(__x86_64__)' if arch == 'x86_64' else 'defined(__aarch64__)'})",
        f'#error "these sources were generated for {arch}"', "#endif",
        "#include <stdarg.h>",
        '#define ELFDCE_VISIBLE __attribute__ ((visibility ("default")))',
        'extern void *__elfdce_slots[] __attribute__ ((visibility ("hidden")));',
        (f"#define ELFDCE_VSNPRINTF ((int (*) (char *, unsigned long, const char *, va_list))"
         f" __elfdce_slots[{vsn // 8}])" if vsn is not None else ""),
        *c_funcs,
        f"/* DCE's setup: copy sizeof (struct Libc) = {plan.layout.size} bytes, byte by byte (a",
        " * memcpy would call a trampoline whose slot is not set yet). */",
        f"ELFDCE_VISIBLE void {plan.library.setup} (const void *fn)",
        "{",
        "  const unsigned char *src = (const unsigned char *) fn;",
        "  volatile unsigned char *dst = (volatile unsigned char *) __elfdce_slots;",
        "  unsigned long i;",
        f"  for (i = 0; i < {plan.layout.size}; i++) dst[i] = src[i];",
        *globals_code,
        "}",
        f'__asm__ (".pushsection .text\\n.include \\"{base}.s\\"\\n.popsection");', "",
    ]


def build_dce_shim(tree: DceTree, key: str, host: Host, layout: Layout, output: str, *,
                   cc: str | None = None, verbose: bool = False,
                   definitions: Definitions | None = None) -> tuple[DceShimPlan, int]:
    """Plan, generate, compile (cffi's toolchain), verify and install one shim
    (``definitions``: `tree_definitions`, shared by the five)."""
    from ..shim.build import ShimError, cffi_compile, verify

    plan = plan_dce_shim(tree, key, host, layout, definitions)
    machine = host.libc.elf.header.machine
    arch = ARCHES.get(machine)
    if arch is None:
        raise DceShimError(f"no trampolines for e_machine {machine}")
    output = os.path.abspath(output)
    src = sources(plan, arch, output + ".src")
    os.makedirs(os.path.dirname(output), exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix=".elfdce-shim-", dir=os.path.dirname(output)) as tmp:
            built = cffi_compile(plan, src, tmp, verbose, cc)  # type: ignore[arg-type]
            exported = verify(plan, built)  # type: ignore[arg-type]
            os.chmod(built, 0o755)
            os.replace(built, output)
    except ShimError as err:
        raise DceShimError(str(err)) from None
    return plan, exported
