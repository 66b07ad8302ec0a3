"""Loading shims into a fresh link-map namespace and filling them, from Python through cffi.

This is the simulator's side of a shim, in miniature: dlmopen(LM_ID_NEWLM) the libc shim (the
first object of the namespace, so its data objects are what programs' COPY relocations find:
a namespace's global scope is its first object's search list), the other shims into the same
namespace, then for each: read its description (``<lib>_describe``), fill every slot (NATIVE
and the rest: the host's function of the same name and version, ``dlvsym`` in the base
namespace; DCE: a Python callback when an override is given), copy the host's data objects
into the shim's, and call ``<lib>_setup``.

Only for this process's own architecture and glibc; the caller runs it in a subprocess.
"""

from __future__ import annotations

import os

from .._record import Record
from ..glibc.libs import FIVE
from ..glibc.shared_state import SHARED_STATE
from .plan import SHIM_ABI

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

RTLD_NOW = 0x2
RTLD_NOLOAD = 0x4
LM_ID_NEWLM = -1
RTLD_DI_LMID = 1
RTLD_DI_LINKMAP = 2

_CDEF = """
typedef long Lmid_t;
void *dlmopen(Lmid_t lmid, const char *file, int mode);
void *dlopen(const char *file, int mode);
void *dlvsym(void *handle, const char *name, const char *version);
void *dlsym(void *handle, const char *name);
int dlinfo(void *handle, int request, void *arg);
char *dlerror(void);
int fflush(void *stream);
void exit(int status);
int mprotect(void *addr, size_t len, int prot);
struct elfdce_link_map { uintptr_t l_addr; char *l_name; void *l_ld; void *l_next; void *l_prev; };
"""

# Data objects that must not be the host's current value in a program's namespace.
_PROGRAM_NAME = ("__progname_full", "program_invocation_name")
_PROGRAM_SHORT_NAME = ("__progname", "program_invocation_short_name")


class ShimLoadError(Exception):
    """A shim or program could not be loaded or filled (the message names what and why)."""


class SlotInfo(Record):
    """A slot as the shim describes itself."""

    index: int  # type: ignore[assignment]
    name: str
    version: str | None
    default: bool
    cls: str

    @property
    def label(self) -> str:
        from ..exports import pair_label

        return pair_label(self.name, self.version or "", self.default)


class DataInfo(Record):
    """A data object as the shim describes itself (``address`` in this process)."""

    name: str
    version: str
    default: bool
    cls: str
    address: int
    size: int


class FillReport(Record):
    """How `Session.fill` filled one shim's table."""

    library: str
    native: int  # host functions
    overridden: int  # Python callbacks
    dce_on_host: int  # DCE slots without an override, given the host's function
    trapped: int  # slots left on the trap (unbound, or DCE under strict, or host lacks it)
    data: int  # data objects initialised


class LoadedShim(Record):
    """A shim loaded in the session's namespace."""

    path: str
    handle: Any
    library: str
    soname: str
    slots: tuple[SlotInfo, ...]
    data: tuple[DataInfo, ...]
    info: Any  # the cdata struct elfdce_shim_info *


class Session:
    """One namespace with shims and (optionally) a program in it; see the module docstring."""

    def __init__(self, extra_cdef: str = "") -> None:
        import cffi  # type: ignore[import-untyped]  # not on the scan path

        from .generate import runtime_structs

        self.ffi = ffi = cffi.FFI()
        ffi.cdef(_CDEF + runtime_structs() + extra_cdef)
        self.C = ffi.dlopen(None)
        self.lmid: int | None = None
        self.shims: list[LoadedShim] = []
        self._keep: list[Any] = []  # callbacks and strings that must outlive the namespace
        self._host: dict[str, Any] = {}
        self.program: Any = None  # the program's handle, once loaded
        self._shared: dict[str, tuple[Any, Any, int] | None] = {}

    # -- loading ---------------------------------------------------------------------------

    def _error(self) -> str:
        """The loader's message for the last dl* failure."""
        err = self.C.dlerror()
        if not err:
            return "no message from the loader"
        return self.ffi.string(err).decode(errors="replace")

    def load_shim(self, path: str) -> LoadedShim:
        """dlmopen the shim at ``path``: the first one into a new namespace, the next ones into
        the same; returns its self-description."""
        ffi, C = self.ffi, self.C
        lmid = LM_ID_NEWLM if self.lmid is None else self.lmid
        handle = C.dlmopen(lmid, os.fsencode(os.path.abspath(path)), RTLD_NOW)
        if handle == ffi.NULL:
            raise ShimLoadError(f"{path}: dlmopen failed: {self._error()}")
        if self.lmid is None:
            out = ffi.new("Lmid_t *")
            if C.dlinfo(handle, RTLD_DI_LMID, out) != 0:
                raise ShimLoadError(f"{path}: dlinfo(RTLD_DI_LMID) failed: {self._error()}")
            self.lmid = int(out[0])
        describe = next((d for d in (C.dlsym(handle, f"{lib.key}_describe".encode())
                                     for lib in FIVE) if d != ffi.NULL), None)
        if describe is None:
            raise ShimLoadError(f"{path}: not an elfdce shim (no <lib>_describe entry)")
        info = ffi.cast("const struct elfdce_shim_info *(*)(void)", describe)()
        if info.abi != SHIM_ABI:
            raise ShimLoadError(f"{path}: shim ABI {info.abi}, this elfdce reads ABI {SHIM_ABI}")
        text = ffi.string
        slots = tuple(
            SlotInfo(i, text(s.name).decode(),
                     text(s.version).decode() if s.version != ffi.NULL else None,
                     bool(s.is_default), text(s.cls).decode())
            for i, s in ((i, info.slots[i]) for i in range(info.nslots))
        )
        data = tuple(
            DataInfo(text(d.name).decode(), text(d.version).decode(), bool(d.is_default),
                     text(d.cls).decode(), int(ffi.cast("uintptr_t", d.address)), int(d.size))
            for d in (info.data[i] for i in range(info.ndata))
        )
        shim = LoadedShim(path, handle, text(info.library).decode(), text(info.soname).decode(),
                          slots, data, info)
        self.shims.append(shim)
        return shim

    def host_library(self, soname: str) -> Any:
        """The base namespace's handle of the host library ``soname`` (loaded if needed)."""
        handle = self._host.get(soname)
        if handle is None:
            handle = self.C.dlopen(soname.encode(), RTLD_NOW)
            if handle == self.ffi.NULL:
                raise ShimLoadError(f"host {soname}: dlopen failed: {self._error()}")
            self._host[soname] = handle
        return handle

    def host_symbol(self, soname: str, name: str, version: str) -> Any:
        """The host's ``name@version`` in ``soname`` (the function an IFUNC resolves to), or
        NULL."""
        return self.C.dlvsym(self.host_library(soname), name.encode("utf-8", "surrogateescape"), version.encode("utf-8", "surrogateescape"))

    def host_path(self, soname: str) -> str:
        """The file the base namespace loaded for ``soname``."""
        lm = self.ffi.new("struct elfdce_link_map **")
        if self.C.dlinfo(self.host_library(soname), RTLD_DI_LINKMAP, lm) != 0:
            raise ShimLoadError(f"host {soname}: dlinfo failed: {self._error()}")
        return self.ffi.string(lm[0].l_name).decode()

    # -- filling ---------------------------------------------------------------------------

    def fill(
        self,
        shim: LoadedShim,
        overrides: dict[str, tuple[str, Callable[..., Any]]] | None = None,
        *,
        strict: bool = False,
        argv0: str | None = None,
    ) -> FillReport:
        """Fill ``shim``'s table and data objects, then call its setup entry.

        ``overrides`` maps a function name to (C function type, Python function): every slot of
        that name (all versions) calls it. A DCE slot without one gets the host function, or
        the trap with ``strict``. Data objects get the host's current bytes (sizes checked
        against the host file first), but the program name (``argv0``) and
        ``__libc_single_threaded`` (0: host threads may exist, a stale 1 would skip atomics).
        """
        callbacks = self._callbacks(overrides or {})
        table = self.ffi.new("void *[]", max(len(shim.slots), 1))
        counts = {"native": 0, "overridden": 0, "dce_on_host": 0, "trapped": 0}
        for s in shim.slots:
            function, counted = self._slot_function(shim, s, callbacks, strict)
            if function is not None:
                table[s.index] = function
            counts[counted] += 1
        initialised = self._fill_data(shim, argv0)
        self._setup(shim, table)
        return FillReport(shim.library, counts["native"], counts["overridden"],
                          counts["dce_on_host"], counts["trapped"], initialised)

    def _callbacks(self, overrides: dict[str, tuple[str, Callable[..., Any]]]) -> dict[str, Any]:
        """A C callback of each override, by name (kept as long as the session)."""
        callbacks = {}
        for name, (ctype, fn) in overrides.items():
            try:
                cb = self.ffi.callback(ctype, fn)
            except Exception as err:  # cffi's CDefError, FFIError, TypeError
                detail = " ".join(str(err).split())
                raise ShimLoadError(f"override {name}: bad C function type {ctype!r}: "
                                    f"{detail}") from None
            self._keep.append(cb)
            callbacks[name] = cb
        return callbacks

    def _slot_function(self, shim: LoadedShim, s: SlotInfo, callbacks: dict[str, Any],
                       strict: bool) -> tuple[Any, str]:
        """What the slot ``s`` calls (None: nothing, it stays on the shim's trap), and which
        of `FillReport`'s counts it adds to."""
        ffi = self.ffi
        if s.name in callbacks:
            return ffi.cast("void *", callbacks[s.name]), "overridden"
        if s.version is None:
            return None, "trapped"  # a slot kept for DCE's layout: nothing calls it
        if strict and s.cls == "DCE":
            return self._trap(f"{s.label}: a DCE-class function without an override "
                              "(--strict)"), "trapped"
        ptr = self.host_symbol(shim.soname, s.name, s.version)
        if ptr == ffi.NULL:
            return self._trap(f"{s.label}: the host has no such function"), "trapped"
        if s.name in SHARED_STATE:
            ptr = self._in_step(s.name, ptr)
        return ptr, "dce_on_host" if s.cls == "DCE" else "native"

    def _setup(self, shim: LoadedShim, table: Any) -> None:
        """Call ``<lib>_setup`` with the filled table; ShimLoadError when it is missing or
        refuses the table."""
        ffi = self.ffi
        setup = self.C.dlsym(shim.handle, f"{shim.library}_setup".encode())
        if setup == ffi.NULL:
            raise ShimLoadError(f"{shim.path}: no {shim.library}_setup entry")
        result = ffi.cast("const struct elfdce_shim_info *(*)(void *const *, unsigned long)",
                          setup)(table, len(shim.slots))
        if result == ffi.NULL:
            raise ShimLoadError(f"{shim.path}: {shim.library}_setup refused {len(shim.slots)} slots")

    def _trap(self, what: str) -> Any:
        """A function for a slot that must not be called: says which and exits 127."""
        message = f"elfdce run: {what}\n".encode()

        def trap() -> None:
            os.write(2, message)
            os._exit(127)

        cb = self.ffi.callback("void(void)", trap)
        self._keep.append(cb)
        return self.ffi.cast("void *", cb)

    def _shared_pair(self, name: str) -> tuple[Any, Any, int] | None:
        """(namespace address, host address, size) of a shared data object, or None when the
        two are the same storage or either is missing."""
        if name not in self._shared:
            ffi, C = self.ffi, self.C
            pair = None
            if self.program is not None:
                mine = C.dlsym(self.program, name.encode())
                host = C.dlsym(ffi.NULL, name.encode())
                if mine != ffi.NULL and host != ffi.NULL and mine != host:
                    from ..elf import read_elf

                    libc = read_elf(self.host_path("libc.so.6"), relocations=False)
                    sym = libc.lookup(name)
                    if sym is not None and sym.size:
                        pair = (ffi.cast("char *", mine), ffi.cast("char *", host), sym.size)
            self._shared[name] = pair
        return self._shared[name]

    def _in_step(self, name: str, host_fn: Any) -> Any:
        """``host_fn`` wrapped so that the data it shares with the program is the same for both
        (`SHARED_STATE`)."""
        ffi = self.ffi
        ctype, data = SHARED_STATE[name]
        fn = ffi.cast(ctype.replace("(", "(*)(", 1), host_fn)

        def wrapper(*args: Any) -> Any:
            pairs = [p for p in (self._shared_pair(d) for d in data) if p is not None]
            for mine, host, size in pairs:
                ffi.memmove(host, mine, size)
            result = fn(*args)
            for mine, host, size in pairs:
                ffi.memmove(mine, host, size)
            return result

        cb = ffi.callback(ctype, wrapper)
        self._keep.append(cb)
        return ffi.cast("void *", cb)

    def set_program_name(self, argv0: str) -> None:
        """The host libc's program names are the program's (error(), getopt's messages, err())."""
        ffi, C = self.ffi, self.C
        full = ffi.new("char[]", os.fsencode(argv0))
        short = ffi.new("char[]", os.fsencode(os.path.basename(argv0)))
        self._keep += [full, short]
        for name in _PROGRAM_NAME + _PROGRAM_SHORT_NAME:
            where = C.dlsym(ffi.NULL, name.encode())
            if where != ffi.NULL:
                ffi.cast("char **", where)[0] = full if name in _PROGRAM_NAME else short

    def _fill_data(self, shim: LoadedShim, argv0: str | None) -> int:
        from ..elf import read_elf

        ffi = self.ffi
        host_sizes = {}
        for s in read_elf(self.host_path(shim.soname), relocations=False).defined():
            if s.version is not None and s.size:
                host_sizes[(s.name, s.version.name)] = s.size
        if argv0 is not None:
            full = ffi.new("char[]", os.fsencode(argv0))
            short = ffi.new("char[]", os.fsencode(os.path.basename(argv0)))
            self._keep += [full, short]
        done = 0
        for d in shim.data:
            target = ffi.cast("char *", d.address)
            if argv0 is not None and d.name in _PROGRAM_NAME + _PROGRAM_SHORT_NAME:
                value = full if d.name in _PROGRAM_NAME else short
                ffi.cast("char **", target)[0] = value
                done += 1
                continue
            if d.name == "__libc_single_threaded":
                ffi.memmove(target, b"\0" * d.size, d.size)
                done += 1
                continue
            # the definition the base namespace uses: an executable's COPY (Debian's python3
            # copies __environ) holds the live value, the library's own storage a stale one
            host = self.C.dlvsym(ffi.NULL, os.fsencode(d.name), os.fsencode(d.version))
            if host == ffi.NULL:
                host = self.host_symbol(shim.soname, d.name, d.version)
            if host == ffi.NULL:
                continue
            if host_sizes.get((d.name, d.version)) != d.size:
                raise ShimLoadError(
                    f"{shim.path}: {d.name}@{d.version} is {d.size} bytes in the shim but "
                    f"{host_sizes.get((d.name, d.version))} in the host's {shim.soname}: the "
                    "shim was built for another glibc; rebuild it here")
            ffi.memmove(target, ffi.cast("char *", host), d.size)
            done += 1
        return done

    # -- programs --------------------------------------------------------------------------

    def load_program(self, path: str, shown: str | None = None) -> tuple[Any, int]:
        """dlmopen a (DF_1_PIE-free) program into the namespace: (handle, load base).
        ``shown`` is the name errors give (the user's program, not the cached copy)."""
        ffi, C = self.ffi, self.C
        if self.lmid is None:
            raise ShimLoadError("load a shim before the program")
        handle = C.dlmopen(self.lmid, os.fsencode(os.path.abspath(path)), RTLD_NOW)
        if handle == ffi.NULL:
            raise ShimLoadError(f"{shown or path}: cannot be loaded: {self._error()}")
        self.program = handle
        lm = ffi.new("struct elfdce_link_map **")
        if C.dlinfo(handle, RTLD_DI_LINKMAP, lm) != 0:
            raise ShimLoadError(f"{path}: dlinfo failed: {self._error()}")
        return handle, int(lm[0].l_addr)

    def redo_copies(self, program: str, handle: Any, base: int) -> int:
        """Redo the program's COPY relocations that ld.so resolved to the program itself.

        ld.so resolves a COPY relocation to the first definition in the object's scope that is
        not an *executable's*; a dlopened PIE is not one, and its local scope starts with
        itself, so a COPY of data that no shim defines (``typeinfo for std::exception``,
        vtables of libstdc++) copies the program's own zeroed .bss, and a thrown exception then
        crashes in the personality routine. (The shims' data is found right: the namespace's
        global scope, searched first, is the libc shim's.) A copy is redone from the first other
        object of the namespace that defines the symbol (at the version asked), when the
        program's copy is still all zero: data a constructor has written into it already (the
        iostreams libstdc++ builds in place) is kept. Returns the number redone."""
        from ..elf import read_elf
        from ..elf.constants import PT_GNU_RELRO

        ffi, C = self.ffi, self.C
        elf = read_elf(program, relocations=True)
        if elf.relocations is None:
            return 0
        copies = [elf.symbols[r.symbol_index] for r in elf.relocations
                  if elf.relocation_kind(r) == "COPY" and r.symbol_index < len(elf.symbols)]
        if not copies:
            return 0
        relro = [(base + p.vaddr, base + p.vaddr + p.memsz) for p in elf.segments
                 if p.type == PT_GNU_RELRO]  # read-only once relocated
        others = self._other_objects(handle, base)
        if others is None:
            return 0
        redone = 0
        for sym in copies:
            target = ffi.cast("char *", base + sym.value)
            if sym.size == 0 or any(bytes(ffi.buffer(target, sym.size))):
                continue
            for h in others:
                src = (C.dlvsym(h, os.fsencode(sym.name), os.fsencode(sym.version.name))
                       if sym.version is not None else C.dlsym(h, os.fsencode(sym.name)))
                if src != ffi.NULL and int(ffi.cast("uintptr_t", src)) != base + sym.value:
                    self._write_relro(target, ffi.cast("char *", src), sym.size, relro)
                    redone += 1
                    break
        return redone

    def _other_objects(self, handle: Any, base: int) -> list[Any] | None:
        """Handles of the objects of the namespace, in link-map order, but the program (loaded
        at ``base``, ``handle``) and the shims; None when the loader does not say."""
        ffi, C = self.ffi, self.C
        shims = {os.path.realpath(s.path) for s in self.shims}
        others = []
        lm = ffi.new("struct elfdce_link_map **")
        if C.dlinfo(handle, RTLD_DI_LINKMAP, lm) != 0:
            return None
        node = ffi.cast("struct elfdce_link_map *", lm[0])
        while node.l_prev != ffi.NULL:
            node = ffi.cast("struct elfdce_link_map *", node.l_prev)
        while node != ffi.NULL:
            name = ffi.string(node.l_name) if node.l_name != ffi.NULL else b""
            if name and node.l_addr != base and os.path.realpath(os.fsdecode(name)) not in shims:
                h = C.dlmopen(self.lmid, name, RTLD_NOW | RTLD_NOLOAD)
                if h != ffi.NULL:
                    others.append(h)
            node = ffi.cast("struct elfdce_link_map *", node.l_next)
        return others

    def _write_relro(self, target: Any, src: Any, size: int,
                     relro: list[tuple[int, int]]) -> None:
        """memmove into the program, making a RELRO page writable for the time of it."""
        ffi, C = self.ffi, self.C
        addr = int(ffi.cast("uintptr_t", target))
        inside = any(lo <= addr < hi for lo, hi in relro)
        page = os.sysconf("SC_PAGE_SIZE")
        start = addr & ~(page - 1)
        length = ((addr + size + page - 1) & ~(page - 1)) - start
        if inside and C.mprotect(ffi.cast("void *", start), length, 3) != 0:  # READ|WRITE
            raise ShimLoadError("mprotect of the program's RELRO data failed")
        ffi.memmove(target, src, size)
        if inside:
            C.mprotect(ffi.cast("void *", start), length, 1)  # READ

    def call_main(self, address: int, argv: Iterable[str]) -> int:
        """Call ``int main(int, char **, char **)`` at ``address`` with ``argv`` and this
        process's environment."""
        ffi = self.ffi
        args = [ffi.new("char[]", os.fsencode(a)) for a in argv]
        env = [ffi.new("char[]", os.fsencode(f"{k}={v}")) for k, v in os.environ.items()]
        c_argv = ffi.new("char *[]", args + [ffi.NULL])
        c_env = ffi.new("char *[]", env + [ffi.NULL])
        self._keep += [args, env, c_argv, c_env]
        main = ffi.cast("int (*)(int, char **, char **)", address)
        return int(main(len(args), c_argv, c_env))

    def flush(self) -> None:
        """fflush(NULL) in the base namespace, whose stdio the NATIVE slots write through."""
        self.C.fflush(self.ffi.NULL)


def load_overrides(spec: str) -> tuple[dict[str, tuple[str, Callable[..., Any]]], str]:
    """(OVERRIDES, CDEF) of a Python module named ``spec`` (dotted name or a ``.py`` path).

    The module defines ``OVERRIDES = {"getpid": ("int(void)", function), …}`` and, for the
    types those signatures use, ``CDEF`` (cffi declarations). See `elfdce.shim.demo`.
    """
    import importlib
    import importlib.util

    try:
        if spec.endswith(".py") or os.sep in spec:
            if not os.path.isfile(spec):
                raise ShimLoadError(f"overrides {spec}: no such file")
            loader_spec = importlib.util.spec_from_file_location("elfdce_overrides", spec)
            if loader_spec is None or loader_spec.loader is None:
                raise ShimLoadError(f"overrides {spec}: cannot load as a Python module")
            module = importlib.util.module_from_spec(loader_spec)
            loader_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(spec)
    except ShimLoadError:
        raise
    except Exception as err:  # the user's module: anything it raises is its error, one line
        raise ShimLoadError(f"overrides {spec}: {type(err).__name__}: {err}") from None
    overrides = getattr(module, "OVERRIDES", None)
    if not isinstance(overrides, dict):
        raise ShimLoadError(f"overrides {spec}: defines no OVERRIDES dict")
    for name, value in overrides.items():
        if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str)
                and callable(value[1])):
            raise ShimLoadError(f"overrides {spec}: OVERRIDES[{name!r}] is not "
                                "(C function type, function)")
    return overrides, str(getattr(module, "CDEF", ""))


__all__ = ["DataInfo", "FillReport", "LoadedShim", "Session", "ShimLoadError", "SlotInfo",
           "load_overrides"]
