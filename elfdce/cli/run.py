"""``elfdce run --shim DIR PROGRAM [ARGS…]``: run a program against shims, without ns-3."""

from __future__ import annotations

import argparse
import os
import sys

from .common import add_command, fail, os_error

DEFAULT_TIMEOUT = 60.0
SETUP_FAILED = 2
TIMED_OUT = 124


def configure_parser(sub: argparse._SubParsersAction) -> None:
    """Add the `run` subcommand to ``sub``."""
    p = add_command(
        sub, "run", execute,
        help="run a PIE's main against shims in a dlmopen namespace (the shim's "
             "proof)",
        description="In a subprocess (with a timeout): dlmopen DIR/libc-ns3.so into "
                    "a new namespace (then DIR's other shims), fill the tables "
                    "through cffi (host functions; Python overrides for DCE "
                    "functions), copy the host's data objects in, load a "
                    "DF_1_PIE-free cached copy of PROGRAM into the namespace and "
                    "call its main.",
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
    from ..elf import ElfError, read_elf
    from ..shim.runner import shim_files

    try:
        shim_files(args.shim)
        why = _refusal(read_elf(args.program, relocations=False))
    except (ElfError, ValueError) as err:
        return fail("run", str(err))
    except OSError as err:
        return fail("run", os_error(err, args.program))
    if why is not None:
        return fail("run", f"{args.program}: {why}")
    _become_subreaper()
    return _run_runner(args)


def _run_runner(args: argparse.Namespace) -> int:
    """Start the runner subprocess in its own session, wait (with the timeout), end whatever
    it left behind; the program's exit status (or why there is none)."""
    import signal
    import subprocess

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
        _end_session(proc)
        print(f"elfdce run: {args.program} timed out after {args.timeout:g} s", file=sys.stderr)
        return TIMED_OUT
    except KeyboardInterrupt:
        _end_session(proc)
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


def _end_session(proc) -> None:  # noqa: ANN001
    """SIGKILL the runner's session, reap the runner, end every other descendant."""
    import signal

    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    _end_descendants()
