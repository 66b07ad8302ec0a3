"""``elfdce shim build``: the lib*-ns3.so replacements, compiled through cffi and verified."""

from __future__ import annotations

import argparse
import os
import sys

from ..emit.words import count
from .common import add_command, add_policy_option, fail, library_overrides

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..shim.build import ShimBuild


def configure_parser(sub: argparse._SubParsersAction) -> None:
    """Add the `shim` subcommand (with its `build` action) to ``sub``."""
    p = add_command(
        sub, "shim", None,
        help="build lib*-ns3.so replacements whose exports equal the host's",
        description="Shims for ns-3 DCE: one trampoline per exported function "
                    "through a dispatch table the simulator fills (<lib>_setup), "
                    "data objects of the host's sizes, the host's version nodes and "
                    "compat pairs.",
    )
    actions = p.add_subparsers(dest="shim_action", metavar="ACTION", required=True)
    b = add_command(
        actions, "build", execute, command="shim",
        help="generate, compile (cffi's toolchain) and verify a shim",
        description="Generate the sources (kept in OUT.src), compile them with "
                    "cffi's compiler machinery (CC, CFLAGS, LDSHARED, LDFLAGS as for "
                    "Python extensions), link them -nostdlib with the exact version "
                    "map and the host's soname, rescan the result and compare its "
                    "exports with the host's pairs the policy covers.",
    )
    _add_build_options(b)


def _add_build_options(b: argparse.ArgumentParser) -> None:
    """The options of `shim build`."""
    from ..glibc.libs import FIVE

    which = b.add_mutually_exclusive_group(required=True)
    keys = [lib.key for lib in FIVE]
    which.add_argument("--lib", dest="library", metavar="NAME", choices=keys,
                       help=", ".join(keys))
    which.add_argument("--all", action="store_true", help="the five libraries")
    b.add_argument("--abi", choices=("elfdce", "dce"), default="elfdce",
                   help="elfdce: <lib>_setup(table, nslots) and <lib>_describe (default); dce: "
                   "ns-3-dce's <lib>_setup(const struct Libc *), struct Libc and "
                   "DceGlobalVariables measured from the tree given with --dce")
    b.add_argument("--dce", metavar="DCE_SRC",
                   help="with --abi dce: the ns-3-dce tree (prepared and built for this host)")
    add_policy_option(b, "used as it is (default: DCE 1.12's table completed for the host)")
    b.add_argument("--complete", action="store_true",
                   help="complete --policy with the host rule (every other export classed)")
    b.add_argument("-o", "--output", metavar="OUT",
                   help="the library (default build/<lib>-ns3.so); with --all, a directory "
                   "(default build)")
    b.add_argument("--cc", metavar="COMPILER",
                   help="the compiler (default $CC, else Python's, else Debian's cross gcc for "
                   "the library's architecture)")
    b.add_argument("-v", "--verbose", action="store_true", help="show the compiler commands")
    # --lib names the library to build here, so the NAME=PATH override other commands call
    # --lib is --host-lib.
    b.add_argument("--sysroot", metavar="DIR",
                   help="find the host libraries under DIR (a cross sysroot, a chroot)")
    b.add_argument("--host-lib", action="append", default=[], metavar="NAME=PATH",
                   help="use PATH as the host library NAME (libc, libm, … or a soname)")


def execute(args: argparse.Namespace) -> int:
    """Build the requested shims; print what each exports."""
    from ..elf import ElfError
    from ..glibc.libs import BY_KEY, FIVE, locate
    from ..policy.host import complete_policy, host_libraries, load_policy
    from ..policy.model import PolicyError
    from ..shim.build import ShimError, build_shim

    keys = [lib.key for lib in FIVE] if args.all else [args.library]
    if args.abi == "dce":
        return _execute_dce(args, keys)
    try:
        overrides = library_overrides(args.host_lib)
        policy = load_policy(args.policy)
        if args.policy is None or args.complete:
            policy = complete_policy(policy, host_libraries(args.sysroot, overrides))
        located = {loc.library.key: loc for loc in locate(args.sysroot, overrides)}
    except (PolicyError, ElfError, ValueError) as err:
        return fail("shim build", str(err))
    status = 0
    for key in keys:
        loc = located[key]
        if loc.path is None:
            print(f"elfdce shim build: {BY_KEY[key].soname} not found ({loc.how})", file=sys.stderr)
            status = 2
            continue
        if args.all:
            output = os.path.join(args.output or "build", f"{key}-ns3.so")
        else:
            output = args.output or os.path.join("build", f"{key}-ns3.so")
        try:
            built = build_shim(key, policy, output, library_path=loc.path, cc=args.cc,
                               verbose=args.verbose)
        except (ShimError, OSError) as err:
            print(f"elfdce shim build: {err}", file=sys.stderr)
            status = 2
            continue
        print(summary(built))
    return status


def _execute_dce(args: argparse.Namespace, keys: list[str]) -> int:
    """`shim build --abi dce`: the five libraries in ns-3-dce's ABI."""
    from ..dce.host import HostError, load_host
    from ..dce.shim import (
        DceShimError,
        build_dce_shim,
        measure_layout,
        tree_definitions,
    )
    from ..dce.tree import TreeError, open_tree

    if not args.dce:
        print("elfdce shim build: --abi dce needs --dce DCE_SRC", file=sys.stderr)
        return 2
    try:
        tree = open_tree(args.dce)
        host = load_host(args.sysroot)
        layout = measure_layout(tree)
        definitions = tree_definitions(tree)
    except (TreeError, HostError, DceShimError) as err:
        return fail("shim build", str(err))
    print(f"struct Libc: {count(layout.size, 'byte')}, {count(len(layout.fields), 'field')}; "
          f"struct DceGlobalVariables: {layout.globals_size} bytes")
    status = 0
    for key in keys:
        if args.all or not args.output:
            output = os.path.join(args.output or "build", f"{key}-ns3.so")
        else:
            output = args.output
        try:
            plan, exported = build_dce_shim(tree, key, host, layout, output, cc=args.cc,
                                            verbose=args.verbose, definitions=definitions)
        except (DceShimError, OSError) as err:
            print(f"elfdce shim build: {err}", file=sys.stderr)
            status = 2
            continue
        kinds = {"slot": 0, "c": 0, "data": 0}
        for e in plan.exports:
            kinds[e.how] += 1
        print(f"{output}: {exported} exports ({kinds['slot']} trampolines, {kinds['c']} "
              f"written in C, {kinds['data']} data), {len(plan.excluded)} host pairs left out")
        for label, reason in plan.excluded[:20]:
            print(f"  not exported: {label}: {reason}")
        if key == keys[0] and plan.unbacked:
            print(f"  the tree's table names {len(plan.unbacked)} function(s) no host library "
                  f"exports (their slots are kept for struct Libc's layout, nothing is exported "
                  f"through them): {', '.join(plan.unbacked)}")
    return status


def summary(built: ShimBuild) -> str:
    """What a build produced, counted."""
    plan = built.plan
    host = plan.host.pairs
    exported = plan.exported
    defaults = sum(p.default for p in exported)
    bound = sum(s.version is not None for s in plan.slots)
    tls = sum(d.pair.kind == "TLS" for d in plan.data)
    lines = [
        f"{built.output}: replaces {built.library_path} ({plan.library.soname})",
        f"  exports {len(exported)} of {len(host)} host pairs ({defaults} @@, "
        f"{len(exported) - defaults} @), {len(plan.excluded)} excluded; "
        f"+ {', '.join(e + '@@NS3' for e in plan.entries)}",
        f"  {count(len(plan.slots), 'slot')} ({count(bound, 'trampoline')}, {len(plan.slots) - bound} reserved for "
        f"table entries this library lacks), {count(len(plan.data), 'data object')} ({tls} TLS), "
        f"{len(plan.no_ops)} no-op ({', '.join(p.label for p in plan.no_ops) or 'none'})",
        f"  verified: the rescan's {built.exported} exports equal the plan; sources in "
        f"{built.sources.directory}",
    ]
    reasons: dict[str, int] = {}
    for e in plan.excluded:
        reasons[e.reason] = reasons.get(e.reason, 0) + 1
    lines += [f"  excluded {n}: {reason}" for reason, n in sorted(reasons.items())]
    return "\n".join(lines)
