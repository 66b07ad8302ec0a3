"""What a shared library exports, as a version script must describe it: version nodes (with
their parents, empty ones included) and (name, version) pairs, default (``@@``) or compat (``@``).

This is the bridge between the reader and the version-map writers: `from_elf` builds it from a
scanned library; tests build it from random data to check the writers round-trip.
"""

from __future__ import annotations

import re

from .._record import Record
from ..elf.constants import STT_NAMES, STT_OBJECT, STT_TLS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..elf.model import ElfSymbols

_new = tuple.__new__  # a record built by position (elfdce/_record.py)
PRIVATE = "GLIBC_PRIVATE"
# Characters that would end a symbol in GNU as (`;` starts a new statement, `#` a comment,
# `,` `"` and blanks separate operands) or turn a version-script name into a pattern (`*?[]`)
# or a block (`{}`): a name holding one (or an empty name) cannot be written into generated
# assembly or a map.
_UNWRITABLE_CHAR = re.compile(r'[\x00-\x20\x7f";#,(){}\\*?\[\]]')
_NOT_IN_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]")


def c_identifier(text: str) -> str:
    """``text`` with every character a C identifier cannot hold replaced by ``_``."""
    return _NOT_IN_IDENTIFIER.sub("_", text)


def internal_name(name: str, version: str) -> str:
    """The symbol a ``.symver`` directive turns into ``name@[@]version`` (a C identifier)."""
    return f"__elfdce_{name}__{c_identifier(version)}"


def pair_label(name: str, version: str, default: bool) -> str:
    """``name@@version`` for a default pair, ``name@version`` for a compat one."""
    return f"{name}{'@@' if default else '@'}{version}"


def import_label(name: str, version: str | None) -> str:
    """``name@version`` of an import (which asks for a version, not a default), or ``name``."""
    return f"{name}@{version}" if version else name


class VersionNode(Record):
    """A version node: ``name { … } parent;`` (``parent`` None for a root node)."""

    name: str
    parent: str | None


class ExportPair(Record):
    """One exported (name, version) pair with what a replacement needs to define it."""

    name: str
    version: str
    default: bool  # True: name@@version; False: a compat pair, name@version
    kind: str  # FUNC, OBJECT, TLS, GNU_IFUNC, NOTYPE, …
    size: int

    @property
    def label(self) -> str:
        return pair_label(self.name, self.version, self.default)

    @property
    def is_data(self) -> bool:
        return self.kind in ("OBJECT", "TLS", "COMMON")

    @property
    def internal_name(self) -> str:
        """The local symbol a ``.symver`` directive turns into this pair (valid C identifier)."""
        return internal_name(self.name, self.version)


class ExportSet(Record):
    """Everything one library exports: its soname, version nodes in order, and pairs.

    ``unversioned`` names exports without a version (versym 1): a version script with
    ``local: *`` cannot keep them, so writers report them. glibc's libraries have none.
    An abilist does not say which version of a name is the default: a set read from one takes
    each name's newest version as the default and says so in ``defaults_known``.
    """

    soname: str | None
    nodes: tuple[VersionNode, ...]
    pairs: tuple[ExportPair, ...]
    unversioned: tuple[str, ...] = ()
    defaults_known: bool = True  # False when read from an abilist, which has no @/@@
    machine: str | None = None  # the ELF file's e_machine as readelf names it; None: an abilist

    def check_expressible(self) -> None:
        """Raise ValueError for what a GNU ld version script cannot reproduce: a name with a
        character the assembler or ld would read as syntax (or an empty one), an export named
        like a version node (ld's marker symbol takes the name), two pairs whose ``.symver``
        internal names collide, a node whose parent is not a node."""
        names = [p.name for p in self.pairs] + [n.name for n in self.nodes]
        # One scan of all the names run together finds any bad character (a tenth of the
        # time of a search per name on libc); only then is each name looked at.
        if "" in names or _UNWRITABLE_CHAR.search("".join(names)):
            bad = sorted({repr(n) for n in names if not n or _UNWRITABLE_CHAR.search(n)})
            raise ValueError(f"names no assembler or version script can hold: "
                             f"{', '.join(bad[:10])}{' …' if len(bad) > 10 else ''}")
        nodes = {n.name for n in self.nodes}
        clash = sorted({p.name for p in self.pairs} & nodes)
        if clash:
            raise ValueError(f"exports named like version nodes: {', '.join(clash)}")
        internal: dict[str, ExportPair] = {}
        for p in self.symver_pairs():
            other = internal.setdefault(p.internal_name, p)
            if other is not p:
                raise ValueError(f"{p.label} and {other.label} need the same internal name")
        orphans = sorted(n.name for n in self.nodes if n.parent and n.parent not in nodes)
        if orphans:
            raise ValueError(f"version nodes whose parent is missing: {', '.join(orphans)}")

    def symver_pairs(self) -> tuple[ExportPair, ...]:
        """The pairs that need a ``.symver`` directive.

        A version script binds a plain definition to the one node that lists its name. A name
        that is also exported at another version (a compat pair, or several) must be listed in
        each of those nodes, and then every one of its pairs, the default included, has to come
        from ``.symver internal, name@[@]VERSION`` (GNU ld drops a plain symbol matched by two
        nodes, and with ``local: *`` drops an ``@VER`` alias whose name the node does not list).
        """
        multi = names_needing_symver(self.pairs)
        return tuple(p for p in self.pairs if p.name in multi)

    def without_private(self) -> ExportSet:
        """The same set without the GLIBC_PRIVATE node and its pairs."""
        private = {n.name: n.parent for n in self.nodes if n.name == PRIVATE}
        return self._replace(
            # a node inheriting from GLIBC_PRIVATE inherits from its parent instead
            nodes=tuple(
                n._replace(parent=private[n.parent]) if n.parent in private else n
                for n in self.nodes if n.name != PRIVATE
            ),
            pairs=tuple(p for p in self.pairs if p.version != PRIVATE),
        )


def names_needing_symver(pairs: tuple[ExportPair, ...]) -> set[str]:
    """The names a version script alone cannot give their versions: those with several
    versions, or with compat versions only (each needs a ``.symver``)."""
    seen: set[str] = set()
    out: set[str] = set()
    for p in pairs:
        if not p.default or p.name in seen:
            out.add(p.name)
        seen.add(p.name)
    return out


def from_elf(elf: ElfSymbols) -> ExportSet:
    """The export set of a scanned library: its non-base version definitions, in file order,
    and every defined, visible, versioned symbol other than the version-node markers."""
    nodes = tuple(
        VersionNode(d.name, d.parents[0] if d.parents else None)
        for d in elf.version_defs
        if not d.is_base
    )
    pairs = []
    unversioned = []
    seen: set[tuple[str, str]] = set()
    for s in elf.exports():
        v = s.version
        if v is None:
            unversioned.append(s.name)
            continue
        if v.needed_from is not None:
            continue  # COPY-relocated data of a program: not the file's own export
        key = (s.name, v.name)
        if key in seen:
            continue  # name@V and name@@V both: one pair (ld cannot make both; glibc has none)
        seen.add(key)
        t = s.type
        # by position (`_new`): a shim build reads two libcs (benchmarks/run.py --only shim)
        pairs.append(_new(ExportPair, (*key, not v.hidden, STT_NAMES.get(t) or str(t),
                                       s.size if t in (STT_OBJECT, STT_TLS) else 0)))
    return ExportSet(elf.soname, nodes, tuple(pairs), tuple(unversioned),
                     machine=elf.header.machine_name)
