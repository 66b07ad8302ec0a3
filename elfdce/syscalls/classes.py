"""What DCE virtualises, by system call: the one rule from a syscall's name to its class.

Classes (the README's table is this module's):

  fd        file descriptors and files: open/read/write/close, the stat family, ioctl, fcntl,
            dup, pipe, poll/select/epoll, eventfd, inotify, directories and paths, xattrs,
            POSIX message queues (descriptors), sendfile/splice, aio and io_uring, umask
  socket    socket, socketpair, bind, connect, listen, accept*, send*, recv*, shutdown,
            get/setsockopt, getsockname, getpeername
  time      reading or setting clocks and timers: clock_gettime/settime/getres/adjtime,
            gettimeofday, time, times, adjtimex, timer_*, timerfd_*, alarm, get/setitimer
  sleep     waiting for time to pass: nanosleep, clock_nanosleep, pause (until a signal)
  signal    rt_sig*, kill, tkill, tgkill, sigaltstack, signalfd*, pidfd_send_signal,
            restart_syscall
  process   processes and threads: fork/vfork/clone*, execve*, exit/exit_group, wait4/waitid,
            getpid/getppid/gettid, sessions and groups, rlimits and rusage, sched_*,
            priorities, prctl/arch_prctl, ptrace, namespaces, pidfds, getcpu; and the thread
            primitives futex, set_robust_list, set_tid_address, rseq, membarrier (DCE runs
            threads as its own tasks, so they are process matters)
  memory    mmap, munmap, mprotect, brk, madvise, mremap, msync, mlock*, mincore, pkey_*,
            NUMA policies, SysV shared memory, memfd_secret, userfaultfd
  identity  user and group ids, capabilities, uname and the host and domain names
  other     everything else (sysinfo, getrandom, syslog, SysV semaphores and message queues,
            keys, modules, mount, reboot, bpf …) and a syscall whose number has no name here

A footprint's classes are its syscalls' classes, plus ``unknown`` when something it may call
could not be followed; no class at all is a pure function (the summary's ``none``).
"""

from __future__ import annotations

CLASSES = ("fd", "socket", "time", "sleep", "signal", "process", "memory", "identity", "other")
UNKNOWN = "unknown"  # the class of a footprint with unresolved calls
NONE = "none"  # the summary's name for pure functions

_BY_CLASS = {
    "socket": """socket socketpair bind connect listen accept accept4 sendto recvfrom sendmsg
        recvmsg sendmmsg recvmmsg shutdown getsockname getpeername setsockopt getsockopt""",
    "sleep": "nanosleep clock_nanosleep pause",
    "time": """clock_gettime clock_settime clock_getres clock_adjtime gettimeofday
        settimeofday time times adjtimex alarm setitimer getitimer""",
    "signal": """kill tkill tgkill sigaltstack signalfd signalfd4 pidfd_send_signal
        restart_syscall""",
    "process": """fork vfork clone clone3 execve execveat exit exit_group wait4 waitid getpid
        getppid gettid set_tid_address futex futex_waitv futex_wake futex_wait futex_requeue
        listns rseq_slice_yield set_robust_list get_robust_list rseq
        arch_prctl prctl getpriority setpriority setsid getsid setpgid getpgid getpgrp
        getrlimit setrlimit prlimit64 getrusage ptrace unshare setns personality pidfd_open
        pidfd_getfd getcpu membarrier seccomp kcmp process_vm_readv process_vm_writev
        set_thread_area get_thread_area ioprio_get ioprio_set""",
    "memory": """mmap munmap mprotect brk madvise mremap msync mlock mlock2 munlock mlockall
        munlockall mincore remap_file_pages mbind get_mempolicy set_mempolicy
        set_mempolicy_home_node migrate_pages move_pages process_madvise process_mrelease
        memfd_secret userfaultfd shmat shmdt shmget shmctl modify_ldt mseal map_shadow_stack""",
    "identity": """getuid geteuid getgid getegid setuid setgid setreuid setregid setresuid
        getresuid setresgid getresgid getgroups setgroups setfsuid setfsgid capget capset
        uname sethostname setdomainname""",
    "fd": """read write open openat openat2 creat close close_range lseek pread64 pwrite64
        readv writev preadv preadv2 pwritev pwritev2 ioctl fcntl dup dup2 dup3 pipe pipe2
        poll ppoll select pselect6 eventfd eventfd2 access faccessat faccessat2 mkdir mkdirat
        rmdir unlink unlinkat rename renameat renameat2 link linkat symlink symlinkat readlink
        readlinkat chmod fchmod fchmodat chown fchown fchownat lchown truncate ftruncate fsync
        fdatasync sync syncfs sync_file_range fallocate fadvise64 flock getdents getdents64
        chdir fchdir getcwd chroot mknod mknodat umask utime utimes utimensat futimesat
        sendfile splice tee vmsplice copy_file_range readahead memfd_create name_to_handle_at
        open_by_handle_at vhangup fchmodat2 cachestat file_getattr file_setattr setxattrat
        getxattrat listxattrat removexattrat""",
}
_CLASS_OF = {name: cls for cls, names in _BY_CLASS.items() for name in names.split()}

# families by prefix or suffix, so that a syscall newer than this list still finds its class
_PREFIXES = (("rt_sig", "signal"), ("sched_", "process"), ("timerfd_", "time"),
             ("timer_", "time"), ("clock_", "time"), ("epoll_", "fd"), ("inotify_", "fd"),
             ("fanotify_", "fd"), ("io_", "fd"), ("mq_", "fd"), ("pkey_", "memory"),
             ("shm", "memory"))


def class_of(name: str) -> str:
    """The class of the system call ``name`` (``other`` when no rule names it)."""
    cls = _CLASS_OF.get(name)
    if cls is not None:
        return cls
    for prefix, cls in _PREFIXES:
        if name.startswith(prefix):
            return cls
    if name.endswith("xattr") or "stat" in name and name not in ("sysinfo",):
        return "fd"  # the xattr family; stat, lstat, fstat, newfstatat, statx, statfs, ustat
    return "other"


def classes_of(names: tuple[str, ...] | list[str], unknown: bool = False) -> tuple[str, ...]:
    """The sorted classes of a footprint's syscalls (``unknown`` added when asked)."""
    out = {class_of(n) for n in names}
    if unknown:
        out.add(UNKNOWN)
    return tuple(sorted(out))


# What a function forwarded to the host does there, by the system calls it makes itself
# (`Footprint.direct`): it waits on the host's clock while simulated time stands still, runs
# host processes, uses the host's network, makes host descriptors under numbers the program
# takes for DCE's, or waits for a signal on the host.
ESCAPES = {
    "waits on the host": ("nanosleep", "clock_nanosleep", "pselect6", "select", "ppoll", "poll",
                          "epoll_wait", "epoll_pwait", "epoll_pwait2"),
    "runs host processes": ("clone", "clone3", "fork", "vfork", "execve", "execveat", "wait4",
                            "waitid"),
    "uses the host's network": ("socket", "socketpair", "connect", "bind", "listen", "accept",
                                "accept4", "sendto", "recvfrom", "sendmsg", "recvmsg",
                                "sendmmsg", "recvmmsg"),
    "makes host descriptors": ("pipe", "pipe2", "dup", "dup2", "dup3", "eventfd2",
                               "epoll_create", "epoll_create1", "timerfd_create", "signalfd4",
                               "inotify_init1", "memfd_create"),
    "waits for a signal on the host": ("pause", "rt_sigtimedwait", "rt_sigsuspend"),
}
_ESCAPE_OF = {sc: what for what, calls in ESCAPES.items() for sc in calls}


# The verdict says "escapes the simulation" for what a program does in its normal course: a
# system-call wrapper of these (the import is the call: epoll_wait, clock_nanosleep, connect),
# not a function that makes them on some path (syslog's socket, pause in a signal handler)
DECISIVE = ("waits on the host", "runs host processes", "uses the host's network")


def escape_of(syscall: str) -> str | None:
    """What ``syscall``, made on the host by a forwarded function, does (`ESCAPES`), or None."""
    return _ESCAPE_OF.get(syscall)


# the calls glibc's wrappers make where the name is not the call's (x86_64 and aarch64: the
# generic ABI has no select, poll, epoll_wait, pause, dup2, fork, pipe; sleep is nanosleep)
WRAPS = {
    "select": ("select", "pselect6"), "pselect": ("pselect6",), "poll": ("poll", "ppoll"),
    "epoll_wait": ("epoll_wait", "epoll_pwait"), "epoll_pwait": ("epoll_pwait",),
    "nanosleep": ("nanosleep", "clock_nanosleep"), "sleep": ("nanosleep", "clock_nanosleep"),
    "usleep": ("nanosleep", "clock_nanosleep"), "pause": ("pause", "ppoll"),
    "wait": ("wait4",), "waitpid": ("wait4",), "wait3": ("wait4",),
    "fork": ("clone", "clone3", "fork"), "vfork": ("vfork", "clone", "clone3"),
    "pipe": ("pipe", "pipe2"), "dup2": ("dup2", "dup3"),
    "accept": ("accept", "accept4"), "send": ("sendto",), "recv": ("recvfrom",),
}


def is_wrapper(function: str, syscall: str) -> bool:
    """Whether ``function`` is the wrapper of ``syscall``: its name (glibc's ``__`` and
    ``_time64``/``64`` spellings), or one of the calls `WRAPS` says it makes."""
    name = function.lstrip("_")
    for suffix in ("_time64", "64"):
        if name.endswith(suffix) and name != suffix:
            name = name[: -len(suffix)]
            break
    return syscall in WRAPS.get(name, (name, name + "6", name + "64"))


__all__ = ["CLASSES", "DECISIVE", "ESCAPES", "NONE", "UNKNOWN", "WRAPS", "class_of",
           "classes_of", "escape_of", "is_wrapper"]
