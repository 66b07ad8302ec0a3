"""``elfdce run --shim DIR PROGRAM [ARGS…]``: run a program against shims, without ns-3."""

from __future__ import annotations

import os
import sys

import argparse

DEFAULT_TIMEOUT = 60.0
SETUP_FAILED = 2
TIMED_OUT = 124


def configure_parser(sub: argparse._SubParsersAction) -> None:
    """Add the `run` subcommand to ``sub``."""
    p = sub.add_parser(
        "run",
        help="run a PIE's main against shims in a dlmopen namespace (the shim's proof)",
        description="In a subprocess (with a timeout): dlmopen DIR/libc-ns3.so into a new "
        "namespace (then DIR's other shims), fill the tables through cffi (host functions; "
        "Python overrides for DCE functions), copy the host's data objects in, load a "
        "DF_1_PIE-free cached copy of PROGRAM into the namespace and call its main. Exit "
        "status: the program's; 2 when the shims or the program cannot be loaded; 124 on "
        "timeout.",
    )
    p.add_argument("--shim", required=True, metavar="DIR",
                   help="directory with libc-ns3.so (and optionally the other four shims)")
    p.add_argument("--overrides", default="elfdce.shim.demo", metavar="MODULE",
                   help="Python module (dotted name or .py path) with OVERRIDES for DCE "
                   "functions (default: elfdce.shim.demo, a simulated pid and clock); "
                   "'' for none")
    p.add_argument("--strict", action="store_true",
                   help="DCE functions without an override trap instead of calling the host's")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"kill the program after this long (default {DEFAULT_TIMEOUT:g})")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="say how each table was filled and where main is (stderr)")
    p.add_argument("program", metavar="PROGRAM")
    # as env, timeout and nice do: everything after PROGRAM is the program's, options too
    p.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS",
                   help="the program's arguments (all of them, `-v` included; `--` before "
                   "PROGRAM is accepted)")
    p.set_defaults(func=execute)


def _refusal(elf) -> str | None:  # noqa: ANN001
    """Why ``elf`` cannot be run (a library, a static or non-PIE program), or None."""
    from ..elf.kind import Kind

    kind = elf.kind
    if kind == Kind.LIBRARY:
        return "a shared library, not a program"
    if kind in Kind.STATIC_PROGRAMS:
        return "a static program: it has no C library to replace"
    if kind == Kind.EXEC:
        return "not position-independent (ET_EXEC): only a PIE can be loaded (-fPIE -pie)"
    if kind == Kind.OBJECT:
        return f"{elf.header.type_name}: not a program"
    return None


def _end_descendants() -> None:
    """SIGKILL every process left below this one (as subreaper, orphans of the program,
    setsid ones included, were re-parented here)."""
    import signal

    me = os.getpid()
    while True:
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rfind(b")") + 2:].split()
            if len(fields) > 1 and int(fields[1]) == me:
                found.append(int(entry))
        if not found:
            return
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass


def _become_subreaper() -> None:
    """prctl(PR_SET_CHILD_SUBREAPER): the program's orphans become ours, not init's."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def execute(args: argparse.Namespace) -> int:
    """Check the inputs, start the runner, relay its exit status."""
    import signal
    import subprocess

    from ..elf import ElfError, read_elf
    from ..shim.runner import shim_files

    try:
        shim_files(args.shim)
        why = _refusal(read_elf(args.program, relocations=False))
    except (ElfError, ValueError) as err:
        print(f"elfdce run: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"elfdce run: {err.filename or args.program}: {err.strerror or err}",
              file=sys.stderr)
        return 2
    if why is not None:
        print(f"elfdce run: {args.program}: {why}", file=sys.stderr)
        return 2
    _become_subreaper()
    read_fd, write_fd = os.pipe()
    cmd = [sys.executable, "-m", "elfdce.shim.runner", "--shim", args.shim,
           "--overrides", args.overrides, "--status-fd", str(write_fd)]
    cmd += ["--strict"] * args.strict + ["--verbose"] * args.verbose
    cmd += ["--", args.program, *args.args]
    try:
        proc = subprocess.Popen(cmd, pass_fds=(write_fd,), start_new_session=True)
    finally:
        os.close(write_fd)
    try:
        status = proc.wait(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        _end_descendants()
        print(f"elfdce run: {args.program} timed out after {args.timeout:g} s", file=sys.stderr)
        return TIMED_OUT
    except KeyboardInterrupt:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        _end_descendants()
        raise
    finally:
        with os.fdopen(read_fd, "rb") as f:
            ready = f.read() == b"ready\n"
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # what the program started and left running
    except (ProcessLookupError, PermissionError):
        pass
    _end_descendants()
    if not ready:
        return SETUP_FAILED
    if status < 0:
        name = signal.Signals(-status).name if -status in signal.valid_signals() else str(-status)
        print(f"elfdce run: {args.program} killed by {name}", file=sys.stderr)
        return 128 - status
    return status
