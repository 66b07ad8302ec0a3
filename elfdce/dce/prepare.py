"""``elfdce dce prepare``: the edits to a DCE tree, shown, applied, undone and checked.

Every edit is computed from the tree's *original* files (kept byte for byte under
``elfdce_dce/orig/`` at the first prepare), so preparing again changes nothing, `undo` restores
the originals exactly, and `check` compares the tree with what prepare would make of it now.
Edits are small insertions (one line replaced in the wscript), each marked ``elfdce dce prepare``.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil

from .._record import Record
from ..fsutil import write_atomic
from .tree import ELFDCE_DIR, DceTree, TreeError, open_tree

MARK = "elfdce dce prepare"
MANIFEST = "manifest.json"
ORIG = "orig"


class Edit(Record):
    """One edit: at the first line matching ``anchor`` (multi-line regex), insert ``text``
    before or after it, or replace it. ``{indent}`` is the anchor's first group."""

    file: str
    purpose: str  # for the error when the anchor is missing
    anchor: str
    action: str  # "before", "after", "replace"
    text: str
    last: bool = False  # the last match instead of the first


EDITS = (
    Edit("wscript", "an `import ns3waf` line", r"^import ns3waf[ \t]*$", "after",
         f"import elfdce_dce  # {MARK}: DCE's glibc-specific build steps"),
    Edit("wscript", "configure's `conf.env.GLIBC_INSTALL_DIR = ...` (mandatory --with-glibc)",
         r"^([ \t]*)conf\.env\.GLIBC_INSTALL_DIR\s*=.*$", "before",
         f"{{indent}}elfdce_dce.configure(conf)  # {MARK}: the host's glibc unless --with-glibc"),
    Edit("wscript", "the `extra_cflags_root = [...]` list (the custom-glibc flags)",
         r"^([ \t]*)extra_cflags_root\s*=\s*\[[^\]]*\][ \t]*$", "after",
         f"{{indent}}extra_cflags_root = elfdce_dce.sysroot_flags(bld, extra_cflags_root)  # {MARK}"),
    Edit("wscript", "the rule running dcemakeversion",
         r"^([ \t]*)rule\s*=\s*'\$\{SRC\[0\]\.abspath\(\)\}[^\n]*\)[ \t]*$", "replace",
         f"{{indent}}rule=elfdce_dce.version_rule, always=True)  # {MARK}: maps from the host"),
    Edit("wscript", "the libdl-ns3 library (`-soname=libdl.so.2`)",
         r"^([ \t]*)bld\.shlib\((?:(?!\n[ \t]*bld\.)[\s\S])*?-soname=libdl\.so\.2[^\n]*$", "after",
         f"{{indent}}elfdce_dce.attach(bld)  # {MARK}: the host's other pairs, glue, checks"),
    Edit("model/libc-ns3.h", "the `#undef DCE` after the table", r"^#undef DCE[ \t]*$", "before",
         f"#ifndef ELFDCE_NO_HOST_TABLE /* {MARK}: the host's other pairs */\n"
         f'#include "../{ELFDCE_DIR}/gen/libc-ns3-host.h"\n#endif'),
    Edit("model/elf-cache.cc", "`namespace ns3 {`", r"^namespace ns3\s*\{", "before",
         'extern "C" void elfdce_patch_loaded_copy (unsigned char *image, unsigned long size);'
         f" // {MARK}"),
    Edit("model/elf-cache.cc", "the `EditBuffer (buffer, ...)` call in EditFile",
         r"^([ \t]*)[^\n]*=\s*EditBuffer\s*\(\s*buffer\s*,[^\n]*$", "after",
         f"{{indent}}elfdce_patch_loaded_copy (buffer, size); // {MARK}: DF_1_PIE, STB_GNU_UNIQUE"),
)


def apply_edits(rel: str, text: str, path: str) -> str:
    """``text`` (the original of ``rel``) with its edits applied; TreeError for a missing anchor."""
    for e in EDITS:
        if e.file != rel:
            continue
        matches = list(re.finditer(e.anchor, text, re.M))
        if not matches:
            raise TreeError(f"{path}: not a DCE tree elfdce knows: no {e.purpose}")
        m = matches[-1] if e.last else matches[0]
        indent = m.group(1) if m.groups() else ""
        new = e.text.replace("{indent}", indent)
        if e.action == "before":
            text = text[: m.start()] + new + "\n" + text[m.start():]
        elif e.action == "after":
            text = text[: m.end()] + "\n" + new + text[m.end():]
        else:
            text = text[: m.start()] + new + text[m.end():]
    return text


def loader_source() -> str:
    """``elfdce_dce/__init__.py``: what the prepared wscript imports; finds elfdce."""
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return (
        f'"""Written by {MARK}: the glibc-specific steps of DCE\'s build, done by elfdce."""\n'
        "import sys\n\n"
        f"ELFDCE_PATH = {here!r}  # where elfdce was when the tree was prepared\n"
        "try:\n"
        "    import elfdce.dce.waf\n"
        "except ImportError:\n"
        "    sys.path.insert(0, ELFDCE_PATH)\n"
        "    import elfdce.dce.waf\n"
        "from elfdce.dce.waf import attach, configure, sysroot_flags, version_rule  # noqa: F401\n"
    )


class Plan(Record):
    """What prepare makes of a tree: original and new bytes of each edited file."""

    tree: DceTree
    originals: dict[str, bytes]
    edited: dict[str, bytes]
    loader: bytes
    prepared: bool  # the tree has elfdce's manifest


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def plan(root: str) -> Plan:
    """The edits for the tree at ``root``, from its originals (the backups once prepared)."""
    tree = open_tree(root)
    files = sorted({e.file for e in EDITS})
    manifest = os.path.join(tree.elfdce_dir, MANIFEST)
    prepared = os.path.isfile(manifest)
    originals = {}
    for rel in files:
        backup = os.path.join(tree.elfdce_dir, ORIG, rel)
        if prepared:
            if not os.path.isfile(backup):
                raise TreeError(f"{backup}: elfdce's copy of the original is missing")
            originals[rel] = _read(backup)
        else:
            data = _read(os.path.join(tree.root, rel))
            if MARK.encode() in data:
                raise TreeError(f"{os.path.join(tree.root, rel)}: has elfdce's edits but "
                                f"{manifest} is missing: restore the file first")
            originals[rel] = data
    edited = {}
    for rel, data in originals.items():
        text = data.decode("utf-8", "surrogateescape")
        edited[rel] = apply_edits(rel, text, os.path.join(tree.root, rel)).encode(
            "utf-8", "surrogateescape")
    return Plan(tree, originals, edited, loader_source().encode(), prepared)


def diff(p: Plan) -> str:
    """The unified diff prepare applies to the tree (generated files under gen/ not shown)."""
    out: list[str] = []
    for rel in sorted(p.edited):
        current = _read(os.path.join(p.tree.root, rel))
        if current == p.edited[rel]:
            continue
        a = current.decode("utf-8", "surrogateescape").splitlines(keepends=True)
        b = p.edited[rel].decode("utf-8", "surrogateescape").splitlines(keepends=True)
        out.extend(difflib.unified_diff(a, b, f"a/{rel}", f"b/{rel}"))
    loader = os.path.join(ELFDCE_DIR, "__init__.py")
    if not p.prepared:
        b = p.loader.decode().splitlines(keepends=True)
        out.extend(difflib.unified_diff([], b, "/dev/null", f"b/{loader}"))
    return "".join(out)


def apply(p: Plan) -> list[str]:
    """Apply the plan: backups and manifest first (so undo always works), then the edits.
    Returns the edited files that changed."""
    root = p.tree.root
    if not p.prepared:
        os.makedirs(os.path.join(p.tree.elfdce_dir, ORIG), exist_ok=True)
        modes = {}
        for rel, data in p.originals.items():
            backup = os.path.join(p.tree.elfdce_dir, ORIG, rel)
            os.makedirs(os.path.dirname(backup), exist_ok=True)
            mode = os.stat(os.path.join(root, rel)).st_mode & 0o7777
            write_atomic(backup, data, mode)
            modes[rel] = mode
        write_atomic(os.path.join(p.tree.elfdce_dir, "__init__.py"), p.loader)
        manifest = {"schema_version": 1, "edited": sorted(p.originals), "modes": modes}
        write_atomic(os.path.join(p.tree.elfdce_dir, MANIFEST),
                     (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())
    elif _read(os.path.join(p.tree.elfdce_dir, "__init__.py")) != p.loader:
        write_atomic(os.path.join(p.tree.elfdce_dir, "__init__.py"), p.loader)
    changed = []
    for rel, data in p.edited.items():
        path = os.path.join(root, rel)
        if _read(path) != data:
            write_atomic(path, data, os.stat(path).st_mode & 0o7777)
            changed.append(rel)
    return changed


def undo(root: str) -> list[str]:
    """Restore the original files byte for byte and remove ``elfdce_dce/``. Returns the
    restored files (none when the tree was not prepared)."""
    tree = open_tree(root)
    manifest_path = os.path.join(tree.elfdce_dir, MANIFEST)
    if not os.path.isfile(manifest_path):
        return []
    try:
        with open(manifest_path, encoding="utf-8") as f:
            manifest = json.load(f)
        edited = [str(r) for r in manifest["edited"]]
        modes = {str(k): int(v) for k, v in manifest.get("modes", {}).items()}
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise TreeError(f"{manifest_path}: unreadable ({err})") from None
    for rel in edited:
        backup = os.path.join(tree.elfdce_dir, ORIG, rel)
        if not os.path.isfile(backup):
            raise TreeError(f"{backup}: elfdce's copy of the original is missing")
    for rel in edited:
        path = os.path.join(tree.root, rel)
        write_atomic(path, _read(os.path.join(tree.elfdce_dir, ORIG, rel)),
                     modes.get(rel, os.stat(path).st_mode & 0o7777))
    shutil.rmtree(tree.elfdce_dir)
    return edited


def check_edits(p: Plan) -> list[str]:
    """Why the tree's files are not what prepare makes of them (empty: they are)."""
    if not p.prepared:
        return [f"{p.tree.root}: not prepared (no {ELFDCE_DIR}/{MANIFEST})"]
    out: list[str] = []
    for rel, data in p.edited.items():
        if _read(os.path.join(p.tree.root, rel)) != data:
            out.append(f"{rel}: differs from what prepare writes")
    if _read(os.path.join(p.tree.elfdce_dir, "__init__.py")) != p.loader:
        out.append(f"{ELFDCE_DIR}/__init__.py: differs from what prepare writes")
    return out
