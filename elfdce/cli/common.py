"""Options several subcommands share."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable


def add_command(sub: argparse._SubParsersAction, name: str, execute: Callable | None, *,
                help: str, description: str, command: str | None = None) -> argparse.ArgumentParser:
    """Add subcommand ``name`` to ``sub``, running ``execute(args)``; its description ends with
    its exit statuses (`exits.sentence` of ``command``, default ``name``). The parser is kept in
    the namespace, so a usage error found after parsing shows this subcommand's usage."""
    from .exits import sentence

    p = sub.add_parser(name, help=help, description=f"{description} {sentence(command or name)}")
    p.set_defaults(_parser=p)
    if execute is not None:
        p.set_defaults(func=execute)
    return p


def fail(command: str, message: str) -> int:
    """Say ``elfdce COMMAND: MESSAGE`` on stderr, one line (control characters in a name
    written as ``\\xNN``); the bad-input exit status."""
    import sys

    from ..elf.errors import one_line
    from .exits import BAD_INPUT

    print(f"elfdce {command}: {one_line(message)}", file=sys.stderr)
    return BAD_INPUT


def os_error(err: OSError, fallback: str | None = None) -> str:
    """``PATH: reason`` of an OSError (``fallback`` when it names no file)."""
    return f"{err.filename or fallback}: {err.strerror or err}"


def add_policy_option(p: argparse.ArgumentParser, use: str) -> None:
    """``--policy FILE``: any policy form elfdce reads (what `table` writes), and its ``use``."""
    p.add_argument("--policy", metavar="FILE",
                   help=f"an elfdce policy TSV or a DCE-style libc-ns3.h (`elfdce table` writes "
                   f"both): {use}")


def add_library_options(p: argparse.ArgumentParser) -> None:
    """``--sysroot DIR`` and ``--lib NAME=PATH``: where the five glibc libraries come from."""
    p.add_argument("--sysroot", metavar="DIR",
                   help="find the libraries under DIR (a cross sysroot, a chroot)")
    p.add_argument("--lib", action="append", default=[], metavar="NAME=PATH",
                   help="use PATH for NAME (libc, libpthread, librt, libm, libdl or a soname)")


def library_overrides(specs: list[str]) -> dict[str, str]:
    """``--lib`` values as {name: path}; ValueError naming a bad one."""
    from ..glibc.libs import BY_KEY

    out = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or name not in BY_KEY or not path:
            raise ValueError(f"--lib {spec!r}: expected NAME=PATH with NAME one of "
                             "libc, libpthread, librt, libm, libdl (or their sonames)")
        out[name] = path
    return out


def add_patch_arguments(p: argparse.ArgumentParser) -> None:
    """``IN (-o OUT | --in-place)`` of the commands that patch a copy of a file."""
    p.add_argument("input", metavar="IN")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("-o", "--output", metavar="OUT", help="write the patched copy here")
    where.add_argument("--in-place", action="store_true", help="patch IN itself (atomically)")


def run_patch(args: argparse.Namespace, command: str, patch, describe) -> int:  # noqa: ANN001
    """Run ``patch(IN, OUT or None)``, print ``describe(result)``; exit 2 with one line on bad
    input or an I/O error."""
    from ..elf import ElfError

    try:
        result = patch(args.input, None if args.in_place else args.output)
    except ElfError as err:
        return fail(command, str(err))
    except OSError as err:
        return fail(command, os_error(err, args.output or args.input))
    print(describe(result))
    return 0
