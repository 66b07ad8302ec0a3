"""DCE's table completed for the host: what DCE's five libraries must add so that they export
every host pair, and where each added pair is routed.

DCE's libraries define the names of its X-macro table and a few written by hand (learned from
the compiled objects, `Definitions`). Every other host pair becomes one more table entry,
``DCE (elfdce_<name>__<version>)``, appended after DCE's own (so ``struct Libc`` keeps DCE's
layout as its prefix), routed to:

* ``dce``     DCE's implementation, when the host pair is an alias of a DCE-class function (the
              same address in the same library: ``__libc_malloc`` is ``malloc``, ``open64`` is
              ``open``): a program calling the alias would otherwise leave the simulation;
* ``adapter`` a generated function over DCE's own (`ADAPTERS`): a successor (glibc 2.33
              replaced ``__xstat (ver, path, buf)`` by ``stat (path, buf)``: programs built
              since call ``stat@GLIBC_2.33``, which DCE's table does not know), a newer
              calling convention (``accept4``, ``pipe2``, ``clock_nanosleep``), a fortified
              form (``__read_chk``);
* ``native``  the host function of that name *and version* (``memcpy@GLIBC_2.2.5`` is memmove).

DCE-class slots whose DCE function rejects a newer calling convention get an adapter too
(`OVERRIDES`: ``socket`` with SOCK_CLOEXEC). Data objects DCE does not define get storage of the host's size for that version; the compat
names DCE's sources use that newer headers no longer declare get declarations.
"""

from __future__ import annotations

from .._record import Record
from ..exports import ExportPair, c_identifier, pair_label
from ..glibc.libs import is_version_placeholder
from ..policy.model import Policy, PolicyEntry

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .host import Host

DATA_KINDS = ("OBJECT", "TLS", "COMMON")
# The translation units of DCE's libraries: libc-ns3.so has all three, the other four the first two.
LIBRARY_SOURCES = ("libc.cc", "libc-setup.cc")
LIBC_ONLY_SOURCES = ("libc-global-variables.cc",)


class Adapter(Record):
    """A generated function in the simulator standing for a host function over DCE's own: a
    successor that replaced a DCE-class predecessor (glibc 2.33's ``stat`` over ``__xstat``),
    a newer calling convention (``accept4``'s flags), or a fortified form (``__read_chk``).

    Its parameters and return type are spelt with the compiler's own types (``long`` for
    ``ssize_t``/``off_t``, ``unsigned int`` for ``socklen_t``) and incomplete structs: the
    declaration stands in ``simulator.h``, which includes no system header."""

    successor: str  # the host function it stands for
    ret: str
    params: str
    body: str  # C statements, over dce_<name> of each of ``needs``
    needs: tuple[str, ...]  # the DCE-class names whose dce_ functions the body calls


# The simulator's functions an adapter may call, as DCE 1.12 declares them (model/dce-*.h).
DCE_FUNCTIONS = {
    "__xstat": "int dce___xstat (int, const char *, struct stat *)",
    "__lxstat": "int dce___lxstat (int, const char *, struct stat *)",
    "__fxstat": "int dce___fxstat (int, int, struct stat *)",
    "__xstat64": "int dce___xstat64 (int, const char *, struct stat64 *)",
    "__lxstat64": "int dce___lxstat64 (int, const char *, struct stat64 *)",
    "__fxstat64": "int dce___fxstat64 (int, int, struct stat64 *)",
    "__fxstatat": "int dce___fxstatat (int, int, const char *, struct stat *, int)",
    "__fxstatat64": "int dce___fxstatat64 (int, int, const char *, struct stat64 *, int)",
    "__xmknod": "int dce___xmknod (int, const char *, mode_t, dev_t *)",
    "__xmknodat": "int dce___xmknodat (int, int, const char *, mode_t, dev_t *)",
    "__errno_location": "int *dce___errno_location (void)",
    "nanosleep": "int dce_nanosleep (const struct timespec *, struct timespec *)",
    "clock_gettime": "int dce_clock_gettime (clockid_t, struct timespec *)",
    "accept": "int dce_accept (int, struct sockaddr *, socklen_t *)",
    "socket": "int dce_socket (int, int, int)",
    "socketpair": "int dce_socketpair (int, int, int, int *)",
    "fcntl": "int dce_fcntl (int, int, ...)",
    "pipe": "int dce_pipe (int *)",
    "dup2": "int dce_dup2 (int, int)",
    "open": "int dce_open (const char *, int, ...)",
    "openat": "int dce_openat (int, const char *, int, ...)",
    "read": "ssize_t dce_read (int, void *, size_t)",
    "pread": "ssize_t dce_pread (int, void *, size_t, off_t)",
    "recv": "ssize_t dce_recv (int, void *, size_t, int)",
    "recvfrom": "ssize_t dce_recvfrom (int, void *, size_t, int, struct sockaddr *, socklen_t *)",
    "malloc": "void *dce_malloc (size_t)",
    "realloc": "void *dce_realloc (void *, size_t)",
    "vasprintf": "int dce_vasprintf (char **, const char *, va_list)",
    "select": "int dce_select (int, fd_set *, fd_set *, fd_set *, struct timeval *)",
    "poll": "int dce_poll (struct pollfd *, nfds_t, int)",
    "setsockopt": "int dce_setsockopt (int, int, int, const void *, socklen_t)",
    "getsockopt": "int dce_getsockopt (int, int, int, void *, socklen_t *)",
    "bind": "int dce_bind (int, const struct sockaddr *, socklen_t)",
    "connect": "int dce_connect (int, const struct sockaddr *, socklen_t)",
    "getpid": "pid_t dce_getpid (void)",
    "mkdir": "int dce_mkdir (const char *, mode_t)",
    "perror": "void dce_perror (const char *)",
    "fork": "pid_t dce_fork (void)",
    "waitpid": "pid_t dce_waitpid (pid_t, int *, int)",
    "mmap64": "void *dce_mmap64 (void *, size_t, int, int, int, off64_t)",
    "execve": "int dce_execve (const char *, char *const *, char *const *)",
    "execvp": "int dce_execvp (const char *, char *const *)",
    "exit": "void dce_exit (int)",
    "close": "int dce_close (int)",
    "chdir": "int dce_chdir (const char *)",
    "fchdir": "int dce_fchdir (int)",
    "sigprocmask": "int dce_sigprocmask (int, const sigset_t *, sigset_t *)",
    "random": "long int dce_random (void)",
    "pthread_mutexattr_settype": "int dce_pthread_mutexattr_settype (pthread_mutexattr_t *, int)",
    "vprintf": "int dce_vprintf (const char *, va_list)",
    "getcwd": "char *dce_getcwd (char *, size_t)",
    "gethostname": "int dce_gethostname (char *, size_t)",
    "readlink": "ssize_t dce_readlink (const char *, char *, size_t)",
    "ppoll": "int dce_ppoll (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *)",
    "getpeername": "int dce_getpeername (int, struct sockaddr *, socklen_t *)",
    "write": "ssize_t dce_write (int, const void *, size_t)",
    "kill": "int dce_kill (pid_t, int)",
    "pthread_mutex_init":
        "int dce_pthread_mutex_init (pthread_mutex_t *, const pthread_mutexattr_t *)",
    "pthread_mutex_lock": "int dce_pthread_mutex_lock (pthread_mutex_t *)",
    "pthread_mutex_unlock": "int dce_pthread_mutex_unlock (pthread_mutex_t *)",
    "pthread_mutex_destroy": "int dce_pthread_mutex_destroy (pthread_mutex_t *)",
    "pthread_cond_init": "int dce_pthread_cond_init (pthread_cond_t *, const pthread_condattr_t *)",
    "pthread_cond_wait": "int dce_pthread_cond_wait (pthread_cond_t *, pthread_mutex_t *)",
    "pthread_cond_broadcast": "int dce_pthread_cond_broadcast (pthread_cond_t *)",
    "pthread_cond_destroy": "int dce_pthread_cond_destroy (pthread_cond_t *)",
}

# O_CLOEXEC/SOCK_CLOEXEC and O_NONBLOCK/SOCK_NONBLOCK as the flags of accept4, pipe2, dup3 and
# socket's type carry them, applied with DCE's fcntl (DCE 1.12's socket aborts on an unknown
# type, and has no accept4, pipe2 or dup3).
_APPLY_FLAGS = (
    "  if ({fd} >= 0 && ({flags} & O_CLOEXEC))\n"
    "    dce_fcntl ({fd}, F_SETFD, FD_CLOEXEC);\n"
    "  if ({fd} >= 0 && ({flags} & O_NONBLOCK))\n"
    "    dce_fcntl ({fd}, F_SETFL, dce_fcntl ({fd}, F_GETFL) | O_NONBLOCK);\n"
)


# Aligned memory on DCE's heap. DCE's free reads the block's size in the 8 bytes before the
# pointer (model/dce-alloc.cc) and returns the block to the power-of-two bucket of that size
# (KingsleyAlloc, below 32 KiB; larger blocks are mmapped chunks it looks up by address). An
# aligned pointer inside a block more than twice as large gets such a header: freed, the region
# from the header on becomes a bucket block of its own (it lies inside the first block, which
# is never freed: the rest of it is lost). From 32 KiB on, DCE's free looks the header's size up
# among its mmapped chunks, finds none and does nothing: the block is leaked, never reused
# (coreutils' cat allocates its 128 KiB buffer aligned, once).
ALIGNED_HELPER = """static void *elfdce_aligned (__SIZE_TYPE__ align, __SIZE_TYPE__ size)
{
  if (align == 0 || (align & (align - 1)) != 0 || align > 65536
      || size > ((__SIZE_TYPE__) 1 << 40))
    return 0;
  if (align <= 8)
    return dce_malloc (size);
  __SIZE_TYPE__ raw_size = size >= 32768 - 8 ? size + align + 16 : 2 * (size + 8) + align + 16;
  char *raw = (char *) dce_malloc (raw_size);
  if (raw == 0)
    return 0;
  __SIZE_TYPE__ at = ((__SIZE_TYPE__) raw + 8 + align - 1) & ~(align - 1);
  __SIZE_TYPE__ header = size + 8;
  memcpy ((char *) at - 8, &header, sizeof header);
  return (void *) at;
}
"""
_ALIGNED_NEEDS = ("malloc", "__errno_location")


# Waits that return at once, paced. Simulated time stands still while a process runs: a loop
# whose select or poll finds a descriptor ready every time (iperf3's client selects on its
# writable data stream, with no timeout, until the server's TEST_START arrives) never lets the
# simulation reach the events it waits for, and the simulator spins for ever. After
# ELFDCE_SPIN_CALLS such returns in a row, by one process at one simulated instant, its next
# wait first sleeps ELFDCE_SPIN_PAUSE_NS of simulated time (about the microsecond a real select
# on a ready descriptor costs, for each of them). A wait that blocked, or a call at another
# instant or by another process, starts the count again: a program that does not spin is
# never paused.
PACE_HELPER = """#define ELFDCE_SPIN_CALLS 100
#define ELFDCE_SPIN_PAUSE_NS 100000L
static pid_t elfdce_spin_pid = -1;
static struct timespec elfdce_spin_at;
static unsigned elfdce_spin_count;
static void elfdce_pace_begin (struct timespec *start)
{
  dce_clock_gettime (CLOCK_MONOTONIC, start);
  if (elfdce_spin_count < ELFDCE_SPIN_CALLS || dce_getpid () != elfdce_spin_pid
      || start->tv_sec != elfdce_spin_at.tv_sec || start->tv_nsec != elfdce_spin_at.tv_nsec)
    return;
  struct timespec pause = { 0, ELFDCE_SPIN_PAUSE_NS };
  int saved = *dce___errno_location ();
  dce_nanosleep (&pause, 0);
  *dce___errno_location () = saved;
  elfdce_spin_count = 0;
  dce_clock_gettime (CLOCK_MONOTONIC, start);
}
static void elfdce_pace_end (const struct timespec *start)
{
  struct timespec now;
  dce_clock_gettime (CLOCK_MONOTONIC, &now);
  if (now.tv_sec != start->tv_sec || now.tv_nsec != start->tv_nsec)
    {
      elfdce_spin_count = 0;  /* it waited */
      return;
    }
  pid_t pid = dce_getpid ();
  if (pid == elfdce_spin_pid && now.tv_sec == elfdce_spin_at.tv_sec
      && now.tv_nsec == elfdce_spin_at.tv_nsec)
    elfdce_spin_count++;
  else
    {
      elfdce_spin_pid = pid;
      elfdce_spin_at = now;
      elfdce_spin_count = 1;
    }
}
"""
_PACE_NEEDS = ("clock_gettime", "nanosleep", "getpid", "__errno_location")


def _paced(call: str) -> str:
    """The body of a wait paced by `PACE_HELPER`: ``call`` (DCE's) between its two halves."""
    return ("  struct timespec start;\n  elfdce_pace_begin (&start);\n"
            f"  int result = {call};\n"
            "  elfdce_pace_end (&start);\n  return result;\n")


# posix_spawn replayed over DCE's fork: the file actions (glibc's sysdeps/posix/spawn_int.h
# struct __spawn_action, the same order of kinds from 2.29 to 2.43) and the signal mask in the
# child, then DCE's execve (execvp for posix_spawnp: it searches the process's PATH)
_SPAWN_PARAMS = ("int *pid, const char *path, const void *actions, const void *attr, "
                 "char *const *argv, char *const *envp")
_SPAWN_NEEDS = ("fork", "execve", "execvp", "exit", "close", "dup2", "open", "chdir", "fchdir",
                "fcntl", "sigprocmask", "__errno_location")
SPAWN_HELPER = """struct elfdce_spawn_action
{
  enum { do_close, do_dup2, do_open, do_chdir, do_fchdir, do_closefrom, do_tcsetpgrp } tag;
  union
  {
    struct { int fd; } close_action;
    struct { int fd; int newfd; } dup2_action;
    struct { int fd; char *path; int oflag; mode_t mode; } open_action;
    struct { char *path; } chdir_action;
    struct { int fd; } fchdir_action;
  } action;
};
static int elfdce_spawn (int *pid, const char *path, const void *actions, const void *attr,
                         char *const *argv, char *const *envp, int search)
{
  const posix_spawn_file_actions_t *fa = (const posix_spawn_file_actions_t *) actions;
  const posix_spawnattr_t *at = (const posix_spawnattr_t *) attr;
  pid_t child = dce_fork ();
  if (child < 0)
    return *dce___errno_location ();
  if (child > 0)
    {
      if (pid != 0)
        *pid = child;
      return 0;
    }
  if (at != 0 && (at->__flags & POSIX_SPAWN_SETSIGMASK))
    dce_sigprocmask (SIG_SETMASK, &at->__ss, 0);
  for (int i = 0; fa != 0 && i < fa->__used; i++)
    {
      const struct elfdce_spawn_action *a = &((const struct elfdce_spawn_action *) fa->__actions)[i];
      switch (a->tag)
        {
        case elfdce_spawn_action::do_close:
          dce_close (a->action.close_action.fd);
          break;
        case elfdce_spawn_action::do_dup2:
          if (a->action.dup2_action.fd == a->action.dup2_action.newfd)
            dce_fcntl (a->action.dup2_action.fd, F_SETFD, 0);
          else if (dce_dup2 (a->action.dup2_action.fd, a->action.dup2_action.newfd) < 0)
            dce_exit (127);
          break;
        case elfdce_spawn_action::do_open:
          {
            int fd = dce_open (a->action.open_action.path, a->action.open_action.oflag,
                               a->action.open_action.mode);
            if (fd < 0)
              dce_exit (127);
            if (fd != a->action.open_action.fd)
              {
                dce_dup2 (fd, a->action.open_action.fd);
                dce_close (fd);
              }
          }
          break;
        case elfdce_spawn_action::do_chdir:
          if (dce_chdir (a->action.chdir_action.path) != 0)
            dce_exit (127);
          break;
        case elfdce_spawn_action::do_fchdir:
          if (dce_fchdir (a->action.fchdir_action.fd) != 0)
            dce_exit (127);
          break;
        default:
          break;
        }
    }
  if (search && strchr (path, '/') == 0)
    dce_execvp (path, argv);
  else
    dce_execve (path, argv, envp);
  dce_exit (127);
  return 0;
}
"""


# pthread barriers over DCE's mutex and condition variable. DCE 1.12 has none: the host's
# pthread_barrier_wait blocked the fiber's host thread on a futex that the other parties, fibers
# of the same simulator that only run when it yields, could never reach (bind 9.20's libisc
# starts its loops behind one: Debian 13's dig and host hung at start, the simulator idle). The
# barrier's storage holds a pointer to the record (pthread_barrier_t is 32 bytes on x86_64 and
# aarch64: too small for DCE's mutex and condition variable).
BARRIER_NEEDS = ("pthread_mutex_init", "pthread_mutex_lock", "pthread_mutex_unlock",
                 "pthread_mutex_destroy", "pthread_cond_init", "pthread_cond_wait",
                 "pthread_cond_broadcast", "pthread_cond_destroy")
BARRIER_HELPER = """struct elfdce_barrier
{
  pthread_mutex_t lock;
  pthread_cond_t cond;
  unsigned int count, arrived, generation;
};
static struct elfdce_barrier *elfdce_barrier_of (void *barrier)
{
  struct elfdce_barrier *b;
  memcpy (&b, barrier, sizeof b);
  return b;
}
"""


# Descriptors DCE 1.12 does not have, emulated over a DCE pipe whose read end the process holds:
# an epoll instance (its interest list, waited on with DCE's poll: libuv's loop, bind's dig and
# host, waited on the host while simulated time stood still and aborted on DCE's descriptor
# numbers) and an eventfd counter (libuv's wake-up between threads; readable while the counter
# is not zero: one byte in the pipe). A record per descriptor, keyed by node, pid and number;
# the simulator runs one process's code at a time. Closing the descriptor (DCE's close, an
# override) drops its record and the pipe's write end; dup, fork and exec do not carry it over.
EMULATED_NEEDS = ("poll", "pipe", "read", "write", "close", "getpid", "sigprocmask", "kill",
                  "__errno_location")
EMULATED_HELPER = """extern "C++" {
namespace ns3 { unsigned int UtilsGetNodeId (void) __attribute__ ((weak)); }
}
struct elfdce_watch
{
  int fd;
  unsigned int events;
  unsigned long long data;
};
struct elfdce_emulated
{
  unsigned int node;
  int pid;
  int fd; /* the pipe's read end: the descriptor the program holds */
  int peer; /* the pipe's write end */
  /* (signals: the pipe sigwait waits on, made at the first wait) */
  enum kinds { epoll, eventfd, signals } kind;
  unsigned long long counter; /* eventfd */
  int level; /* eventfd: its pipe holds the byte that makes it readable */
  int flags;
  sigset_t pending, awaited, blocked; /* signals: the process's record */
  struct elfdce_watch *watch; /* epoll: the interest list */
  int nwatch, capacity;
};
static struct elfdce_emulated *elfdce_emulated_fds;
static int elfdce_n_emulated, elfdce_emulated_capacity;

static unsigned int elfdce_node (void)
{
  return ns3::UtilsGetNodeId ? ns3::UtilsGetNodeId () : 0;
}

static struct elfdce_emulated *elfdce_emulated_lookup (int fd, int kind)
{
  if (elfdce_n_emulated == 0)
    return 0;
  unsigned int node = elfdce_node ();
  int pid = dce_getpid ();
  for (int i = 0; i < elfdce_n_emulated; i++)
    {
      struct elfdce_emulated *e = &elfdce_emulated_fds[i];
      if (e->pid == pid && e->node == node
          && (kind == elfdce_emulated::signals ? e->kind == kind
              : e->kind != elfdce_emulated::signals && e->fd == fd))
        return e;
    }
  return 0;
}

/* the record of the emulated descriptor fd of the calling process, or 0 */
static struct elfdce_emulated *elfdce_emulated_find (int fd)
{
  return fd < 0 ? 0 : elfdce_emulated_lookup (fd, -1);
}

static void elfdce_emulated_forget (struct elfdce_emulated *e)
{
  free (e->watch);
  *e = elfdce_emulated_fds[--elfdce_n_emulated];
}

static struct elfdce_emulated *elfdce_emulated_add (int kind, int fd, int peer)
{
  if (elfdce_n_emulated == elfdce_emulated_capacity)
    {
      int capacity = elfdce_emulated_capacity ? 2 * elfdce_emulated_capacity : 16;
      void *grown = realloc (elfdce_emulated_fds, capacity * sizeof *elfdce_emulated_fds);
      if (grown == 0)
        {
          *dce___errno_location () = ENOMEM;
          return 0;
        }
      elfdce_emulated_fds = (struct elfdce_emulated *) grown;
      elfdce_emulated_capacity = capacity;
    }
  struct elfdce_emulated *e = &elfdce_emulated_fds[elfdce_n_emulated++];
  memset (e, 0, sizeof *e);
  e->node = elfdce_node ();
  e->pid = dce_getpid ();
  e->fd = fd;
  e->peer = peer;
  e->kind = (enum elfdce_emulated::kinds) kind;
  sigemptyset (&e->pending);
  sigemptyset (&e->awaited);
  sigemptyset (&e->blocked);
  return e;
}

/* a new descriptor: a DCE pipe's read end */
static struct elfdce_emulated *elfdce_emulated_new (int kind)
{
  int fds[2];
  if (dce_pipe (fds) != 0)
    return 0;
  struct elfdce_emulated *stale = elfdce_emulated_find (fds[0]);
  if (stale != 0)
    elfdce_emulated_forget (stale); /* a process gone without closing it */
  struct elfdce_emulated *e = elfdce_emulated_add (kind, fds[0], fds[1]);
  if (e == 0)
    {
      dce_close (fds[0]);
      dce_close (fds[1]);
    }
  return e;
}

/* Signals a process sends itself and waits for (bind's isc_app: kill (getpid (), SIGTERM),
   then sigwait in the main thread). DCE 1.12's kill sends SIGKILL whatever the signal, and its
   sigwait waits without looking at one: a signal the process blocked (pthread_sigmask) or
   waits for is made pending here, and sigwait takes it, waiting on a pipe of its own (made
   at the first wait: a process that never waits keeps its descriptor numbers). */
static struct elfdce_emulated *elfdce_signals (int create)
{
  struct elfdce_emulated *s = elfdce_emulated_lookup (-1, elfdce_emulated::signals);
  if (s == 0 && create)
    s = elfdce_emulated_add (elfdce_emulated::signals, -1, -1);
  return s;
}

static int elfdce_kill_self (int pid, int sig)
{
  if (sig <= 0 || sig >= NSIG || sig == SIGKILL || sig == SIGSTOP
      || (pid != 0 && pid != dce_getpid ()))
    return 0;
  struct elfdce_emulated *s = elfdce_signals (0);
  if (s == 0 || !(sigismember (&s->awaited, sig) || sigismember (&s->blocked, sig)))
    return 0;
  sigaddset (&s->pending, sig);
  if (s->peer >= 0)
    dce_write (s->peer, "", 1);
  return 1;
}

static int elfdce_sigwait (const sigset_t *set, int *sig)
{
  for (;;)
    {
      struct elfdce_emulated *s = elfdce_signals (1);
      if (s == 0)
        return ENOMEM;
      for (int n = 1; n < NSIG; n++)
        if (sigismember (set, n) == 1)
          {
            sigaddset (&s->awaited, n);
            if (sigismember (&s->pending, n) == 1)
              {
                sigdelset (&s->pending, n);
                *sig = n;
                return 0;
              }
          }
      if (s->fd < 0)
        {
          int fds[2];
          if (dce_pipe (fds) != 0)
            return *dce___errno_location ();
          s = elfdce_signals (0);
          s->fd = fds[0];
          s->peer = fds[1];
        }
      char byte;
      if (dce_read (s->fd, &byte, 1) < 0 && *dce___errno_location () != EINTR)
        return *dce___errno_location ();
    }
}

static void elfdce_sigmask (int how, const sigset_t *set)
{
  if (set == 0)
    return;
  struct elfdce_emulated *s = elfdce_signals (1);
  if (s == 0)
    return;
  for (int n = 1; n < NSIG; n++)
    {
      int in = sigismember (set, n) == 1;
      if ((how == SIG_BLOCK && in) || (how == SIG_SETMASK && in))
        sigaddset (&s->blocked, n);
      else if ((how == SIG_UNBLOCK && in) || (how == SIG_SETMASK && !in))
        sigdelset (&s->blocked, n);
    }
}

static int elfdce_epoll_create (void)
{
  struct elfdce_emulated *e = elfdce_emulated_new (elfdce_emulated::epoll);
  return e == 0 ? -1 : e->fd;
}

static int elfdce_epoll_ctl (int epfd, int op, int fd, struct epoll_event *event)
{
  struct elfdce_emulated *ep = elfdce_emulated_find (epfd);
  if (ep == 0 || fd < 0)
    {
      *dce___errno_location () = EBADF;
      return -1;
    }
  if (ep->kind != elfdce_emulated::epoll || fd == epfd)
    {
      *dce___errno_location () = EINVAL;
      return -1;
    }
  int at = 0;
  while (at < ep->nwatch && ep->watch[at].fd != fd)
    at++;
  if (op == EPOLL_CTL_ADD && at < ep->nwatch)
    {
      *dce___errno_location () = EEXIST;
      return -1;
    }
  if ((op == EPOLL_CTL_MOD || op == EPOLL_CTL_DEL) && at == ep->nwatch)
    {
      *dce___errno_location () = ENOENT;
      return -1;
    }
  if ((op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) && event == 0)
    {
      *dce___errno_location () = EFAULT;
      return -1;
    }
  switch (op)
    {
    case EPOLL_CTL_ADD:
      if (ep->nwatch == ep->capacity)
        {
          int capacity = ep->capacity ? 2 * ep->capacity : 8;
          void *grown = realloc (ep->watch, capacity * sizeof *ep->watch);
          if (grown == 0)
            {
              *dce___errno_location () = ENOMEM;
              return -1;
            }
          ep->watch = (struct elfdce_watch *) grown;
          ep->capacity = capacity;
        }
      ep->nwatch++;
      /* fall through */
    case EPOLL_CTL_MOD:
      ep->watch[at].fd = fd;
      ep->watch[at].events = event->events;
      ep->watch[at].data = event->data.u64;
      return 0;
    case EPOLL_CTL_DEL:
      ep->watch[at] = ep->watch[--ep->nwatch];
      return 0;
    default:
      *dce___errno_location () = EINVAL;
      return -1;
    }
}

/* Level-triggered (EPOLLET is taken as level for DCE's descriptors: a program reading until
   EAGAIN is right either way), except on an emulated eventfd, whose edges are its writes: under
   EPOLLET its readable byte is taken when reported, so the next event is the next write (libuv
   1.53 never reads its async eventfd, and spun at one simulated instant). EPOLLONESHOT disarms
   the descriptor once reported. */
static int elfdce_epoll_wait (int epfd, struct epoll_event *events, int max, int timeout,
                              const sigset_t *mask)
{
  struct elfdce_emulated *ep = elfdce_emulated_find (epfd);
  if (ep == 0 || ep->kind != elfdce_emulated::epoll || max <= 0 || events == 0)
    {
      *dce___errno_location () = ep == 0 ? EBADF : EINVAL;
      return -1;
    }
  /* a copy: other threads of the process may change the list while this one waits */
  int n = ep->nwatch;
  struct pollfd *fds = (struct pollfd *) malloc ((n + 1) * sizeof *fds);
  struct elfdce_watch *watch = (struct elfdce_watch *) malloc ((n + 1) * sizeof *watch);
  if (fds == 0 || watch == 0)
    {
      free (fds);
      free (watch);
      *dce___errno_location () = ENOMEM;
      return -1;
    }
  int used = 0;
  for (int i = 0; i < n; i++)
    {
      unsigned int wanted = ep->watch[i].events & (EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDNORM
                                                   | EPOLLRDBAND | EPOLLWRNORM | EPOLLWRBAND
                                                   | EPOLLMSG | EPOLLRDHUP);
      if (wanted == 0)
        continue; /* disarmed (EPOLLONESHOT) */
      watch[used] = ep->watch[i];
      fds[used].fd = ep->watch[i].fd;
      fds[used].events = (short) wanted;
      fds[used].revents = 0;
      struct elfdce_emulated *counter = elfdce_emulated_find (ep->watch[i].fd);
      if (counter != 0 && counter->kind == elfdce_emulated::eventfd
          && (wanted & (EPOLLOUT | EPOLLWRNORM)))
        timeout = 0; /* an eventfd is writable */
      used++;
    }
  sigset_t saved;
  if (mask != 0)
    dce_sigprocmask (SIG_SETMASK, mask, &saved);
  int count;
  for (;;)
    {
      int r = dce_poll (fds, used, timeout);
      if (r < 0)
        {
          count = -1;
          break;
        }
      count = 0;
      for (int i = 0; i < used && count < max; i++)
        {
          unsigned int got = fds[i].revents & ~POLLNVAL;
          struct elfdce_emulated *counter = elfdce_emulated_find (fds[i].fd);
          if (counter != 0 && counter->kind != elfdce_emulated::eventfd)
            counter = 0;
          if (counter != 0)
            got |= watch[i].events & (EPOLLOUT | EPOLLWRNORM);
          if (got == 0)
            continue;
          events[count].events = got;
          events[count].data.u64 = watch[i].data;
          count++;
          if (counter != 0 && (watch[i].events & EPOLLET) && (got & EPOLLIN) && counter->level)
            {
              char byte;
              dce_read (fds[i].fd, &byte, 1); /* it is there: poll said so */
              counter = elfdce_emulated_find (fds[i].fd);
              if (counter != 0)
                counter->level = 0;
            }
          ep = elfdce_emulated_find (epfd);
          if ((watch[i].events & EPOLLONESHOT) && ep != 0)
            for (int j = 0; j < ep->nwatch; j++)
              if (ep->watch[j].fd == watch[i].fd)
                ep->watch[j].events &= EPOLLONESHOT | EPOLLET;
        }
      if (count > 0 || r == 0)
        break;
    }
  if (mask != 0)
    dce_sigprocmask (SIG_SETMASK, &saved, 0);
  free (fds);
  free (watch);
  return count;
}

/* an eventfd made readable: the byte in its pipe (once: an EPOLLET report takes it, and the
   next write is the next edge) */
static void elfdce_eventfd_raise (struct elfdce_emulated *e)
{
  if (!e->level)
    {
      dce_write (e->peer, "", 1);
      e->level = 1;
    }
}

static int elfdce_eventfd (unsigned int initial, int flags)
{
  struct elfdce_emulated *e = elfdce_emulated_new (elfdce_emulated::eventfd);
  if (e == 0)
    return -1;
  e->counter = initial;
  e->flags = flags;
  if (initial != 0)
    elfdce_eventfd_raise (e);
  return e->fd;
}

static long elfdce_eventfd_read (int fd, void *buf, __SIZE_TYPE__ n)
{
  struct elfdce_emulated *e = elfdce_emulated_find (fd);
  if (n < 8)
    {
      *dce___errno_location () = EINVAL;
      return -1;
    }
  if (e->counter == 0 && (e->flags & EFD_NONBLOCK))
    {
      *dce___errno_location () = EAGAIN;
      return -1;
    }
  if (e->counter == 0 || e->level)
    {
      char byte;
      if (dce_read (fd, &byte, 1) != 1) /* waits for a write when the counter is zero */
        return -1;
      e = elfdce_emulated_find (fd);
      if (e == 0)
        {
          *dce___errno_location () = EBADF;
          return -1;
        }
      e->level = 0;
    }
  unsigned long long value = (e->flags & EFD_SEMAPHORE) ? 1 : e->counter;
  e->counter -= value;
  if (e->counter != 0)
    elfdce_eventfd_raise (e);
  memcpy (buf, &value, 8);
  return 8;
}

static long elfdce_eventfd_write (int fd, const void *buf, __SIZE_TYPE__ n)
{
  struct elfdce_emulated *e = elfdce_emulated_find (fd);
  unsigned long long value;
  if (n < 8)
    {
      *dce___errno_location () = EINVAL;
      return -1;
    }
  memcpy (&value, buf, 8);
  if (value == ~0ULL)
    {
      *dce___errno_location () = EINVAL;
      return -1;
    }
  if (value > ~0ULL - 1 - e->counter)
    {
      *dce___errno_location () = EAGAIN; /* would block until read: not emulated */
      return -1;
    }
  if (value == 0)
    return 8;
  elfdce_eventfd_raise (e);
  e->counter += value;
  return 8;
}
"""

# getdelim over the host's getc (a FILE's I/O goes through its vtable: DCE's for DCE's FILEs)
# and DCE's realloc for the line
_GETDELIM = (
    "  if (line == 0 || size == 0 || f == 0)\n"
    "    {\n      *dce___errno_location () = EINVAL;\n      return -1;\n    }\n"
    "  if (*line == 0 || *size == 0)\n"
    "    {\n      char *fresh = (char *) (*line == 0 ? dce_malloc (120) : dce_realloc (*line, 120));\n"
    "      if (fresh == 0)\n        return -1;\n      *line = fresh;\n      *size = 120;\n    }\n"
    "  __SIZE_TYPE__ length = 0;\n  int c;\n"
    "  while ((c = getc (f)) != EOF)\n"
    "    {\n      if (length + 2 > *size)\n"
    "        {\n          char *grown = (char *) dce_realloc (*line, *size * 2);\n"
    "          if (grown == 0)\n            return -1;\n"
    "          *line = grown;\n          *size *= 2;\n        }\n"
    "      (*line)[length++] = (char) c;\n      if (c == delim)\n        break;\n    }\n"
    "  if (length == 0)\n    return -1;\n  (*line)[length] = 0;\n  return (long) length;\n"
)


# statx over DCE's fstatat (fstat for AT_EMPTY_PATH with ""): the fields struct stat has
_STATX = (
    "  struct stat st;\n"
    "  int r = (flags & AT_EMPTY_PATH) && path[0] == 0\n"
    "    ? dce___fxstat (_STAT_VER, dirfd, &st)\n"
    "    : dce___fxstatat (_STAT_VER, dirfd, path, &st, flags & AT_SYMLINK_NOFOLLOW);\n"
    "  if (r != 0)\n    return r;\n"
    "  memset (out, 0, sizeof *out);\n"
    "  out->stx_mask = STATX_BASIC_STATS;\n  out->stx_blksize = st.st_blksize;\n"
    "  out->stx_nlink = st.st_nlink;\n  out->stx_uid = st.st_uid;\n  out->stx_gid = st.st_gid;\n"
    "  out->stx_mode = st.st_mode;\n  out->stx_ino = st.st_ino;\n  out->stx_size = st.st_size;\n"
    "  out->stx_blocks = st.st_blocks;\n"
    "  out->stx_atime.tv_sec = st.st_atim.tv_sec;\n  out->stx_atime.tv_nsec = st.st_atim.tv_nsec;\n"
    "  out->stx_mtime.tv_sec = st.st_mtim.tv_sec;\n  out->stx_mtime.tv_nsec = st.st_mtim.tv_nsec;\n"
    "  out->stx_ctime.tv_sec = st.st_ctim.tv_sec;\n  out->stx_ctime.tv_nsec = st.st_ctim.tv_nsec;\n"
    "  out->stx_rdev_major = major (st.st_rdev);\n  out->stx_rdev_minor = minor (st.st_rdev);\n"
    "  out->stx_dev_major = major (st.st_dev);\n  out->stx_dev_minor = minor (st.st_dev);\n"
    "  return 0;\n"
)


def _stat(successor: str, predecessor: str, params: str, args: str, ver: str = "_STAT_VER"):
    return Adapter(successor, "int", params, f"  return dce_{predecessor} ({ver}, {args});\n",
                   (predecessor,))


def _emulated_io(op: str) -> str:
    """The body of DCE's ``read`` or ``write`` (``op``) over the descriptors `EMULATED_HELPER`
    makes: an eventfd's counter; EINVAL for the others (an epoll instance)."""
    return ("  struct elfdce_emulated *e = elfdce_emulated_find (fd);\n"
            "  if (e != 0 && e->kind == elfdce_emulated::eventfd)\n"
            f"    return elfdce_eventfd_{op} (fd, buf, n);\n"
            "  if (e != 0)\n    {\n      *dce___errno_location () = EINVAL;\n      return -1;\n    }\n"
            f"  return dce_{op} (fd, buf, n);\n")


def _einval_if(condition: str) -> str:
    """C lines that fail with EINVAL when ``condition`` holds (flags glibc's call refuses)."""
    return (f"  if ({condition})\n    {{\n      *dce___errno_location () = EINVAL;\n"
            "      return -1;\n    }\n")


ADAPTERS = (
    # glibc 2.33 (NEWS: "the stat family ... are now provided as regular functions"): the
    # __xstat family (version argument first) became plain stat/fstat/lstat/fstatat, mknod/at.
    _stat("stat", "__xstat", "const char *path, struct stat *buf", "path, buf"),
    _stat("lstat", "__lxstat", "const char *path, struct stat *buf", "path, buf"),
    _stat("fstat", "__fxstat", "int fd, struct stat *buf", "fd, buf"),
    _stat("stat64", "__xstat64", "const char *path, struct stat64 *buf", "path, buf"),
    _stat("lstat64", "__lxstat64", "const char *path, struct stat64 *buf", "path, buf"),
    _stat("fstat64", "__fxstat64", "int fd, struct stat64 *buf", "fd, buf"),
    _stat("fstatat", "__fxstatat", "int dirfd, const char *path, struct stat *buf, int flags",
          "dirfd, path, buf, flags"),
    _stat("fstatat64", "__fxstatat64",
          "int dirfd, const char *path, struct stat64 *buf, int flags", "dirfd, path, buf, flags"),
    # where DCE has no *64 form: on LP64 machines (x86_64, aarch64) struct stat64 is struct stat
    _stat("stat64", "__xstat", "const char *path, struct stat64 *buf", "path, (struct stat *) buf"),
    _stat("lstat64", "__lxstat", "const char *path, struct stat64 *buf",
          "path, (struct stat *) buf"),
    _stat("fstat64", "__fxstat", "int fd, struct stat64 *buf", "fd, (struct stat *) buf"),
    _stat("fstatat64", "__fxstatat",
          "int dirfd, const char *path, struct stat64 *buf, int flags",
          "dirfd, path, (struct stat *) buf, flags"),
    # glibc 2.28's statx (ls, coreutils' stat): struct statx from DCE's fstatat
    Adapter("statx", "int", "int dirfd, const char *path, int flags, unsigned int mask, "
            "struct statx *out", _STATX, ("__fxstatat", "__fxstat")),
    _stat("mknod", "__xmknod", "const char *path, unsigned int mode, __UINT64_TYPE__ dev",
          "path, mode, &dev", "_MKNOD_VER"),
    _stat("mknodat", "__xmknodat",
          "int dirfd, const char *path, unsigned int mode, __UINT64_TYPE__ dev",
          "dirfd, path, mode, &dev", "_MKNOD_VER"),
    # clock_nanosleep (glibc 2.17 moved it from librt): returns the error, does not set errno
    Adapter("clock_nanosleep", "int",
            "int clock, int flags, const struct timespec *request, struct timespec *remain",
            "  struct timespec relative = *request;\n"
            "  if (flags & TIMER_ABSTIME)\n"
            "    {\n"
            "      struct timespec now;\n"
            "      if (dce_clock_gettime (clock, &now) != 0)\n"
            "        return *dce___errno_location ();\n"
            "      relative.tv_sec -= now.tv_sec;\n"
            "      relative.tv_nsec -= now.tv_nsec;\n"
            "      if (relative.tv_nsec < 0)\n"
            "        {\n"
            "          relative.tv_nsec += 1000000000L;\n"
            "          relative.tv_sec--;\n"
            "        }\n"
            "      if (relative.tv_sec < 0)\n"
            "        return 0;\n"
            "      remain = 0;\n"
            "    }\n"
            "  return dce_nanosleep (&relative, remain) == 0 ? 0 : *dce___errno_location ();\n",
            ("nanosleep", "clock_gettime", "__errno_location")),
    Adapter("accept4", "int", "int fd, struct sockaddr *addr, unsigned int *length, int flags",
            "  int accepted = dce_accept (fd, addr, length);\n"
            + _APPLY_FLAGS.format(fd="accepted", flags="flags") + "  return accepted;\n",
            ("accept", "fcntl")),
    # (DCE 1.12's pipes abort on an fcntl other than F_GETFL and F_SETFL: O_NONBLOCK is
    # applied, O_CLOEXEC dropped)
    Adapter("pipe2", "int", "int *fds, int flags",
            "  int r = dce_pipe (fds);\n"
            "  if (r == 0 && (flags & O_NONBLOCK))\n"
            "    for (int i = 0; i < 2; i++)\n"
            "      dce_fcntl (fds[i], F_SETFL, dce_fcntl (fds[i], F_GETFL) | O_NONBLOCK);\n"
            "  return r;\n", ("pipe", "fcntl")),
    Adapter("dup3", "int", "int fd, int target, int flags",
            "  int r = dce_dup2 (fd, target);\n"
            + _APPLY_FLAGS.format(fd="r", flags="(flags & O_CLOEXEC)") + "  return r;\n",
            ("dup2", "fcntl")),
    # _FORTIFY_SOURCE's checked forms (every Debian package): the object size is not checked
    Adapter("__open_2", "int", "const char *path, int flags",
            "  return dce_open (path, flags, 0);\n", ("open",)),
    Adapter("__open64_2", "int", "const char *path, int flags",
            "  return dce_open (path, flags, 0);\n", ("open",)),
    Adapter("__openat_2", "int", "int dirfd, const char *path, int flags",
            "  return dce_openat (dirfd, path, flags, 0);\n", ("openat",)),
    Adapter("__openat64_2", "int", "int dirfd, const char *path, int flags",
            "  return dce_openat (dirfd, path, flags, 0);\n", ("openat",)),
    Adapter("__read_chk", "long", "int fd, void *buf, __SIZE_TYPE__ n, __SIZE_TYPE__ size",
            "  return dce_read (fd, buf, n);\n", ("read",)),
    Adapter("__pread_chk", "long",
            "int fd, void *buf, __SIZE_TYPE__ n, long offset, __SIZE_TYPE__ size",
            "  return dce_pread (fd, buf, n, offset);\n", ("pread",)),
    Adapter("__pread64_chk", "long",
            "int fd, void *buf, __SIZE_TYPE__ n, long offset, __SIZE_TYPE__ size",
            "  return dce_pread (fd, buf, n, offset);\n", ("pread",)),
    Adapter("__recv_chk", "long",
            "int fd, void *buf, __SIZE_TYPE__ n, __SIZE_TYPE__ size, int flags",
            "  return elfdce_dce_recv (fd, buf, n, flags);\n", ("recv",)),
    Adapter("__getcwd_chk", "char *", "char *buf, __SIZE_TYPE__ size, __SIZE_TYPE__ buflen",
            "  return dce_getcwd (buf, size);\n", ("getcwd",)),
    Adapter("__gethostname_chk", "int", "char *buf, __SIZE_TYPE__ size, __SIZE_TYPE__ buflen",
            "  return dce_gethostname (buf, size);\n", ("gethostname",)),
    Adapter("__readlink_chk", "long",
            "const char *path, char *buf, __SIZE_TYPE__ size, __SIZE_TYPE__ buflen",
            "  return dce_readlink (path, buf, size);\n", ("readlink",)),
    Adapter("__ppoll_chk", "int", "struct pollfd *fds, unsigned long n, "
            "const struct timespec *timeout, const void *mask, __SIZE_TYPE__ fdslen",
            _paced("dce_ppoll (fds, n, timeout, (const sigset_t *) mask)"),
            ("ppoll", *_PACE_NEEDS)),
    Adapter("__vprintf_chk", "int", "int flag, const char *format, __builtin_va_list ap",
            "  return dce_vprintf (format, ap);\n", ("vprintf",)),
    Adapter("__vasprintf_chk", "int", "char **out, int flag, const char *format, "
            "__builtin_va_list ap",
            "  return dce_vasprintf (out, format, ap);\n", ("vasprintf",)),
    Adapter("__asprintf_chk", "int", "char **out, int flag, const char *format, ...",
            "  va_list ap;\n  va_start (ap, format);\n"
            "  int r = dce_vasprintf (out, format, ap);\n  va_end (ap);\n  return r;\n",
            ("vasprintf",)),
    # pselect: select with a timespec and a signal mask (DCE's select has no mask to swap)
    Adapter("pselect", "int", "int n, void *readfds, void *writefds, void *exceptfds, "
            "const struct timespec *timeout, const void *mask",
            "  struct timeval tv, *ptv = 0;\n"
            "  if (timeout != 0)\n    {\n      tv.tv_sec = timeout->tv_sec;\n"
            "      tv.tv_usec = timeout->tv_nsec / 1000;\n      ptv = &tv;\n    }\n"
            + _paced("dce_select (n, (fd_set *) readfds, (fd_set *) writefds,\n"
                     "                           (fd_set *) exceptfds, ptv)"),
            ("select", *_PACE_NEEDS)),
    # randomness from DCE's generator (a simulation is reproducible), not the host's entropy
    # (glibc 2.36's arc4random waits in ppoll for /dev/random)
    Adapter("arc4random", "unsigned int", "void",
            "  return (unsigned int) ((dce_random () << 1) ^ dce_random ());\n", ("random",)),
    Adapter("arc4random_uniform", "unsigned int", "unsigned int bound",
            "  if (bound < 2)\n    return 0;\n"
            "  return (unsigned int) (((dce_random () << 1) ^ dce_random ()) % bound);\n",
            ("random",)),
    Adapter("arc4random_buf", "void", "void *buf, __SIZE_TYPE__ n",
            "  for (__SIZE_TYPE__ i = 0; i < n; i++)\n"
            "    ((unsigned char *) buf)[i] = (unsigned char) (dce_random () >> 7);\n",
            ("random",)),
    Adapter("getrandom", "long", "void *buf, __SIZE_TYPE__ n, unsigned int flags",
            "  for (__SIZE_TYPE__ i = 0; i < n; i++)\n"
            "    ((unsigned char *) buf)[i] = (unsigned char) (dce_random () >> 7);\n"
            "  return (long) n;\n", ("random",)),
    Adapter("getentropy", "int", "void *buf, __SIZE_TYPE__ n",
            "  if (n > 256)\n    {\n      *dce___errno_location () = EIO;\n      return -1;\n    }\n"
            "  for (__SIZE_TYPE__ i = 0; i < n; i++)\n"
            "    ((unsigned char *) buf)[i] = (unsigned char) (dce_random () >> 7);\n"
            "  return 0;\n", ("random", "__errno_location")),
    # kernel-side copies between descriptors: DCE has none, and the host's would take DCE's
    # descriptor numbers for its own (cat failed "data.txt: No such file or directory");
    # ENOSYS is what programs fall back to read and write on (coreutils' copy_file_range)
    Adapter("copy_file_range", "long", "int in, long *in_offset, int out, long *out_offset, "
            "__SIZE_TYPE__ n, unsigned int flags",
            "  *dce___errno_location () = ENOSYS;\n  return -1;\n", ("__errno_location",)),
    Adapter("splice", "long", "int in, long *in_offset, int out, long *out_offset, "
            "__SIZE_TYPE__ n, unsigned int flags",
            "  *dce___errno_location () = ENOSYS;\n  return -1;\n", ("__errno_location",)),
    Adapter("tee", "long", "int in, int out, __SIZE_TYPE__ n, unsigned int flags",
            "  *dce___errno_location () = ENOSYS;\n  return -1;\n", ("__errno_location",)),
    # advice about a descriptor: DCE's descriptor checked, the advice itself has no effect
    Adapter("posix_fadvise", "int", "int fd, long offset, long length, int advice",
            "  struct stat st;\n  return dce___fxstat (_STAT_VER, fd, &st) == 0 ? 0 : EBADF;\n",
            ("__fxstat",)),
    Adapter("posix_fadvise64", "int", "int fd, long offset, long length, int advice",
            "  struct stat st;\n  return dce___fxstat (_STAT_VER, fd, &st) == 0 ? 0 : EBADF;\n",
            ("__fxstat",)),
    # processes DCE runs: glibc's posix_spawn (make, system's successor) clones a host process
    # that DCE's wait never sees ("wait: No child processes"); vfork likewise
    Adapter("posix_spawn", "int", _SPAWN_PARAMS, "  return elfdce_spawn (pid, path, actions, "
            "attr, argv, envp, 0);\n", _SPAWN_NEEDS),
    Adapter("posix_spawnp", "int", _SPAWN_PARAMS, "  return elfdce_spawn (pid, path, actions, "
            "attr, argv, envp, 1);\n", _SPAWN_NEEDS),
    Adapter("vfork", "int", "void", "  return dce_fork ();\n", ("fork",)),
    # BSD's waits with resource usage (busybox's shells): DCE's waitpid, the usage zero
    Adapter("wait3", "int", "int *status, int options, struct rusage *usage",
            "  if (usage != 0)\n    memset (usage, 0, sizeof *usage);\n"
            "  return dce_waitpid (-1, status, options);\n", ("waitpid",)),
    Adapter("wait4", "int", "int pid, int *status, int options, struct rusage *usage",
            "  if (usage != 0)\n    memset (usage, 0, sizeof *usage);\n"
            "  return dce_waitpid (pid, status, options);\n", ("waitpid",)),
    # aligned memory the program frees with DCE's free (socat's posix_memalign: the host's heap
    # and DCE's corrupted each other)
    Adapter("posix_memalign", "int", "void **out, __SIZE_TYPE__ align, __SIZE_TYPE__ size",
            "  if (align == 0 || (align & (align - 1)) != 0 || align % sizeof (void *) != 0)\n"
            "    return EINVAL;\n"
            "  void *p = elfdce_aligned (align, size);\n"
            "  if (p == 0)\n    return ENOMEM;\n  *out = p;\n  return 0;\n", ("malloc",)),
    Adapter("aligned_alloc", "void *", "__SIZE_TYPE__ align, __SIZE_TYPE__ size",
            "  void *p = elfdce_aligned (align, size);\n"
            "  if (p == 0)\n    *dce___errno_location () = ENOMEM;\n  return p;\n",
            _ALIGNED_NEEDS),
    Adapter("memalign", "void *", "__SIZE_TYPE__ align, __SIZE_TYPE__ size",
            "  void *p = elfdce_aligned (align, size);\n"
            "  if (p == 0)\n    *dce___errno_location () = ENOMEM;\n  return p;\n",
            _ALIGNED_NEEDS),
    Adapter("valloc", "void *", "__SIZE_TYPE__ size",
            "  void *p = elfdce_aligned (4096, size);\n"
            "  if (p == 0)\n    *dce___errno_location () = ENOMEM;\n  return p;\n",
            _ALIGNED_NEEDS),
    # Memory the program allocates with DCE's malloc, grown or freed by a host function with
    # the host's (glibc 2.26's reallocarray, getdelim): the two heaps corrupt each other
    # ("free(): invalid next size", "realloc(): invalid pointer" in ls, wc, sort, grep, sed).
    Adapter("reallocarray", "void *", "void *p, __SIZE_TYPE__ n, __SIZE_TYPE__ size",
            "  if (size != 0 && n > (__SIZE_TYPE__) -1 / size)\n"
            "    {\n      *dce___errno_location () = ENOMEM;\n      return 0;\n    }\n"
            # dce_realloc (NULL, n) is not malloc (it returns NULL for 0: gnulib dies)
            "  return p == 0 ? dce_malloc (n * size) : dce_realloc (p, n * size);\n",
            ("malloc", "realloc", "__errno_location")),
    Adapter("getdelim", "long", "char **line, __SIZE_TYPE__ *size, int delim, struct _IO_FILE *f",
            _GETDELIM, ("malloc", "realloc", "__errno_location")),
    Adapter("__getdelim", "long",
            "char **line, __SIZE_TYPE__ *size, int delim, struct _IO_FILE *f",
            _GETDELIM, ("malloc", "realloc", "__errno_location")),
    # epoll and eventfd over DCE's poll and pipes (EMULATED_HELPER): libuv's loop (bind's dig
    # and host) waited on the host with DCE's descriptor numbers and aborted
    Adapter("epoll_create", "int", "int size",
            _einval_if("size <= 0") + "  return elfdce_epoll_create ();\n", EMULATED_NEEDS),
    Adapter("epoll_create1", "int", "int flags",
            _einval_if("flags & ~EPOLL_CLOEXEC") + "  return elfdce_epoll_create ();\n",
            EMULATED_NEEDS),
    Adapter("epoll_ctl", "int", "int epfd, int op, int fd, struct epoll_event *event",
            "  return elfdce_epoll_ctl (epfd, op, fd, event);\n", EMULATED_NEEDS),
    Adapter("epoll_wait", "int", "int epfd, struct epoll_event *events, int max, int timeout",
            "  return elfdce_epoll_wait (epfd, events, max, timeout, 0);\n", EMULATED_NEEDS),
    Adapter("epoll_pwait", "int", "int epfd, struct epoll_event *events, int max, int timeout, "
            "const void *mask",
            "  return elfdce_epoll_wait (epfd, events, max, timeout, (const sigset_t *) mask);\n",
            EMULATED_NEEDS),
    Adapter("epoll_pwait2", "int", "int epfd, struct epoll_event *events, int max, "
            "const struct timespec *timeout, const void *mask",
            "  int ms = -1;\n"
            "  if (timeout != 0)\n"
            "    ms = timeout->tv_sec > 2000000 ? 2000000000\n"
            "         : (int) (timeout->tv_sec * 1000 + (timeout->tv_nsec + 999999) / 1000000);\n"
            "  return elfdce_epoll_wait (epfd, events, max, ms, (const sigset_t *) mask);\n",
            EMULATED_NEEDS),
    Adapter("eventfd", "int", "unsigned int initial, int flags",
            _einval_if("flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE)")
            + "  return elfdce_eventfd (initial, flags);\n", EMULATED_NEEDS),
    Adapter("eventfd_read", "int", "int fd, unsigned long long *value",
            "  return elfdce_dce_read (fd, value, 8) == 8 ? 0 : -1;\n", EMULATED_NEEDS),
    Adapter("eventfd_write", "int", "int fd, unsigned long long value",
            "  return elfdce_dce_write (fd, &value, 8) == 8 ? 0 : -1;\n", EMULATED_NEEDS),
    # syscall (2) with a descriptor of DCE's: libuv closes with syscall (SYS_close) and probes
    # sendmmsg, recvmmsg, preadv, statx so; on the host they closed the simulator's own
    # descriptors (dig's stdout file) and sent on host sockets. Close, read and write go to
    # DCE's, the forms DCE does not have answer ENOSYS (what libuv falls back on), getrandom
    # comes from DCE's generator; other calls go to the host as before
    Adapter("syscall", "long", "long number, ...",
            "  va_list ap;\n  va_start (ap, number);\n  long a[6];\n"
            "  for (int i = 0; i < 6; i++)\n    a[i] = va_arg (ap, long);\n  va_end (ap);\n"
            "  switch (number)\n    {\n"
            "    case SYS_close:\n      return elfdce_dce_close ((int) a[0]);\n"
            "    case SYS_read:\n"
            "      return elfdce_dce_read ((int) a[0], (void *) a[1], (__SIZE_TYPE__) a[2]);\n"
            "    case SYS_write:\n"
            "      return elfdce_dce_write ((int) a[0], (const void *) a[1], (__SIZE_TYPE__) a[2]);\n"
            "    case SYS_getrandom:\n"
            "      for (__SIZE_TYPE__ i = 0; i < (__SIZE_TYPE__) a[1]; i++)\n"
            "        ((unsigned char *) a[0])[i] = (unsigned char) (dce_random () >> 7);\n"
            "      return a[1];\n"
            # a futex wait sleeps one simulated millisecond and returns as a wake-up (callers
            # test the word again: a wake-up may be spurious); the host's blocked the fiber's
            # thread, and the simulator stood still (liburcu's futex, in bind 9.20's libisc)
            "    case SYS_futex:\n"
            "      switch (a[1] & 127)\n        {\n"
            "        case 0: case 9: /* FUTEX_WAIT, FUTEX_WAIT_BITSET */\n"
            "          if (*(volatile int *) a[0] != (int) a[2])\n"
            "            {\n              *dce___errno_location () = EAGAIN;\n"
            "              return -1;\n            }\n"
            "          dce_poll (0, 0, 1);\n          return 0;\n"
            "        case 1: case 10: /* FUTEX_WAKE, FUTEX_WAKE_BITSET: the waiters poll */\n"
            "          return 0;\n"
            "        default:\n"
            "          *dce___errno_location () = ENOSYS;\n          return -1;\n        }\n"
            "    case SYS_sendmmsg: case SYS_recvmmsg: case SYS_preadv: case SYS_pwritev:\n"
            "    case SYS_preadv2: case SYS_pwritev2: case SYS_copy_file_range: case SYS_statx:\n"
            "    case SYS_dup3: case SYS_splice: case SYS_tee: case SYS_epoll_create1:\n"
            "    case SYS_epoll_ctl: case SYS_epoll_pwait: case SYS_eventfd2:\n"
            "      *dce___errno_location () = ENOSYS;\n      return -1;\n"
            "    default:\n"
            "      return syscall (number, a[0], a[1], a[2], a[3], a[4], a[5]);\n    }\n",
            EMULATED_NEEDS + ("random",)),
    Adapter("__recvfrom_chk", "long",
            "int fd, void *buf, __SIZE_TYPE__ n, __SIZE_TYPE__ size, int flags, "
            "struct sockaddr *from, unsigned int *length",
            "  return dce_recvfrom (fd, buf, n, flags, from, length);\n", ("recvfrom",)),
    # pthread barriers over DCE's mutex and condition variable (BARRIER_HELPER): bind 9.20's
    # libisc waited on the host's, and the simulator stood still (Debian 13's dig and host)
    Adapter("pthread_barrier_init", "int", "void *barrier, const void *attr, unsigned int count",
            "  if (count == 0)\n    return EINVAL;\n"
            "  struct elfdce_barrier *b = (struct elfdce_barrier *) calloc (1, sizeof *b);\n"
            "  if (b == 0)\n    return ENOMEM;\n"
            "  dce_pthread_mutex_init (&b->lock, 0);\n  dce_pthread_cond_init (&b->cond, 0);\n"
            "  b->count = count;\n  memcpy (barrier, &b, sizeof b);\n  return 0;\n",
            BARRIER_NEEDS),
    Adapter("pthread_barrier_wait", "int", "void *barrier",
            "  struct elfdce_barrier *b = elfdce_barrier_of (barrier);\n"
            "  dce_pthread_mutex_lock (&b->lock);\n"
            "  unsigned int generation = b->generation;\n"
            "  if (++b->arrived == b->count)\n    {\n"
            "      b->arrived = 0;\n      b->generation++;\n"
            "      dce_pthread_cond_broadcast (&b->cond);\n"
            "      dce_pthread_mutex_unlock (&b->lock);\n"
            "      return PTHREAD_BARRIER_SERIAL_THREAD;\n    }\n"
            "  while (b->generation == generation)\n"
            "    dce_pthread_cond_wait (&b->cond, &b->lock);\n"
            "  dce_pthread_mutex_unlock (&b->lock);\n  return 0;\n", BARRIER_NEEDS),
    Adapter("pthread_barrier_destroy", "int", "void *barrier",
            "  struct elfdce_barrier *b = elfdce_barrier_of (barrier);\n"
            "  if (b->arrived != 0)\n    return EBUSY;\n"
            "  dce_pthread_cond_destroy (&b->cond);\n  dce_pthread_mutex_destroy (&b->lock);\n"
            "  free (b);\n  return 0;\n", BARRIER_NEEDS),
)

# Table entries whose slot gets an adapter instead of what DCE fills in: a newer calling
# convention DCE's rejects (Linux 2.6.27's SOCK_CLOEXEC and SOCK_NONBLOCK in socket's type:
# `ip`, `tc` and every program built since abort in DCE 1.12's socket), a NATIVE entry whose
# host function grows the program's memory with the host's heap (getline).
OVERRIDES = (
    # (and an ICMP datagram socket, which DCE makes a UDP one: iputils' ping falls back to a
    # raw socket, which DCE has, on EACCES)
    Adapter("socket", "int", "int domain, int type, int protocol",
            "  int base = type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK);\n"
            "  if (base == SOCK_DGRAM && ((domain == AF_INET && protocol == IPPROTO_ICMP)\n"
            "                             || (domain == AF_INET6 && protocol == IPPROTO_ICMPV6)))\n"
            "    {\n      *dce___errno_location () = EACCES;\n      return -1;\n    }\n"
            "  int fd = dce_socket (domain, base, protocol);\n"
            + _APPLY_FLAGS.format(fd="fd", flags="type") + "  return fd;\n",
            ("socket", "fcntl", "__errno_location")),
    # buffer sizes DCE's netlink sockets have no attribute for, TCP_NODELAY ns-3's TCP does not
    # take: ip, tc and iperf3 stop at the refusal; the request has no effect in the simulation
    Adapter("setsockopt", "int", "int fd, int level, int name, const void *value, "
            "unsigned int length",
            "  int r = dce_setsockopt (fd, level, name, value, length);\n"
            "  if (r < 0 && level == SOL_SOCKET && (name == SO_SNDBUF || name == SO_RCVBUF\n"
            "                                      || name == SO_SNDBUFFORCE\n"
            "                                      || name == SO_RCVBUFFORCE))\n"
            "    return 0;\n"
            "  if (r < 0 && level == IPPROTO_TCP && name == TCP_NODELAY)\n    return 0;\n"
            "  return r;\n", ("setsockopt",)),
    # an option DCE 1.12 does not know (every option of IPPROTO_TCP: TCP_INFO, TCP_MAXSEG…;
    # the unlisted ones of SOL_SOCKET, SOL_IP, SOL_RAW) succeeds without a byte written
    # (model/unix-socket-fd.cc, UnixSocketFd::Getsockopt): the program read its own
    # uninitialised memory (iperf3 printed "Retr 32563" and a negative congestion window).
    # The value reads as zeros instead
    Adapter("getsockopt", "int", "int fd, int level, int name, void *value, unsigned int *length",
            "  if (value != 0 && length != 0)\n    memset (value, 0, *length);\n"
            "  return dce_getsockopt (fd, level, name, value, length);\n", ("getsockopt",)),
    # MSG_WAITALL, which ns-3's sockets abort on (iperf's recv (fd, buf, 4, MSG_WAITALL))
    Adapter("recv", "long", "int fd, void *buf, __SIZE_TYPE__ n, int flags",
            "  if (!(flags & MSG_WAITALL))\n    return dce_recv (fd, buf, n, flags);\n"
            "  __SIZE_TYPE__ got = 0;\n"
            "  while (got < n)\n    {\n"
            "      long r = dce_recv (fd, (char *) buf + got, n - got, flags & ~MSG_WAITALL);\n"
            "      if (r <= 0)\n        return got > 0 ? (long) got : r;\n"
            "      got += (__SIZE_TYPE__) r;\n    }\n  return (long) got;\n", ("recv",)),
    # anonymous memory, which DCE 1.12's mmap refuses (it looks fd -1 up among the process's
    # descriptors: EBADF); jemalloc (dig, host) maps its arenas so. Anonymous memory belongs to
    # no node: the host's mmap (DCE's munmap is the host's too)
    Adapter("mmap", "void *", "void *addr, __SIZE_TYPE__ length, int prot, int flags, int fd, "
            "long offset",
            "  if (flags & MAP_ANONYMOUS)\n    return mmap (addr, length, prot, flags, -1, 0);\n"
            "  return dce_mmap64 (addr, length, prot, flags, fd, offset);\n", ("mmap64",)),
    Adapter("mmap64", "void *", "void *addr, __SIZE_TYPE__ length, int prot, int flags, "
            "int fd, long offset",
            "  if (flags & MAP_ANONYMOUS)\n    return mmap (addr, length, prot, flags, -1, 0);\n"
            "  return dce_mmap64 (addr, length, prot, flags, fd, offset);\n", ("mmap64",)),
    # DCE 1.12's perror prints the simulator's errno, not the process's
    Adapter("perror", "void", "const char *s",
            "  errno = *dce___errno_location ();\n  dce_perror (s);\n",
            ("perror", "__errno_location")),
    # PTHREAD_MUTEX_ERRORCHECK (iperf3), PTHREAD_MUTEX_ADAPTIVE_NP (bind's isc library: dig,
    # host): DCE 1.12 knows normal and recursive mutexes only and refuses them; both behave as
    # a normal one for a correct program
    Adapter("pthread_mutexattr_settype", "int", "void *attr, int kind",
            "  return dce_pthread_mutexattr_settype ((pthread_mutexattr_t *) attr,\n"
            "      kind == PTHREAD_MUTEX_ERRORCHECK || kind == PTHREAD_MUTEX_ADAPTIVE_NP\n"
            "      ? PTHREAD_MUTEX_NORMAL : kind);\n",
            ("pthread_mutexattr_settype",)),
    # the descriptors EMULATED_HELPER makes: an eventfd's counter read and written, a record
    # dropped on close (one test of a count when the process has none)
    Adapter("read", "long", "int fd, void *buf, __SIZE_TYPE__ n", _emulated_io("read"),
            EMULATED_NEEDS),
    Adapter("write", "long", "int fd, const void *buf, __SIZE_TYPE__ n", _emulated_io("write"),
            EMULATED_NEEDS),
    Adapter("close", "int", "int fd",
            "  struct elfdce_emulated *e = elfdce_emulated_find (fd);\n"
            "  if (e != 0)\n    {\n      int peer = e->peer;\n"
            "      elfdce_emulated_forget (e);\n      dce_close (peer);\n    }\n"
            "  return dce_close (fd);\n", EMULATED_NEEDS),
    # DCE 1.12's UDP sockets answer getpeername with -1 and no errno: libuv's uv_udp_open took
    # the errno left over (0) for success and the socket for a connected one, and bind's
    # connect then failed "socket is already connected" (dig, host). ENOTCONN, as an
    # unconnected socket's answer; DCE's other sockets answer as they did
    Adapter("getpeername", "int", "int fd, struct sockaddr *name, unsigned int *length",
            "  int *error = dce___errno_location ();\n  int saved = *error;\n  *error = 0;\n"
            "  int r = dce_getpeername (fd, name, length);\n"
            "  if (r != 0 && *error == 0)\n    *error = ENOTCONN;\n"
            "  else if (r == 0)\n    *error = saved;\n  return r;\n",
            ("getpeername", "__errno_location")),
    # a signal the process sends itself and waits for (EMULATED_HELPER's signals: DCE's kill
    # sends SIGKILL, its sigwait returns no signal; bind's dig and host ended killed)
    Adapter("kill", "int", "int pid, int sig",
            "  if (elfdce_kill_self (pid, sig))\n    return 0;\n  return dce_kill (pid, sig);\n",
            EMULATED_NEEDS),
    Adapter("sigwait", "int", "const void *set, int *sig",
            "  return elfdce_sigwait ((const sigset_t *) set, sig);\n", EMULATED_NEEDS),
    Adapter("pthread_sigmask", "int", "int how, const void *set, void *old",
            "  elfdce_sigmask (how, (const sigset_t *) set);\n"
            "  return pthread_sigmask (how, (const sigset_t *) set, (sigset_t *) old);\n",
            EMULATED_NEEDS),
    Adapter("getline", "long", "char **line, __SIZE_TYPE__ *size, struct _IO_FILE *f",
            _GETDELIM.replace("delim", "'\\n'"), ("malloc", "realloc", "__errno_location")),
    # a connected pair of AF_UNIX datagram sockets: DCE 1.12 makes two unconnected ones, always
    # "readable", and socat's select loop spun with simulated time standing still. DCE's
    # datagram sockets go one way: the first is bound to a name of the process's, the second
    # connected to it
    Adapter("socketpair", "int", "int domain, int type, int protocol, int *fds",
            "  int base = type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK);\n"
            "  int r;\n"
            "  if (domain == AF_UNIX && base == SOCK_DGRAM)\n"
            "    {\n"
            "      static unsigned pairs;\n"
            "      struct sockaddr_un name;\n"
            "      memset (&name, 0, sizeof name);\n"
            "      name.sun_family = AF_UNIX;\n"
            "      dce_mkdir (\"/tmp\", 01777);\n"
            "      snprintf (name.sun_path, sizeof name.sun_path, \"/tmp/.elfdce-pair-%d-%u\",\n"
            "                (int) dce_getpid (), pairs++);\n"
            "      fds[0] = dce_socket (AF_UNIX, SOCK_DGRAM, 0);\n"
            "      fds[1] = dce_socket (AF_UNIX, SOCK_DGRAM, 0);\n"
            "      r = fds[0] < 0 || fds[1] < 0\n"
            "          || dce_bind (fds[0], (struct sockaddr *) &name, sizeof name) != 0\n"
            "          || dce_connect (fds[1], (struct sockaddr *) &name, sizeof name) != 0 ? -1 : 0;\n"
            "    }\n"
            "  else\n"
            "    r = dce_socketpair (domain, base, protocol, fds);\n"
            "  if (r == 0)\n"
            "    {\n" + _APPLY_FLAGS.format(fd="fds[0]", flags="type")
            + _APPLY_FLAGS.format(fd="fds[1]", flags="type") + "    }\n  return r;\n",
            ("socketpair", "socket", "bind", "connect", "mkdir", "getpid", "fcntl")),
    # waits that return at once paced (PACE_HELPER): iperf3's client spun in select with
    # simulated time standing still
    Adapter("select", "int", "int n, void *readfds, void *writefds, void *exceptfds, "
            "void *timeout",
            _paced("dce_select (n, (fd_set *) readfds, (fd_set *) writefds,\n"
                   "                           (fd_set *) exceptfds, (struct timeval *) timeout)"),
            ("select", *_PACE_NEEDS)),
    Adapter("poll", "int", "struct pollfd *fds, unsigned long n, int timeout",
            _paced("dce_poll (fds, n, timeout)"), ("poll", *_PACE_NEEDS)),
    Adapter("ppoll", "int", "struct pollfd *fds, unsigned long n, "
            "const struct timespec *timeout, const void *mask",
            _paced("dce_ppoll (fds, n, timeout, (const sigset_t *) mask)"),
            ("ppoll", *_PACE_NEEDS)),
)

# Declarations glibc's headers dropped while the symbols stayed (2.33: the __xstat family and
# _STAT_VER; 2.32: sys_siglist). DCE's sources still use them. (name, C declaration, is data)
REMOVED_DECLARATIONS = (
    ("__xstat", "int __xstat (int, const char *, struct stat *)", False),
    ("__lxstat", "int __lxstat (int, const char *, struct stat *)", False),
    ("__fxstat", "int __fxstat (int, int, struct stat *)", False),
    ("__xstat64", "int __xstat64 (int, const char *, struct stat64 *)", False),
    ("__lxstat64", "int __lxstat64 (int, const char *, struct stat64 *)", False),
    ("__fxstat64", "int __fxstat64 (int, int, struct stat64 *)", False),
    ("__fxstatat", "int __fxstatat (int, int, const char *, struct stat *, int)", False),
    ("__fxstatat64", "int __fxstatat64 (int, int, const char *, struct stat64 *, int)", False),
    # mode_t and dev_t spelt as their types: simulator.h includes no system header
    ("__xmknod", "int __xmknod (int, const char *, unsigned int, __UINT64_TYPE__ *)", False),
    ("__xmknodat", "int __xmknodat (int, int, const char *, unsigned int, __UINT64_TYPE__ *)",
     False),
    ("sys_siglist", "const char *const sys_siglist[]", True),
)

# _STAT_VER as glibc < 2.33 defined it (sysdeps/unix/sysv/linux/<arch>/bits/stat.h), by
# e_machine: x86_64 _STAT_VER_LINUX 1, i386 3; the generic ABI (aarch64, riscv) 0.
STAT_VER = {62: 1, 3: 3, 183: 0, 243: 0}
MKNOD_VER = {62: 0, 3: 1, 183: 0, 243: 0}


class Definitions(Record):
    """The global names each of DCE's library translation units defines (from its object)."""

    by_source: dict[str, frozenset[str]]

    def for_library(self, key: str) -> frozenset[str]:
        """What the replacement of ``key`` defines (libc-ns3.so also has the data file)."""
        sources = LIBRARY_SOURCES + (LIBC_ONLY_SOURCES if key == "libc" else ())
        out: set[str] = set()
        for s in sources:
            out |= self.by_source.get(s, frozenset())
        return frozenset(out)


class Entry(Record):
    """One added table entry: ``DCE (ident)``, exporting ``name@[@]version``."""

    ident: str
    name: str
    version: str
    default: bool
    route: str  # "native", "dce" or "adapter"
    target: str  # dce: DCE's function (dce_open); adapter: the wrapper; native: ""
    libraries: tuple[str, ...]  # keys of the libraries needing it (exporting the pair, DCE not)

    @property
    def label(self) -> str:
        return pair_label(self.name, self.version, self.default)


class DataObject(Record):
    """Storage a replacement defines for a host data pair DCE does not define."""

    library: str
    name: str
    version: str
    default: bool
    kind: str  # OBJECT or TLS
    size: int
    symver: bool  # the name has other versions too (or only compat ones): needs .symver

    @property
    def label(self) -> str:
        return pair_label(self.name, self.version, self.default)

    @property
    def local(self) -> str:
        return f"__elfdce_data_{self.name}__{c_identifier(self.version)}"


class Declaration(Record):
    """A declaration the host headers lack, bound to the host's version of the symbol."""

    name: str
    text: str
    version: str
    default: bool
    data: bool


class Completion(Record):
    """Everything the host adds to DCE's build."""

    entries: tuple[Entry, ...]
    data: tuple[DataObject, ...]
    declarations: tuple[Declaration, ...]
    adapters: tuple[Adapter, ...]
    overrides: tuple[Adapter, ...]  # DCE-class slots given an adapter instead of DCE's function
    stat_ver: int
    mknod_ver: int
    io_init_version: str | None  # _IO_init's version, when the stdio switch applies
    define_dl_open_hook: bool  # libc no longer has _dl_open_hook (2.34): DCE's assignment needs one
    notes: tuple[str, ...]

    def counts(self) -> dict[str, int]:
        out = {"native": 0, "dce": 0, "adapter": 0}
        for e in self.entries:
            out[e.route] += 1
        out["override"] = len(self.overrides)
        out["data"] = len(self.data)
        return out


def entry_ident(name: str, version: str) -> str:
    """The table identifier of an added pair (a C identifier, unique per pair)."""
    return f"elfdce_{c_identifier(name)}__{c_identifier(version)}"


def complete(
    host: Host, table: Policy, defs: Definitions, undeclared: frozenset[str] = frozenset(),
) -> Completion:
    """The completion of DCE's ``table`` for ``host``, given what DCE's objects define and which
    of `REMOVED_DECLARATIONS` the host's headers do not declare (``undeclared``)."""
    by_name = table.by_name()
    dce_class = {n: e for n, e in by_name.items() if e.cls == "DCE"}
    entries, adapters = _added_entries(host, by_name, dce_class, defs)
    data = _data_objects(host, defs)
    notes = _routing_notes(host, by_name, dce_class, adapters)
    declarations = _declarations(host, undeclared)
    machine = host.libc.elf.header.machine
    io_init = next((p for p in host.libc.exports.pairs if p.name == "_IO_init"), None)
    io_init_version = io_init.version if io_init and host.glibc_version() >= (2, 24) else None
    has_hook = any(p.name == "_dl_open_hook" for p in host.libc.exports.pairs)
    if not has_hook:
        notes.append("_dl_open_hook: not in this libc (gone in 2.34): libns3-dce defines its "
                     "own so DCE's assignment links; glibc no longer reads such a hook")
    return Completion(
        tuple(entries), tuple(data), tuple(declarations), tuple(adapters),
        tuple(_overrides(by_name, dce_class, defs)),
        STAT_VER.get(machine, 0), MKNOD_VER.get(machine, 0), io_init_version, not has_hook,
        tuple(notes),
    )


def _aliases(host: Host, dce_class: dict[str, PolicyEntry],
             defs: Definitions) -> dict[tuple[str, str], str]:
    """Host pair -> the DCE-class name DCE defines at the same address in the same library."""
    alias_of: dict[tuple[str, str], str] = {}
    for lib in host.libraries:
        addrs = lib.addresses()
        dce_at: dict[int, str] = {}
        for (name, _version), value in sorted(addrs.items()):
            if name in dce_class and name in defs.for_library(lib.key):
                dce_at.setdefault(value, name)
        for pair, value in addrs.items():
            if value in dce_at and pair[0] != dce_at[value]:
                alias_of.setdefault(pair, dce_at[value])
    return alias_of


# The typed field `vsnprintf_fn` of struct Libc (DCE's snprintf, __snprintf, vsnprintf and
# __sprintf_chk written by hand in libc.cc call it; the anchor of the overrides' edit is its
# assignment, so a tree that takes OVERRIDES has it): its size clamped to INT_MAX. The
# fortified __sprintf_chk passes (size_t) -1 for an unknown buffer, and s + (size_t) -1 wraps:
# glibc 2.41's vsnprintf then drops characters (make printed "make:'all' is up to date.").
TYPED_OVERRIDES = (
    Adapter("vsnprintf", "int", "char *s, __SIZE_TYPE__ n, const char *format, "
            "__builtin_va_list ap",
            "  return vsnprintf (s, n > 0x7fffffff ? 0x7fffffff : n, format, ap);\n", ()),
)


def _dce_implements(adapter: Adapter, dce_class: dict[str, PolicyEntry], defs: Definitions) -> bool:
    """Whether DCE's table and libraries have every DCE-class function ``adapter`` calls."""
    defined = defs.for_library("libc")
    return all(n in dce_class and n in defined for n in adapter.needs)


def _overrides(by_name: dict[str, PolicyEntry], dce_class: dict[str, PolicyEntry],
               defs: Definitions) -> list[Adapter]:
    """The `OVERRIDES` this table can take: DCE-class entries of the table (a slot DCE fills)
    whose adapter's functions DCE has."""
    return [o for o in OVERRIDES if o.successor in by_name
            and _dce_implements(o, dce_class, defs)] + list(TYPED_OVERRIDES)


def exported_by_dce(p: ExportPair, defined: frozenset[str],
                    by_name: dict[str, PolicyEntry]) -> bool:
    """Whether DCE's own definition exports the host pair ``p`` from a library whose objects
    define ``defined`` (``by_name``: DCE's table by name): the name's default pair, and every
    version of a DCE-class name. A compat pair of a NATIVE name needs an entry of its own: the
    host's function of that version (``memcpy@GLIBC_2.2.5`` is memmove)."""
    native_in_table = p.name in by_name and by_name[p.name].cls != "DCE"
    return p.name in defined and (p.default or not native_in_table)


def _added_entries(
    host: Host, by_name: dict[str, PolicyEntry], dce_class: dict[str, PolicyEntry],
    defs: Definitions,
) -> tuple[list[Entry], list[Adapter]]:
    """The table entries added for the host's function pairs DCE does not export, each routed
    (see the module docstring), in library and pair order; the adapters they use."""
    alias_of = _aliases(host, dce_class, defs)
    # the first adapter of a successor whose functions DCE has (stat64: __xstat64, else __xstat)
    successor: dict[str, Adapter] = {}
    for a in ADAPTERS:
        if a.successor not in successor and _dce_implements(a, dce_class, defs):
            successor[a.successor] = a
    entries: dict[tuple[str, str], Entry] = {}
    adapters: list[Adapter] = []
    for lib in host.libraries:
        defined = defs.for_library(lib.key)
        for p in lib.exports.pairs:
            if is_version_placeholder(p.name) or p.kind in DATA_KINDS:
                continue  # a >= 2.34 stub's hidden marker: nothing to export or forward
            if exported_by_dce(p, defined, by_name):
                continue
            key = (p.name, p.version)
            if key in entries:  # the same pair in another library (glibc 2.31's siglongjmp is
                # libc's default and libpthread's compat pair): this library needs it too
                entries[key] = entries[key]._replace(libraries=entries[key].libraries + (lib.key,))
                continue
            ident = entry_ident(p.name, p.version)
            adapter = successor.get(p.name)
            if key in alias_of:
                entries[key] = Entry(ident, p.name, p.version, p.default, "dce",
                                     "dce_" + by_name[alias_of[key]].name, (lib.key,))
            elif adapter is not None and p.name not in defined:
                if adapter not in adapters:
                    adapters.append(adapter)
                entries[key] = Entry(ident, p.name, p.version, p.default, "adapter",
                                     f"elfdce_dce_{adapter.successor}", (lib.key,))
            else:
                entries[key] = Entry(ident, p.name, p.version, p.default, "native", "", (lib.key,))
    return list(entries.values()), adapters


def _data_objects(host: Host, defs: Definitions) -> list[DataObject]:
    """Storage for each host data pair the replacement of its library does not define."""
    data: list[DataObject] = []
    for lib in host.libraries:
        defined = defs.for_library(lib.key)
        versions: dict[str, int] = {}
        for p in lib.exports.pairs:
            versions[p.name] = versions.get(p.name, 0) + 1
        for p in lib.exports.pairs:
            if is_version_placeholder(p.name) or p.kind not in DATA_KINDS or p.name in defined:
                continue
            many = versions[p.name] > 1 or not p.default
            data.append(DataObject(lib.key, p.name, p.version, p.default,
                                   "TLS" if p.kind == "TLS" else "OBJECT", p.size, many))
    return data


def _routing_notes(host: Host, by_name: dict[str, PolicyEntry],
                   dce_class: dict[str, PolicyEntry], adapters: list[Adapter]) -> list[str]:
    """What the completion could not route to DCE: successors of DCE-class functions DCE's
    libraries do not define, DCE-class names the host has only compat versions of."""
    notes = []
    routed = {a.successor for a in adapters}
    for a in ADAPTERS:
        if a.successor in routed or a.successor in by_name or not host.exports_name(a.successor):
            continue
        routed.add(a.successor)  # one note per successor
        missing = [n for n in a.needs if n not in dce_class]
        why = (f"DCE's table has no DCE-class {', '.join(missing)}" if missing
               else "DCE's libraries do not define " + ", ".join(a.needs))
        notes.append(f"{a.successor}: not routed to DCE ({why}): it runs on the host")
    compat_only_dce = sorted(
        n for n in dce_class
        if any(p.name == n for lib in host.libraries for p in lib.exports.pairs)
        and not any(p.name == n and p.default for lib in host.libraries for p in lib.exports.pairs)
    )
    for n in compat_only_dce:
        if not any(n in a.needs for a in adapters):
            notes.append(f"{n}: DCE-class, only compat versions on this host: programs built "
                         "here call its successor, which runs on the host")
    return notes


def _declarations(host: Host, undeclared: frozenset[str]) -> list[Declaration]:
    """The `REMOVED_DECLARATIONS` the host's headers lack, bound to the host's version."""
    declarations = []
    for name, text, is_data in REMOVED_DECLARATIONS:
        if name not in undeclared:
            continue
        found = [p for lib in host.libraries for p in lib.exports.pairs if p.name == name]
        if not found:
            continue
        best = next((p for p in found if p.default), found[-1])
        declarations.append(Declaration(name, text, best.version, best.default, is_data))
    return declarations


def prepared_policy(policy: Policy, host: Host, table: Policy) -> Policy:
    """``policy`` (DCE's ``table`` completed for ``host``) as a tree prepared by elfdce runs it:
    a completed name that `complete` routes to DCE (an alias of a DCE-class function, an
    adapter) or whose slot it overrides is DCE-class. DCE's sources are taken to define the
    table's names and the functions its libc.cc writes by hand (`shim.HAND_WRITTEN`: what
    compiling them shows for DCE 1.12); those are DCE's too."""
    from .shim import HAND_WRITTEN

    defined = frozenset(n for e in table.table() for n in e.names) | frozenset(HAND_WRITTEN)
    c = complete(host, table, Definitions({"libc.cc": defined}))
    routed = {n: "written by hand in DCE's libc.cc" for n in HAND_WRITTEN}
    for e in c.entries:
        if e.route in ("dce", "adapter"):
            routed.setdefault(e.name, f"routed to DCE by dce prepare ({e.route}: {e.target})")
    for o in c.overrides:
        routed.setdefault(o.successor, f"DCE's, through an adapter (dce prepare): "
                                       f"elfdce_dce_{o.successor}")
    return Policy(tuple(p if p.name not in routed else p._replace(cls="DCE", note=routed[p.name])
                        for p in policy.entries))


def escaping_natives(c: Completion, footprint) -> list[tuple[str, str]]:  # noqa: ANN001
    """The added pairs routed to the host whose function itself makes a call DCE simulates (a
    wrapper of a waiting, process or network call: `syscalls.classes.ESCAPES`), with what it
    does: what a program built here may call, and leave the simulation through."""
    from ..syscalls.classes import DECISIVE, escape_of, is_wrapper

    out = []
    for e in c.entries:
        if e.route != "native":
            continue
        fp = footprint.lookup(e.name, e.version)
        if fp is None:
            continue
        what = sorted({w for sc in fp.direct if (w := escape_of(sc)) in DECISIVE
                       and is_wrapper(e.name, sc)})
        if what:
            out.append((e.label, "; ".join(what)))
    return out
