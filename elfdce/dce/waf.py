"""What a prepared DCE ``wscript`` calls (through the ``elfdce_dce`` package prepare writes).

Runs inside waf: waflib is imported here only. Each call is one glibc-specific step of DCE's
build, done from the host's libraries at every build, so a glibc upgrade is picked up:

- `configure`: the host's own glibc when ``--with-glibc`` is not given;
- `sysroot_flags`: the custom-glibc flags (``--sysroot``, rpath, ``--dynamic-linker``
  ld-2.31.so) dropped for the host's glibc;
- `version_rule`: the five version maps, in place of dcemakeversion;
- `attach`: the host files generated (table completion, simulator side, data), added to the
  five libraries and libns3-dce; each library gets its glue and is checked after linking.
"""

from __future__ import annotations

import json
import os

from waflib import Logs, Task, TaskGen, Utils  # type: ignore[import-untyped,import-not-found,unused-ignore]

from ..elf import read_elf
from ..fsutil import holds, write_if_changed
from ..versionmaps import build_map
from .generate import GEN, Generated, generate, write_generated
from .glue import check_exports, glue_pairs, object_definitions, objcopy_glue_arguments
from .host import load_host
from .tree import ELFDCE_DIR, open_tree

HOST_GLIBC = "/"
# this build: the arguments of its generation ("args") and the generated set ("generated")
_STATE: dict = {}


def _sysroot(env) -> str | None:
    root = env.GLIBC_INSTALL_DIR
    return None if not root or os.path.abspath(root) == HOST_GLIBC else root


def ns3_version_in_lib64(prefix: str) -> str | None:
    """The ns-3 version (``ns3.35``) of an installation under ``prefix`` whose pkg-config files
    are only in ``lib64/pkgconfig`` (where ns-3.35's waf installs them here), else None; raises
    ValueError when neither ``lib/pkgconfig`` nor ``lib64/pkgconfig`` has ns-3's core module."""
    import glob
    import re

    def cores(lib: str) -> list[str]:
        return sorted(glob.glob(os.path.join(prefix, lib, "pkgconfig", "libns3*-core-*.pc")))

    if cores("lib"):
        return None  # DCE's own lookup finds them
    found = cores("lib64")
    if not found:
        raise ValueError(f"--with-ns3={prefix}: no ns-3 core module (libns3*-core-*.pc) under "
                         f"{prefix}/lib/pkgconfig or {prefix}/lib64/pkgconfig: is ns-3 installed "
                         "there (./waf install in ns-3)?")
    # DCE's ns3waf reads the version from the name as this, and looks only in lib/pkgconfig
    m = re.search(r"(ns[0-9][.\-][dev0-9.]+)", os.path.basename(found[0]))
    return m.group(0).rstrip("-") if m else None


def configure(conf) -> None:
    """Before DCE reads ``--with-glibc``: default it to the host's glibc, and check that elfdce
    can read the host's libraries. An ns-3 installed with its pkg-config files only under
    ``lib64`` is found there (DCE's configure looked only in ``lib`` and still finished
    "successfully"), one with none fails here, naming both directories."""
    prefix = getattr(conf.options, "with_ns3", None)
    if prefix and os.path.isdir(prefix):
        try:
            version = ns3_version_in_lib64(os.path.abspath(prefix))
        except ValueError as err:
            conf.fatal(str(err))
        if version is not None:
            conf.env.NS3_VERSION = version  # DCE's ns3waf then skips its lib/ glob; its
            # PKG_CONFIG_PATH already names lib64/pkgconfig
            conf.msg("Checking ns-3's pkg-config files (elfdce)",
                     f"{version} in {os.path.abspath(prefix)}/lib64/pkgconfig")
    if not conf.options.with_glibc:
        conf.options.with_glibc = HOST_GLIBC
        host = load_host(None)
        major, minor = host.glibc_version()
        conf.msg("Checking the host glibc (elfdce)", f"{major}.{minor}: {host.libc.path}")


def sysroot_flags(bld, flags: list[str]) -> list[str]:
    """``flags`` without the custom-glibc ones when the build uses the host's glibc."""
    if _sysroot(bld.env) is not None:
        return flags
    root = bld.env.GLIBC_INSTALL_DIR or HOST_GLIBC
    drop = ("--sysroot=", "-Wl,-rpath=", "-Wl,--dynamic-linker=")
    return [f for f in flags
            if not f.startswith(drop)
            and not (f.startswith(("-L", "-I")) and f[2:].startswith(root))]


def version_rule(task) -> int:
    """The waf rule writing ``model/<lib>.version`` for each of its outputs (exact maps with
    DCE's NS3 prefix), in place of dcemakeversion."""
    host = load_host(_sysroot(task.env))
    prefixes = {os.path.basename(n.abspath()): n for n in task.inputs}
    for out in task.outputs:
        key = os.path.basename(out.abspath())[: -len(".version")]
        node = prefixes.get(f"{key}-ns3.version")
        prefix = node.read() if node is not None else ""
        lib = host.library(key)
        text = prefix if lib is None else build_map(lib.elf, style="exact", prefix=prefix).script
        write_if_changed(out.abspath(), text.encode("utf-8", "surrogateescape"))
    return 0


def _library_key(tg) -> str | None:
    for flag in Utils.to_list(getattr(tg, "linkflags", [])):
        if flag.startswith("-Wl,--version-script="):
            name = os.path.basename(flag.split("=", 1)[1])
            if name.endswith(".version"):
                return name[: -len(".version")]
    return None


KEY = "key.json"  # what the generated set was made from (gen/key.json)
STAMPS = "elfdce-sources.json"  # in waf's build directory: the sources' digests by size, mtime
_EXPECTED = ("inputs.json", "libc-ns3-host.h", "simulator.h", "simulator.cc", "trampolines.h")


def _file_identity(path: str) -> list:
    """A file by identity: its path, size, mtime and (for an ELF file) build-id."""
    from ..elf import ElfError
    from ..elf.image import Image, build_id

    st = os.stat(path)
    try:
        bid = build_id(Image(read_elf(path, relocations=False)))
    except (ElfError, OSError):
        bid = None
    return [os.path.realpath(path), st.st_size, st.st_mtime_ns, bid]


def generation_key(tree, cxx: list[str], flags: list[str], sysroot: str | None,
                   stamps: str | None = None) -> dict:
    """What the generated host files depend on: the host libraries by identity, DCE's model
    sources and wscript by content (`source_digests`, remembered in the file ``stamps``), the
    compiler and flags, and elfdce's own code."""
    from ..glibc.libs import locate
    from .prepare import elfdce_identity

    libraries = {loc.library.key: _file_identity(loc.path) for loc in locate(sysroot)
                 if loc.path is not None}
    return {"libraries": libraries, "sources": source_digests(tree, stamps), "cxx": cxx,
            "flags": flags, "sysroot": sysroot, "elfdce": elfdce_identity()["digest"]}


RACY_NS = 2_000_000_000  # a file changed this recently may change again within its mtime


def source_digests(tree, stamps: str | None = None) -> dict[str, str]:
    """DCE's model sources and its wscript, each by the SHA-256 of its bytes, so that a touch,
    or a checkout of the same bytes, regenerates nothing. With ``stamps`` (a file in waf's
    build directory) a file keeps its recorded digest while its size and mtime are those
    recorded, as git's index does; one changed less than two seconds before its digest was
    taken is read again next time (another write within the same mtime tick would not show)."""
    import hashlib
    import time

    known = _read_stamps(stamps)
    now = time.time_ns()
    paths = []
    for d, dirs, files in os.walk(tree.model):
        dirs.sort()
        paths += [os.path.join(d, name) for name in sorted(files)]
    paths.append(tree.wscript)
    digests, recorded = {}, {}
    for path in paths:
        rel = os.path.relpath(path, tree.root)
        st = os.stat(path)
        old = known.get(rel)
        if isinstance(old, list) and old[:2] == [st.st_size, st.st_mtime_ns] and len(old) == 3:
            digest = old[2]
        else:
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
        digests[rel] = digest
        if now - st.st_mtime_ns > RACY_NS:
            recorded[rel] = [st.st_size, st.st_mtime_ns, digest]
    if stamps is not None and recorded != known:
        write_if_changed(stamps, (json.dumps(recorded, sort_keys=True) + "\n").encode())
    return digests


def _read_stamps(path: str | None) -> dict:
    """The recorded (size, mtime, digest) of each source; empty when there is none or it is
    not what `source_digests` writes."""
    if path is None:
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _generated() -> Generated:
    """The generated set of this build: made now when attach found it up to date on disk
    (a glue or check step that runs needs the completion and the host's exports)."""
    if "generated" not in _STATE:
        tree, cxx, flags, sysroot = _STATE["args"]
        _STATE["generated"] = generate(tree, cxx, flags, sysroot=sysroot)
    return _STATE["generated"]


def attach(bld) -> None:
    """Generate the host files (only when what they depend on changed, `generation_key`) and
    wire them into the five libraries and libns3-dce."""
    tree = open_tree(bld.path.abspath())
    env = bld.env
    flags = list(env.CXXFLAGS) + [f"-D{d}" for d in env.DEFINES]
    cxx, sysroot = list(env.CXX), _sysroot(env)
    made_from = generation_key(tree, cxx, flags, sysroot,
                               os.path.join(bld.bldnode.abspath(), STAMPS))
    key = json.dumps(made_from, indent=1, sort_keys=True) + "\n"
    gen_dir = os.path.join(tree.elfdce_dir, GEN)
    _STATE.clear()
    _STATE["args"] = (tree, cxx, flags, sysroot)
    up_to_date = (holds(os.path.join(gen_dir, KEY), key.encode())
                  and all(os.path.isfile(os.path.join(gen_dir, n)) for n in _EXPECTED))
    if not up_to_date:
        generated = generate(tree, cxx, flags, sysroot=sysroot)
        generated = generated._replace(files={**generated.files, KEY: key.encode()})
        changed = write_generated(tree, generated)
        if changed:
            Logs.info("elfdce: regenerated %s" % ", ".join(changed))
        _STATE["generated"] = generated
    env.ELFDCE_CODE = made_from["elfdce"]  # in the glue and check steps' signatures
    gen = f"{ELFDCE_DIR}/{GEN}"
    key_node = bld.path.find_node(f"{gen}/{KEY}")
    present = set(made_from["libraries"])  # the host's libraries elfdce found
    for group in bld.groups:
        for tg in group:
            if getattr(tg, "rule", None) is version_rule:
                # the maps are the host's: made again when the host files are
                tg.dep_nodes = Utils.to_list(getattr(tg, "dep_nodes", [])) + [key_node]
                tg.vars = Utils.to_list(getattr(tg, "vars", [])) + ["ELFDCE_CODE"]
                continue
            if not hasattr(tg, "target"):
                continue
            key_name = _library_key(tg)
            if key_name is not None and key_name in present:
                tg.source = Utils.to_list(tg.source) + [f"{gen}/data-{key_name}.cc"]
                tg.features = Utils.to_list(tg.features) + ["elfdce_glue"]
                tg.elfdce_key = key_name
            elif os.path.basename(str(tg.target)) == "ns3-dce":
                tg.source = Utils.to_list(tg.source) + [f"{gen}/simulator.cc"]
                header_node = bld.path.find_node(f"{gen}/simulator.h")
                header = header_node.abspath()
                tg.cxxflags = Utils.to_list(getattr(tg, "cxxflags", [])) + ["-include", header]
                # waf's scanner does not see a header given by -include: each source depends on
                # it by hand, so a new elfdce's macros reach every object that expands them
                for src in Utils.to_list(tg.source):
                    node = src if hasattr(src, "abspath") else bld.path.find_node(src)
                    if node is not None:
                        bld.add_manual_dependency(node, header_node)
                # the host functions the completed table names, in every one of the five
                tg.lib = Utils.to_list(getattr(tg, "lib", [])) + ["m", "rt", "pthread", "dl"]


class elfdce_glue(Task.Task):  # noqa: N801 (waf names a task class by the task's name)
    """Copy one library's compiled objects with its glue symbols added (`glue.glue_pairs`)."""

    color = "BLUE"
    vars = ["ELFDCE_CODE"]  # another elfdce may glue otherwise

    def run(self) -> int:
        generated = _generated()
        lib = generated.host.library(self.elfdce_key)
        assert lib is not None  # attach gives the feature only to libraries the host has
        objects = [n.abspath() for n in self.inputs]
        read = [object_definitions(o) for o in objects]  # each object read once
        pairs = glue_pairs(frozenset().union(*(names for names, _ in read)), lib.exports,
                           generated.completion, lib.key)
        objcopy = Utils.to_list(self.env.OBJCOPY) or ["objcopy"]
        for src, (_, placed), dst in zip(objects, read, self.outputs):
            cmd = [*objcopy, *objcopy_glue_arguments(placed, pairs), src, dst.abspath()]
            if self.exec_command(cmd) != 0:
                Logs.error(f"elfdce: adding the version glue to {src} failed: {' '.join(cmd)}")
                return 1
        return 0


class elfdce_check(Task.Task):  # noqa: N801
    """Check a linked library's exports against the host's (the build fails on a mismatch)."""

    color = "BLUE"
    vars = ["ELFDCE_CODE"]  # runs when the library was relinked, or another elfdce checks

    def run(self) -> int:
        generated = _generated()
        lib = generated.host.library(self.elfdce_key)
        assert lib is not None
        built = self.inputs[0].abspath()
        check = check_exports(read_elf(built, relocations=False), lib.exports)
        name = os.path.basename(built)
        total = check.exported + len(check.missing) + len(check.not_defined)
        Logs.info(f"elfdce: {name}: exports {check.exported} of the host's {total} pairs "
                  f"({check.defaults} @@, {check.compat} @); {len(check.not_defined)} of them "
                  "undefined by DCE's sources")
        problems = ([f"wrong or missing: {m}" for m in check.missing]
                    + [f"not a host pair: {e}" for e in check.extra]
                    + [f"two defaults: {d}" for d in check.double_defaults])
        for p in problems[:30]:
            Logs.error(f"elfdce: {name}: {p}")
        return 1 if problems else 0


@TaskGen.feature("elfdce_glue")
@TaskGen.after_method("apply_link")
def elfdce_add_glue(self) -> None:
    """Link the library from its objects with the glue added, its map as an input, and check
    what it exports."""
    link = self.link_task
    objects = [t.outputs[0] for t in self.compiled_tasks]
    glued = [o.change_ext(".elfdce.o") for o in objects]
    task = self.create_task("elfdce_glue", objects, glued)
    task.elfdce_key = self.elfdce_key
    link.inputs = [glued[objects.index(n)] if n in objects else n for n in link.inputs]
    link.set_run_after(task)
    version_map = self.path.find_or_declare(f"model/{self.elfdce_key}.version")
    link.dep_nodes.append(version_map)
    check = self.create_task("elfdce_check", [link.outputs[0]], [])
    check.elfdce_key = self.elfdce_key
    check.set_run_after(link)
