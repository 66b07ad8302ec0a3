"""Version maps and link-time glue for DCE's five libraries, and the check of what they export.

DCE links each library from plain definitions with a version script. A script alone cannot say
which version of a name is the default: GNU ld binds a plain definition whose name several
nodes list to the *first* of them (``pthread_create@@GLIBC_2.2.5`` instead of
``@@GLIBC_2.34``), silently, and drops an ``@VER`` alias whose node does not list the name. So
the map lists every host pair in its node (the `exact` style), and the glue defines each pair of
a name that has several versions, or only compat ones, explicitly, as symbols named
``pthread_create@@GLIBC_2.34`` added (objcopy ``--add-symbol``) to a copy of the object that
defines the target, at the target's address: the form GNU as gives ``.symver``, which every
linker in Debian 11 … sid links (GNU ld 2.35 … 2.47, lld). A linker-script assignment
(``"pthread_create@@GLIBC_2.34" = pthread_create;``) did the same with GNU ld 2.35 … 2.44, but
ld 2.47.50 aborts on any assignment to a default-versioned name (``BFD internal error … in
_bfd_elf_link_assign_sym_version``) and lld exports its literal name. ld then exports exactly
those pairs and nothing at the first node; a name with a single default pair is left to the map.
An added pair keeps its target's type, not its size (so data with several versions is defined by
``.symver`` storage, `emit.data_source`).
"""

from __future__ import annotations

from .._record import Record
from ..elf import read_static_symbols_and_sections
from ..elf.constants import STB_GLOBAL, STB_WEAK, STT_FUNC, STT_GNU_IFUNC, STT_OBJECT
from ..exports import ExportSet, names_needing_symver, pair_label
from ..glibc.libs import is_version_placeholder

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..elf import ElfSymbols
    from .complete import Completion

_BINDS = (STB_GLOBAL, STB_WEAK)


def object_definitions(path: str) -> tuple[frozenset[str], dict[str, tuple[str, int, int]]]:
    """The global and weak names the relocatable object ``path`` defines (``name@VER``
    included), and where each one defined in a section is: (section name, value, type)."""
    symbols, sections = read_static_symbols_and_sections(path)
    names: set[str] = set()
    placed: dict[str, tuple[str, int, int]] = {}
    for s in symbols:
        if s.is_defined and s.bind in _BINDS and s.name:
            names.add(s.name)
            if 0 < s.shndx < len(sections):
                placed.setdefault(s.name, (sections[s.shndx].name, s.value, s.type))
    return frozenset(names), placed


def defined_names(objects: Iterable[str]) -> frozenset[str]:
    """The global and weak names the relocatable ``objects`` define (``name@VER`` included)."""
    return frozenset().union(*(object_definitions(path)[0] for path in objects))


def glue_pairs(defined: frozenset[str], exports: ExportSet, completion: Completion,
               library: str) -> tuple[tuple[str, str], ...]:
    """The pairs the glue defines for the library ``library`` (a key: ``libc``), given the
    names its objects define: each ``(label, target)``, e.g.
    ``("pthread_create@@GLIBC_2.34", "pthread_create")``."""
    # Only the entries added for this library's pairs: every library's objects define every
    # entry (DCE shares one table), and an entry made for glibc 2.31 libpthread's compat
    # siglongjmp@GLIBC_2.2.5 would give libc, where DCE's plain siglongjmp is the default
    # pair, a second siglongjmp@@GLIBC_2.2.5 ("multiple definition").
    idents = {(e.name, e.version): e.ident for e in completion.entries
              if library in e.libraries}
    versioned = {n.split("@", 1)[0] for n in defined if "@" in n}
    need_symver = names_needing_symver(exports.pairs)
    out = []
    for p in exports.pairs:
        if p.name in versioned:
            continue  # the objects define its pairs themselves (.symver)
        ident = idents.get((p.name, p.version))
        if ident is not None and ident in defined:
            target = ident
        elif p.name in defined and p.name in need_symver:
            target = p.name
        else:
            continue
        out.append((p.label, target))
    return tuple(out)


_OBJCOPY_TYPES = {STT_FUNC: ",function", STT_OBJECT: ",object", STT_GNU_IFUNC: ",indirect-function"}


def objcopy_glue_arguments(where: dict[str, tuple[str, int, int]],
                           pairs: Iterable[tuple[str, str]]) -> list[str]:
    """The ``objcopy`` options that add to an object each glue pair whose target it defines in
    one of its sections (``where``, from `object_definitions`):
    ``--add-symbol LABEL=SECTION:VALUE,global,TYPE``."""
    args = []
    plain = set()
    for label, target in pairs:
        if target in where:
            section, value, typ = where[target]
            args += ["--add-symbol",
                     f"{label}={section}:{value:#x},global{_OBJCOPY_TYPES.get(typ, '')}"]
            if label.split("@", 1)[0] == target:
                plain.add(target)
    # the plain definition of a name the glue versions is made local, as glibc never defines
    # one: GNU ld gives a weak plain one (DCE_WITH_ALIAS) the first node listing it as a second
    # default; plain references still bind, to the @@ pair
    for name in sorted(plain):
        args += ["--localize-symbol", name]
    return args


class ExportCheck(Record):
    """How a built replacement's exports compare with the host library's."""

    path: str
    exported: int  # pairs it exports that the host has
    defaults: int
    compat: int
    missing: tuple[str, ...]  # host pairs of names it defines that it does not export right
    not_defined: tuple[str, ...]  # host pairs it does not export at all (names it lacks)
    extra: tuple[str, ...]  # pairs the host does not have (NS3 setup entries left out)
    double_defaults: tuple[str, ...]  # names with two @@ versions

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.double_defaults)


def check_exports(built: ElfSymbols, host: ExportSet, own_node: str = "NS3") -> ExportCheck:
    """Compare ``built`` (a replacement) with its ``host`` library: every host pair of each name
    it exports must be there with the host's ``@``/``@@``; no name may have two defaults."""
    mine = {(p.name, p.version): p.default for p in _exports(built)}
    names = {n for n, _ in mine}
    missing: list[str] = []
    not_defined: list[str] = []
    exported = defaults = 0
    for p in host.pairs:
        if is_version_placeholder(p.name):
            continue  # a >= 2.34 stub's hidden marker, not an interface
        got = mine.get((p.name, p.version))
        if got is None:
            (missing if p.name in names else not_defined).append(p.label)
        elif got != p.default:
            missing.append(f"{p.label} (exported as {'@@' if got else '@'})")
        else:
            exported += 1
            defaults += p.default
    host_pairs = {(p.name, p.version) for p in host.pairs}
    extra = sorted(pair_label(n, v, d) for (n, v), d in mine.items()
                   if (n, v) not in host_pairs and v != own_node)
    count: dict[str, int] = {}
    for (n, _v), d in mine.items():
        count[n] = count.get(n, 0) + d
    doubles = sorted(n for n, c in count.items() if c > 1)
    return ExportCheck(built.path, exported, defaults, exported - defaults, tuple(missing),
                       tuple(not_defined), tuple(extra), tuple(doubles))


def _exports(elf: ElfSymbols) -> Iterable:
    from ..exports import from_elf

    return from_elf(elf).pairs
