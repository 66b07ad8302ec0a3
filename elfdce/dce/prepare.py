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
    before or after it, or replace it. ``{indent}`` is the anchor's first group, ``{NAME}`` its
    group ``NAME``. An ``optional`` edit whose anchor (or file) a tree lacks is left out and
    reported; a missing required one refuses the tree."""

    file: str
    purpose: str  # for the error when the anchor is missing
    anchor: str
    action: str  # "before", "after", "replace"
    text: str
    last: bool = False  # the last match instead of the first
    optional: bool = False


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
         f"{{indent}}rule=elfdce_dce.version_rule)  # {MARK}: maps from the host"),
    Edit("wscript", "the libdl-ns3 library (`-soname=libdl.so.2`)",
         r"^([ \t]*)bld\.shlib\((?:(?!\n[ \t]*bld\.)[\s\S])*?-soname=libdl\.so\.2[^\n]*$", "after",
         f"{{indent}}elfdce_dce.attach(bld)  # {MARK}: the host's other pairs, glue, checks"),
    Edit("model/libc-ns3.h", "the `#undef DCE` after the table", r"^#undef DCE[ \t]*$", "before",
         f"#ifndef ELFDCE_NO_HOST_TABLE /* {MARK}: the host's other pairs */\n"
         f'#include "../{ELFDCE_DIR}/gen/libc-ns3-host.h"\n#endif'),
    Edit("model/elf-cache.cc", "`namespace ns3 {`", r"^namespace ns3\s*\{", "before",
         'extern "C" void elfdce_patch_loaded_copy (unsigned char *image, unsigned long size, '
         f"const char *name); // {MARK}"),
    Edit("model/elf-cache.cc", "the `EditBuffer (buffer, ...)` call in EditFile",
         r"^([ \t]*)[^\n]*=\s*EditBuffer\s*\(\s*buffer\s*,[^\n]*$", "after",
         f"{{indent}}elfdce_patch_loaded_copy (buffer, size, filename.c_str ()); // {MARK}: "
         "DF_1_PIE, STB_GNU_UNIQUE; what DCE cannot load"),
    Edit("model/dce-manager.cc", "the lookup of `main` in LoadMain",
         r'^([ \t]*)(?P<main>\w+)\s*=\s*[^\n;]*Lookup\s*\(\s*(?P<handle>\w+)\s*,\s*"main"\s*\)'
         r"\s*;[ \t]*$", "after",
         # the process DCE's libc setup filled: on exec, LoadMain's `proc` is a stand-in
         f"{{indent}}ELFDCE_PROGRAM_LOADED ({{handle}}, Current ()->process, {{main}}); // {MARK}: "
         "main without -rdynamic; the program's COPY-relocated data", optional=True),
    # a defect of DCE's own (not glibc's), on the way of every program that forks: deleting a
    # fork child's fiber left its thread's `next` on the freed fiber; at the simulation's end
    # the parent's thread jumped into it (busybox httpd: SIGSEGV)
    Edit("model/pthread-fiber-manager.cc", "the last-fiber branch of PthreadFiberManager::Delete",
         r"^[ \t]*if \(fiber->state != DESTROY && fiber->thread->thread_started\)[ \t]*\n"
         r"[ \t]*\{[ \t]*\n([ \t]*)fiber->state = DESTROY;[ \t]*$", "after",
         f"{{indent}}fiber->thread->next = fiber; // {MARK}: DCE's defect, not glibc's: no freed "
         "fork child", optional=True),
    Edit("model/libc-dce.cc", "the `vsnprintf_fn` assignment at the end of libc_dce",
         r"^([ \t]*)\(\*libc\)->vsnprintf_fn\s*=[^\n]*;[ \t]*$", "after",
         f"{{indent}}ELFDCE_ROUTE_OVERRIDES (*libc); // {MARK}: socket's SOCK_CLOEXEC, "
         "SOCK_NONBLOCK", optional=True),
    # glibc 2.42 removed <termio.h>; it only ever included these two headers, and DCE uses
    # struct termios alone (dce-termio.cc)
    Edit("model/dce-termio.h", "its `#include <termio.h>`", r"^#include\s*<termio\.h>[^\n]*$",
         "replace", f"#include <termios.h> // {MARK}: <termio.h>'s own content (gone in glibc "
         "2.42)\n#include <sys/ioctl.h>", optional=True),
    Edit("model/libc-dce.cc", "its `#include <termio.h>`", r"^#include\s*<termio\.h>[^\n]*$",
         "replace", f"#include <termios.h> // {MARK}: <termio.h>'s own content (gone in glibc "
         "2.42)\n#include <sys/ioctl.h>", optional=True),
    # not glibc's: Python 3.13 removed `pipes`, which DCE's waf tool imports for a fallback only
    # Python < 3.3 takes; without the edit `./waf configure` fails under Debian 13's Python
    Edit("waf-tools/clang_compilation_database.py", "its `import ..., pipes` line",
         r"^import (?P<mods>[\w, ]*?),\s*pipes[ \t]*$", "replace",
         f"import {{mods}}  # {MARK}: no `pipes` (gone in Python 3.13; only Python < 3.3 used it)",
         optional=True),
    Edit("model/libc.cc", "the `#include \"libc-ns3.h\"` of the trampolines",
         r'^#include\s+"libc-ns3\.h"[^\n]*$', "before",
         f"#ifndef ELFDCE_NO_HOST_TABLE /* {MARK}: trampolines that jump, copying no frame */\n"
         f'#include "../{ELFDCE_DIR}/gen/trampolines.h"\n#endif', optional=True),
    Edit("model/libc.cc", "DCE's `__sprintf_chk (char *, int len, const char *, ...)`",
         r"^int\s+__sprintf_chk\s*\(\s*char\s*\*\s*(?P<s>\w+)\s*,\s*int\s+(?P<len>\w+)\s*,"
         r"\s*const\s+char\s*\*\s*(?P<f>\w+)\s*,\s*\.\.\.\s*\)[ \t]*$", "replace",
         "int __sprintf_chk (char *{s}, int elfdce_flag, size_t {len}, const char *{f}, ...) "
         f"// {MARK}: glibc's signature (s, flag, slen, format)", optional=True),
)


def apply_edits(rel: str, text: str, path: str, left_out: list[str] | None = None) -> str:
    """``text`` (the original of ``rel``) with its edits applied; TreeError for a missing
    anchor of a required edit; the purposes of optional ones left out go to ``left_out``."""
    for e in EDITS:
        if e.file != rel:
            continue
        matches = list(re.finditer(e.anchor, text, re.M))
        if not matches:
            if e.optional:
                if left_out is not None:
                    left_out.append(f"{rel}: no {e.purpose}")
                continue
            raise TreeError(f"{path}: not a DCE tree elfdce knows: no {e.purpose}")
        m = matches[-1] if e.last else matches[0]
        new = e.text.replace("{indent}", m.group(1) if m.groups() else "")
        for name, value in m.groupdict().items():
            new = new.replace("{" + name + "}", value or "")
        if e.action == "before":
            text = text[: m.start()] + new + "\n" + text[m.start():]
        elif e.action == "after":
            text = text[: m.end()] + "\n" + new + text[m.end():]
        else:
            text = text[: m.start()] + new + text[m.end():]
    return text


def elfdce_identity() -> dict[str, str]:
    """This elfdce: its version, where it is (the directory holding the package) and a digest
    of its code, as recorded in the manifest by each prepare (read once a process: the code
    does not change under it)."""
    if not _IDENTITY:
        import hashlib

        from .. import __version__

        package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        h = hashlib.sha256()
        for d, dirs, files in os.walk(package):
            dirs[:] = sorted(x for x in dirs if x != "__pycache__")
            for name in sorted(files):
                if name.endswith((".py", ".c", ".h", ".s", ".json", ".version", ".tsv")):
                    path = os.path.join(d, name)
                    h.update(os.path.relpath(path, package).encode() + b"\0")
                    h.update(_read(path))
        _IDENTITY.update(version=__version__, path=os.path.dirname(package),
                         digest=h.hexdigest()[:12])
    return dict(_IDENTITY)


_IDENTITY: dict[str, str] = {}


def describe_identity(who: dict[str, str]) -> str:
    """``elfdce 0.1.0 (code 3f2a…) at /path``."""
    return f"elfdce {who.get('version', '?')} (code {who.get('digest', '?')}) at {who.get('path', '?')}"


def loader_source() -> str:
    """``elfdce_dce/__init__.py``: what the prepared wscript imports; finds elfdce the way a
    user expects after recreating a venv or upgrading elfdce: the interpreter running waf, then
    the interpreter of the ``elfdce`` on PATH, then where elfdce was at the last prepare (in
    manifest.json). The same for every installation of one elfdce version."""
    from .. import __version__

    return (
        f'"""Written by {MARK}: the glibc-specific steps of DCE\'s build, done by elfdce."""\n'
        "import json\nimport os\nimport shutil\nimport subprocess\nimport sys\n\n"
        f"ELFDCE_VERSION = {__version__!r}  # the elfdce that wrote this file\n\n\n"
        "def _elfdce_dirs():\n"
        "    script = shutil.which('elfdce')\n"
        "    if script:\n"
        "        try:\n"
        "            with open(script, 'rb') as f:\n"
        "                first = f.readline().decode(errors='replace')\n"
        "            if first.startswith('#!'):\n"
        "                ask = 'import elfdce, os; print(os.path.dirname(os.path.dirname(elfdce.__file__)))'\n"
        "                got = subprocess.run([first[2:].split()[0], '-c', ask], capture_output=True,\n"
        "                                     text=True, timeout=60)\n"
        "                if got.returncode == 0 and got.stdout.strip():\n"
        "                    yield got.stdout.strip()\n"
        "        except (OSError, IndexError, subprocess.SubprocessError):\n"
        "            pass\n"
        "    try:\n"
        "        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'manifest.json')) as f:\n"
        "            yield json.load(f)['prepared_by']['path']\n"
        "    except (OSError, ValueError, KeyError, TypeError):\n"
        "        pass\n\n\n"
        "def _forget_elfdce():\n"
        "    # a failed import leaves the package half imported: the next place imports it afresh\n"
        "    for name in [m for m in sys.modules if m == 'elfdce' or m.startswith('elfdce.')]:\n"
        "        del sys.modules[name]\n\n\n"
        "try:\n"
        "    import elfdce.dce.waf\n"
        "except ImportError as _missing:\n"
        "    if not (_missing.name or '').startswith('elfdce'):\n"
        "        raise  # elfdce is here; something it needs is not\n"
        "    _forget_elfdce()\n"
        "    _failed = []\n"
        "    for _dir in _elfdce_dirs():\n"
        "        sys.path.insert(0, _dir)\n"
        "        try:\n"
        "            import elfdce.dce.waf\n"
        "            break\n"
        "        except ImportError as _err:\n"
        "            sys.path.remove(_dir)\n"
        "            _forget_elfdce()\n"
        "            if not (_err.name or '').startswith('elfdce'):\n"
        "                _failed.append('the elfdce in %s: %s' % (_dir, _err))\n"
        "    else:\n"
        "        raise ImportError('elfdce is not importable by this Python, nor by the `elfdce` on PATH, '\n"
        "                          'nor where the last `elfdce dce prepare` ran (elfdce_dce/manifest.json): '\n"
        "                          'install elfdce, or run waf with the Python that has it'\n"
        "                          + ''.join('; ' + f for f in _failed))\n"
        "from elfdce.dce.waf import attach, configure, sysroot_flags, version_rule  # noqa: E402,F401\n"
    )


class Plan(Record):
    """What prepare makes of a tree: original and new bytes of each edited file."""

    tree: DceTree
    originals: dict[str, bytes]
    edited: dict[str, bytes]
    loader: bytes
    prepared: bool  # the tree has elfdce's manifest
    unbacked: tuple[str, ...]  # files edited now whose originals elfdce has not kept yet
    left_out: tuple[str, ...]  # optional edits this tree has no anchor (or file) for


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _original(tree: DceTree, rel: str, prepared: bool) -> tuple[bytes, bool] | None:
    """The original bytes of ``rel`` and whether elfdce keeps them already; None when the tree
    has no such file."""
    backup = os.path.join(tree.elfdce_dir, ORIG, rel)
    if prepared and os.path.isfile(backup):
        return _read(backup), True
    path = os.path.join(tree.root, rel)
    if not os.path.isfile(path):
        if prepared and any(e.file == rel and not e.optional for e in EDITS):
            raise TreeError(f"{backup}: elfdce's copy of the original is missing")
        return None
    data = _read(path)
    if MARK.encode() in data:
        where = backup if prepared else os.path.join(tree.elfdce_dir, MANIFEST)
        raise TreeError(f"{path}: has elfdce's edits but {where} is missing: restore the file "
                        "first")
    return data, False


def plan(root: str) -> Plan:
    """The edits for the tree at ``root``, from its originals (the backups once prepared)."""
    tree = open_tree(root)
    manifest = os.path.join(tree.elfdce_dir, MANIFEST)
    prepared = os.path.isfile(manifest)
    originals: dict[str, bytes] = {}
    unbacked = []
    left_out: list[str] = []
    for rel in sorted({e.file for e in EDITS}):
        found = _original(tree, rel, prepared)
        if found is None:
            if all(e.optional for e in EDITS if e.file == rel):
                left_out.append(f"{rel}: no such file")
                continue
            raise TreeError(f"{os.path.join(tree.root, rel)}: not a DCE tree elfdce knows: "
                            "missing")
        originals[rel], kept = found
        if not kept:
            unbacked.append(rel)
    edited = {}
    for rel, data in originals.items():
        text = data.decode("utf-8", "surrogateescape")
        edited[rel] = apply_edits(rel, text, os.path.join(tree.root, rel), left_out).encode(
            "utf-8", "surrogateescape")
    for rel in [r for r in unbacked if edited[r] == originals[r]]:
        unbacked.remove(rel)  # nothing to edit in it here: not kept, not restored
        del originals[rel], edited[rel]
    return Plan(tree, originals, edited, loader_source().encode(), prepared, tuple(unbacked),
                tuple(left_out))


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
    manifest_path = os.path.join(p.tree.elfdce_dir, MANIFEST)
    if p.unbacked:
        manifest = _read_manifest(manifest_path) if p.prepared else {"edited": [], "modes": {}}
        modes = dict(manifest["modes"])
        for rel in p.unbacked:
            backup = os.path.join(p.tree.elfdce_dir, ORIG, rel)
            os.makedirs(os.path.dirname(backup), exist_ok=True)
            mode = os.stat(os.path.join(root, rel)).st_mode & 0o7777
            write_atomic(backup, p.originals[rel], mode)
            modes[rel] = mode
        edited = sorted(set(manifest["edited"]) | set(p.unbacked))
        if not p.prepared:
            write_atomic(os.path.join(p.tree.elfdce_dir, "__init__.py"), p.loader)
        _write_manifest(manifest_path, {"edited": edited, "modes": modes})
    elif _read_manifest(manifest_path).get("prepared_by") != elfdce_identity():
        _write_manifest(manifest_path, _read_manifest(manifest_path))
    if _read(os.path.join(p.tree.elfdce_dir, "__init__.py")) != p.loader:
        write_atomic(os.path.join(p.tree.elfdce_dir, "__init__.py"), p.loader)
    changed = []
    for rel, data in p.edited.items():
        path = os.path.join(root, rel)
        if _read(path) != data:
            write_atomic(path, data, os.stat(path).st_mode & 0o7777)
            changed.append(rel)
    return changed


def _write_manifest(path: str, manifest: dict) -> None:
    """The manifest with ``manifest``'s edited files and modes, and this elfdce as the one that
    prepared the tree (where the tree's loader looks last)."""
    doc = {"schema_version": 1, "edited": manifest["edited"], "modes": manifest["modes"],
           "prepared_by": elfdce_identity()}
    write_atomic(path, (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode())


def _read_manifest(path: str) -> dict:
    """The manifest's edited files, their modes and the elfdce that prepared the tree (None
    for a tree an elfdce before this record prepared); TreeError when it cannot be read."""
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
        edited = [str(r) for r in manifest["edited"]]
        modes = {str(k): int(v) for k, v in manifest.get("modes", {}).items()}
        who = manifest.get("prepared_by")
        prepared_by = {str(k): str(v) for k, v in who.items()} if isinstance(who, dict) else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise TreeError(f"{path}: unreadable ({err})") from None
    return {"edited": edited, "modes": modes, "prepared_by": prepared_by}


def undo(root: str) -> list[str]:
    """Restore the original files byte for byte and remove ``elfdce_dce/``. Returns the
    restored files (none when the tree was not prepared)."""
    tree = open_tree(root)
    manifest_path = os.path.join(tree.elfdce_dir, MANIFEST)
    if not os.path.isfile(manifest_path):
        return []
    manifest = _read_manifest(manifest_path)
    edited, modes = manifest["edited"], manifest["modes"]
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
    if out:
        before = _read_manifest(os.path.join(p.tree.elfdce_dir, MANIFEST))["prepared_by"]
        now = elfdce_identity()
        if before is None:
            out.append(f"prepared by an elfdce older than its record; this is "
                       f"{describe_identity(now)}: run prepare again")
        elif before != now:
            out.append(f"prepared by {describe_identity(before)}; this is "
                       f"{describe_identity(now)}: run prepare again")
        else:
            out.append("changed since this elfdce prepared it (a hand edit?): run prepare again")
    return out
