/* A simulator stand-in: fills the table through libc_dce (the module's, as ns-3-dce's
 * DceManager does), loads the five replacements from a directory, calls each one's setup entry,
 * then calls functions through the replacements and prints what came back, one key=value a
 * line, for tests/test_dce_prepare.py. `simulator edit FILE` runs the loader cache's edit,
 * `simulator dlopen LIB` dlopens a library. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <pthread.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <signal.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/select.h>
#include <poll.h>
#include "dce-impl.h"
#include "dce-manager.h"

struct Libc;
extern "C" void libc_dce (struct Libc **libc);
extern "C" long dce_edit_file (const char *filename);

static void *thread_body (void *arg)
{
  return arg;
}

/* A copy of `from` at `to` with every "libc.so.6" string renamed "0000.so.6" (as ns-3-dce's
 * ElfCache names its copies, in strings of the same length): the program's DT_NEEDED and
 * version needs then name the replacement's copy, whose soname is renamed the same way. */
static int copy_renamed (const char *from, const char *to)
{
  FILE *in = fopen (from, "rb");
  if (in == NULL)
    return -1;
  fseek (in, 0, SEEK_END);
  long size = ftell (in);
  fseek (in, 0, SEEK_SET);
  char *data = (char *) malloc (size);
  if (fread (data, 1, size, in) != (size_t) size)
    return -1;
  fclose (in);
  static const char name[] = "libc.so.6";
  for (long i = 0; i + (long) sizeof name <= size; i++)
    if (memcmp (data + i, name, sizeof name) == 0)
      memcpy (data + i, "0000.so.6", sizeof name);
  FILE *out = fopen (to, "wb");
  if (out == NULL || fwrite (data, 1, size, out) != (size_t) size)
    return -1;
  fclose (out);
  free (data);
  chmod (to, 0755);
  return 0;
}

/* `simulator run LIBDIR WORKDIR PROGRAM ARGS...`: the program started as DCE starts one (its
 * copy edited by the loader cache, dlopened after the replacement libc, main looked up), and
 * the process's stdout and environment written by the simulator *after* the program's load,
 * as DCE does for every later process and exec: the program prints to WORKDIR/stdout only if
 * it reads what the simulator writes. */
static int run_program (struct Libc *table, const char *libdir, const char *work, int argc,
                        char **argv)
{
  char from[4096], libc[4096], program[4096], capture[4096];
  snprintf (from, sizeof from, "%s/libc-ns3.so", libdir);
  snprintf (libc, sizeof libc, "%s/0000.so.6", work);
  snprintf (program, sizeof program, "%s/program", work);
  snprintf (capture, sizeof capture, "%s/stdout", work);
  if (copy_renamed (from, libc) != 0 || copy_renamed (argv[0], program) != 0
      || dce_edit_file (program) < 0)
    {
      printf ("copy=failed\n");
      return 1;
    }
  void *h = dlopen (libc, RTLD_LAZY | RTLD_DEEPBIND | RTLD_GLOBAL);
  if (h == NULL)
    {
      printf ("dlopen=%s\n", dlerror ());
      return 1;
    }
  ((void (*) (struct Libc *)) dlsym (h, "libc_setup")) (table);
  dce_process.originalProgname = argv[0];
  int (*main_fn) (int, char **, char **)
      = (int (*) (int, char **, char **)) dce_load_main (program, &dce_process);
  if (main_fn == NULL)
    {
      printf ("main=not found (%s)\n", dlerror ());
      return 3;
    }
  FILE *out = fopen (capture, "w");
  *dce_process.pstdout = out;
  static char *later[] = { (char *) "DCE=2", 0 };
  *dce_process.penvp = later;
  int status = main_fn (argc, argv, later);
  fflush (out);
  printf ("main=%d\n", status);
  return 0;
}

/* a function of the replacements: libc's, or (before glibc 2.34 moved them) libpthread's */
static void *replacement_handles[2];

static void *replacement (const char *name)
{
  for (void *h : replacement_handles)
    {
      void *p = h != NULL ? dlsym (h, name) : NULL;
      if (p != NULL)
        return p;
    }
  fprintf (stderr, "%s: in none of the replacement libraries\n", name);
  exit (3);
}
#define F(type, name) ((type) replacement (name))

/* epoll and eventfd (libuv's loop: bind's dig and host), kill to itself and sigwait (isc_app),
 * getpeername's errno, syscall's close: through the replacements, over the stand-in's DCE */
static void events (void *libc, int sock)
{
  int (*epoll_create1_) (int) = F (int (*) (int), "epoll_create1");
  int (*epoll_ctl_) (int, int, int, struct epoll_event *)
      = F (int (*) (int, int, int, struct epoll_event *), "epoll_ctl");
  int (*epoll_wait_) (int, struct epoll_event *, int, int)
      = F (int (*) (int, struct epoll_event *, int, int), "epoll_wait");
  int (*eventfd_) (unsigned int, int) = F (int (*) (unsigned int, int), "eventfd");
  int (*eventfd_write_) (int, eventfd_t) = F (int (*) (int, eventfd_t), "eventfd_write");
  ssize_t (*read_) (int, void *, size_t) = F (ssize_t (*) (int, void *, size_t), "read");
  ssize_t (*write_) (int, const void *, size_t)
      = F (ssize_t (*) (int, const void *, size_t), "write");
  int (*close_) (int) = F (int (*) (int), "close");
  int *(*errno_) (void) = F (int *(*) (void), "__errno_location");
  int polls = dce_calls_poll, pipes = dce_calls_pipe;
  int ep = epoll_create1_ (EPOLL_CLOEXEC);
  int efd = eventfd_ (0, EFD_NONBLOCK);
  struct epoll_event ev = { EPOLLIN, { 0 } }, got[4];
  ev.data.u64 = 77;
  unsigned long long value = 0;
  int ctl = epoll_ctl_ (ep, EPOLL_CTL_ADD, efd, &ev);
  int again = epoll_ctl_ (ep, EPOLL_CTL_ADD, efd, &ev) == -1 && *errno_ () == EEXIST;
  int idle = epoll_wait_ (ep, got, 4, 0);
  ssize_t empty = read_ (efd, &value, 8);
  int empty_errno = *errno_ ();
  value = 3;
  write_ (efd, &value, 8);
  eventfd_write_ (efd, 2);
  int ready = epoll_wait_ (ep, got, 4, 1000);
  value = 0;
  ssize_t r = read_ (efd, &value, 8);
  int after = epoll_wait_ (ep, got + 1, 3, 0);
  printf ("epoll=%d %d %d idle=%d eventfd=%zd %s ready=%d data=%llu in=%d counter=%zd %llu "
          "after=%d dce=%s\n", ep >= 0, efd >= 0, ctl, idle, empty,
          empty_errno == EAGAIN ? "EAGAIN" : "?", ready, (unsigned long long) got[0].data.u64,
          (got[0].events & EPOLLIN) != 0, r, value, after,
          dce_calls_poll > polls && dce_calls_pipe == pipes + 2 ? "poll, pipes" : "host");
  printf ("epoll_ctl(EEXIST)=%d\n", again);
  /* edge-triggered (libuv 1.53's async eventfd, never read): one event a write, none while
     nothing is written, even with the counter unread; the counter read whole after */
  int efd2 = eventfd_ (0, EFD_NONBLOCK);
  struct epoll_event et = { EPOLLIN | EPOLLET, { 0 } };
  et.data.u64 = 88;
  epoll_ctl_ (ep, EPOLL_CTL_ADD, efd2, &et);
  eventfd_write_ (efd2, 1);
  int first = epoll_wait_ (ep, got, 4, 0);
  unsigned long long first_data = got[0].data.u64;
  int quiet = epoll_wait_ (ep, got, 4, 0);
  eventfd_write_ (efd2, 1);
  eventfd_write_ (efd2, 1);
  int second = epoll_wait_ (ep, got, 4, 1000);
  int quiet2 = epoll_wait_ (ep, got, 4, 0);
  value = 0;
  ssize_t r2 = read_ (efd2, &value, 8);
  ssize_t r3 = read_ (efd2, &value + 0, 8);
  printf ("epoll(EPOLLET)=%d data=%llu %d %d %d counter=%zd %llu then=%s\n", first, first_data,
          quiet, second, quiet2, r2, value, r3 == -1 && *errno_ () == EAGAIN ? "EAGAIN" : "?");
  epoll_ctl_ (ep, EPOLL_CTL_DEL, efd2, &et);
  close_ (efd2);
  int closes = dce_calls_close;
  close_ (efd);
  long (*syscall_) (long, ...) = F (long (*) (long, ...), "syscall");
  syscall_ (SYS_close, ep);
  printf ("close=%d (each one a pipe, two ends: the eventfd by close, the epoll by syscall)\n",
          dce_calls_close - closes);
  int (*pthread_sigmask_) (int, const sigset_t *, sigset_t *)
      = F (int (*) (int, const sigset_t *, sigset_t *), "pthread_sigmask");
  int (*kill_) (pid_t, int) = F (int (*) (pid_t, int), "kill");
  int (*sigwait_) (const sigset_t *, int *) = F (int (*) (const sigset_t *, int *), "sigwait");
  sigset_t set, old;
  sigemptyset (&set);
  sigaddset (&set, SIGTERM);
  pthread_sigmask_ (SIG_BLOCK, &set, &old);
  int kills = dce_calls_kill;
  kill_ (4242, SIGTERM);
  int sig = 0;
  int w = sigwait_ (&set, &sig);
  kill_ (4242, SIGUSR1);
  pthread_sigmask (SIG_SETMASK, &old, 0);
  printf ("sigwait=%d %d kill=%s\n", w, sig,
          dce_calls_kill == kills + 1 ? "pending, then DCE's for SIGUSR1" : "?");
  int (*getpeername_) (int, struct sockaddr *, socklen_t *)
      = F (int (*) (int, struct sockaddr *, socklen_t *), "getpeername");
  struct sockaddr_storage peer;
  socklen_t length = sizeof peer;
  *errno_ () = 0;
  int gp = getpeername_ (sock, (struct sockaddr *) &peer, &length);
  printf ("getpeername=%d %s\n", gp, *errno_ () == ENOTCONN ? "ENOTCONN" : "?");
}

/* pthread barriers over DCE's mutex and condition variable (bind 9.20's libisc: the host's
 * blocked a fiber's thread), syscall's futex waits in simulated time (liburcu's) */
typedef int (*barrier_wait_t) (pthread_barrier_t *);
static barrier_wait_t barrier_wait_;
static void *barrier_party (void *b)
{
  return (void *) (long) barrier_wait_ ((pthread_barrier_t *) b);
}

static void barriers (void *libc)
{
  int (*init_) (pthread_barrier_t *, const pthread_barrierattr_t *, unsigned)
      = F (int (*) (pthread_barrier_t *, const pthread_barrierattr_t *, unsigned),
           "pthread_barrier_init");
  int (*destroy_) (pthread_barrier_t *) = F (int (*) (pthread_barrier_t *),
                                             "pthread_barrier_destroy");
  barrier_wait_ = F (barrier_wait_t, "pthread_barrier_wait");
  int syncs = dce_calls_sync;
  pthread_barrier_t b;
  int zero = init_ (&b, 0, 0);
  int made = init_ (&b, 0, 2);
  pthread_t t;
  pthread_create (&t, 0, barrier_party, &b);
  int mine = barrier_wait_ (&b);
  void *theirs;
  pthread_join (t, &theirs);
  int serial = (mine == PTHREAD_BARRIER_SERIAL_THREAD) + ((long) theirs == PTHREAD_BARRIER_SERIAL_THREAD);
  int zeros = (mine == 0) + ((long) theirs == 0);
  int done = destroy_ (&b);
  printf ("pthread_barrier=%s %d serial=%d zero=%d %d dce=%d\n", zero == EINVAL ? "EINVAL" : "?",
          made, serial, zeros, done, dce_calls_sync - syncs);
  long (*syscall_) (long, ...) = F (long (*) (long, ...), "syscall");
  int *(*errno_) (void) = F (int *(*) (void), "__errno_location");
  int word = 1;
  int polls = dce_calls_poll;
  long other = syscall_ (SYS_futex, &word, FUTEX_WAIT_PRIVATE, 2, 0, 0, 0);
  int other_errno = *errno_ ();
  long same = syscall_ (SYS_futex, &word, FUTEX_WAIT, 1, 0, 0, 0);
  long wake = syscall_ (SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
  printf ("futex=%ld %s %ld %ld polls=%d\n", other, other_errno == EAGAIN ? "EAGAIN" : "?",
          same, wake, dce_calls_poll - polls);
}

/* Waits through the replacement libc, `times` in a row, each either ready (no timeout: the
 * stand-in finds every descriptor ready at once) or waiting (a timeout, waited out): all
 * waiting, every other one, or all ready (a process spinning). Prints how many pauses the
 * simulator put in (DCE's nanosleep), how many waits reached DCE, how much simulated time
 * passed, and whether each wait returned what DCE's did. */
enum wait_kind { BY_SELECT, BY_POLL, BY_PSELECT };
enum wait_mode { WAITING, ALTERNATING, SPINNING };

static void waits (void *libc, const char *key, enum wait_kind kind, enum wait_mode mode,
                   int times)
{
  typedef int (*select_t) (int, fd_set *, fd_set *, fd_set *, struct timeval *);
  typedef int (*pselect_t) (int, fd_set *, fd_set *, fd_set *, const struct timespec *,
                            const sigset_t *);
  typedef int (*poll_t) (struct pollfd *, nfds_t, int);
  typedef int (*clock_t_) (clockid_t, struct timespec *);
  void *fn = dlsym (libc, kind == BY_SELECT ? "select" : kind == BY_POLL ? "poll" : "pselect");
  clock_t_ clock = (clock_t_) dlsym (libc, "clock_gettime");
  if (fn == NULL)
    {
      printf ("%s=missing\n", key);
      return;
    }
  struct timespec t0, t1;
  clock (CLOCK_MONOTONIC, &t0);
  int sleeps = dce_calls_nanosleep, reached = dce_calls_wait, wrong = 0;
  for (int i = 0; i < times; i++)
    {
      int ready = mode == SPINNING || (mode == ALTERNATING && i % 2 == 0);
      struct timeval tv = { 0, 1000 };
      struct timespec ts = { 0, 1000000 };
      struct pollfd pfd = { 0, POLLIN, 0 };
      fd_set set;
      FD_ZERO (&set);
      FD_SET (0, &set);
      int r = kind == BY_SELECT ? ((select_t) fn) (1, &set, NULL, NULL, ready ? NULL : &tv)
            : kind == BY_POLL ? ((poll_t) fn) (&pfd, 1, ready ? -1 : 1)
            : ((pselect_t) fn) (1, &set, NULL, NULL, ready ? NULL : &ts, NULL);
      if (r != (ready ? 1 : 0))
        wrong++;
    }
  clock (CLOCK_MONOTONIC, &t1);
  printf ("%s=%d pauses %d waits %ld ns%s\n", key, dce_calls_nanosleep - sleeps,
          dce_calls_wait - reached,
          (t1.tv_sec - t0.tv_sec) * 1000000000L + t1.tv_nsec - t0.tv_nsec,
          wrong ? " wrong results" : "");
}

static void spin_tests (void *libc)
{
  waits (libc, "select(waiting)", BY_SELECT, WAITING, 1000);
  waits (libc, "select(alternating)", BY_SELECT, ALTERNATING, 1000);
  waits (libc, "select(spinning)", BY_SELECT, SPINNING, 1000);
  dce_pid = 4243;  /* other processes: each spin counted from its own start */
  waits (libc, "poll(spinning)", BY_POLL, SPINNING, 1000);
  dce_pid = 4244;
  waits (libc, "pselect(spinning)", BY_PSELECT, SPINNING, 1000);
  dce_pid = 4242;
}

int main (int argc, char **argv)
{
  /* (read first: the replacements' setup gives the process DCE's environment) */
  const char *tunables = getenv ("GLIBC_TUNABLES");
  if (argc == 3 && strcmp (argv[1], "edit") == 0)
    return dce_edit_file (argv[2]) < 0;
  if (argc == 3 && strcmp (argv[1], "dlopen") == 0)
    {
      /* a library as DCE loads one (initial-exec TLS: static TLS at dlopen) */
      void *h = dlopen (argv[2], RTLD_NOW | RTLD_LOCAL);
      printf ("dlopen=%s\nGLIBC_TUNABLES=%s\n", h ? "loaded" : dlerror (),
              tunables ? tunables : "(unset)");
      return 0;
    }
  struct Libc *table;
  libc_dce (&table);
  if (argc >= 5 && strcmp (argv[1], "run") == 0)
    return run_program (table, argv[2], argv[3], argc - 4, argv + 4);
  if (argc != 2)
    return 2;
  const char *keys[] = { "libc", "libpthread", "librt", "libm", "libdl" };
  void *handles[5];
  for (int i = 0; i < 5; i++)
    {
      char path[4096], setup[64];
      snprintf (path, sizeof path, "%s/%s-ns3.so", argv[1], keys[i]);
      handles[i] = dlopen (path, RTLD_NOW | RTLD_DEEPBIND | (i == 0 ? RTLD_GLOBAL : RTLD_LOCAL));
      if (handles[i] == NULL)
        {
          printf ("dlopen=%s\n", dlerror ());
          return 1;
        }
      snprintf (setup, sizeof setup, "%s_setup", keys[i]);
      void (*fn) (struct Libc *) = (void (*) (struct Libc *)) dlsym (handles[i], setup);
      if (fn == NULL)
        {
          printf ("setup=%s missing\n", setup);
          return 1;
        }
      fn (table);
    }
  void *libc = handles[0];

  printf ("getpid=%d\n", ((pid_t (*) (void)) dlsym (libc, "getpid")) ());
  void *alias = dlvsym (libc, "__getpid", "GLIBC_2.2.5");
  printf ("__getpid=%d\n", alias ? ((pid_t (*) (void)) alias) () : -1);
  printf ("strlen=%zu\n", ((size_t (*) (const char *)) dlsym (libc, "strlen")) ("hello"));
  int (*vers) (const char *, const char *) = (int (*) (const char *, const char *)) dlsym (libc, "strverscmp");
  printf ("strverscmp=%d host=%d\n", vers ? vers ("a9", "a10") < 0 : -1, strverscmp ("a9", "a10") < 0);
  char buf[32];
  ((int (*) (char *, size_t, const char *, ...)) dlsym (libc, "snprintf")) (buf, sizeof buf, "x=%d", 42);
  printf ("snprintf=%s\n", buf);
  char overlap[16] = "abcdef";
  void *old_memcpy = dlvsym (libc, "memcpy", "GLIBC_2.2.5");
  ((void *(*) (void *, const void *, size_t)) old_memcpy) (overlap + 1, overlap, 5);
  printf ("memcpy@GLIBC_2.2.5=%s\n", overlap);
  struct timespec ts;
  ((int (*) (clockid_t, struct timespec *)) dlsym (libc, "clock_gettime")) (CLOCK_REALTIME, &ts);
  printf ("clock_gettime=%ld\n", (long) ts.tv_sec);
  printf ("rand=%d\n", ((int (*) (void)) dlsym (libc, "rand")) ());
  void *new_stat = dlvsym (libc, "stat", "GLIBC_2.33");
  if (new_stat != NULL)
    {
      struct stat st;
      int before = dce_calls_xstat;
      ((int (*) (const char *, struct stat *)) new_stat) ("/", &st);
      printf ("stat@GLIBC_2.33=%s\n", dce_calls_xstat == before + 1 ? "dce" : "host");
      void *new_fstat = dlvsym (libc, "fstat", "GLIBC_2.33");
      before = dce_calls_fxstat;
      ((int (*) (int, struct stat *)) new_fstat) (0, &st);
      printf ("fstat@GLIBC_2.33=%s\n", dce_calls_fxstat == before + 1 ? "dce" : "host");
    }
  /* libc's compat pair from glibc 2.34; libpthread's (default) one before */
  void *old_create = dlvsym (libc, "pthread_create", "GLIBC_2.2.5");
  if (old_create == NULL)
    old_create = dlvsym (handles[1], "pthread_create", "GLIBC_2.2.5");
  if (old_create == NULL)
    {
      printf ("pthread_create@GLIBC_2.2.5=missing\n");
      return 1;
    }
  pthread_t t;
  int before = dce_calls_pthread_create;
  ((int (*) (pthread_t *, const pthread_attr_t *, void *(*) (void *), void *)) old_create) (&t, 0, thread_body, 0);
  pthread_join (t, 0);
  printf ("pthread_create@GLIBC_2.2.5=%s\n", dce_calls_pthread_create == before + 1 ? "dce" : "host");
  void **their_stdout = (void **) dlsym (libc, "stdout");
  printf ("stdout=%s\n", their_stdout && *their_stdout == (void *) stdout ? "handed" : "not handed");
  char ***their_environ = (char ***) dlsym (libc, "environ");
  printf ("environ=%s\n", their_environ && *their_environ ? (*their_environ)[0] : "(null)");
  int (*sock) (int, int, int) = (int (*) (int, int, int)) dlsym (libc, "socket");
  int fd = sock (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  printf ("socket(SOCK_CLOEXEC)=%s\n",
          fd < 0 ? "refused" : fcntl (fd, F_GETFD) & FD_CLOEXEC ? "cloexec" : "no cloexec");
  typedef int (*getsockopt_t) (int, int, int, void *, socklen_t *);
  getsockopt_t get = (getsockopt_t) dlsym (libc, "getsockopt");
  unsigned char info[104];
  memset (info, 0xaa, sizeof info);
  socklen_t info_length = sizeof info;
  int got_info = get (fd, IPPROTO_TCP, TCP_INFO, info, &info_length);
  int zeros = 0;
  for (unsigned i = 0; i < sizeof info; i++)
    zeros += info[i] == 0;
  int type = -1;
  socklen_t type_length = sizeof type;
  get (fd, SOL_SOCKET, SO_TYPE, &type, &type_length);
  printf ("getsockopt=%d %d zeros, SO_TYPE %s\n", got_info, zeros,
          type == SOCK_DGRAM ? "SOCK_DGRAM" : "wrong");
  void *sleep2 = dlvsym (libc, "clock_nanosleep", "GLIBC_2.17");
  if (sleep2 != NULL)
    {
      struct timespec ten = { 10, 0 };
      int before_sleep = dce_calls_nanosleep;
      int r = ((int (*) (clockid_t, int, const struct timespec *, struct timespec *)) sleep2)
          (CLOCK_MONOTONIC, 0, &ten, NULL);
      printf ("clock_nanosleep@GLIBC_2.17=%s\n",
              r == 0 && dce_calls_nanosleep == before_sleep + 1 ? "dce" : "host");
    }
  void *read_chk = dlsym (libc, "__read_chk");
  if (read_chk != NULL)
    {
      int before_read = dce_calls_read;
      char byte;
      ((ssize_t (*) (int, void *, size_t, size_t)) read_chk) (fd, &byte, 0, 1);
      printf ("__read_chk=%s\n", dce_calls_read == before_read + 1 ? "dce" : "host");
    }
  void *(*grow) (void *, size_t, size_t) = (void *(*) (void *, size_t, size_t)) dlsym (libc, "reallocarray");
  if (grow != NULL)
    {
      void *p = grow (NULL, 4, 8);
      int before_realloc = dce_calls_heap;
      p = grow (p, 8, 8);
      printf ("reallocarray=%s\n", p && dce_calls_heap == before_realloc + 1 ? "dce" : "host");
      free (p);
    }
  FILE *lines = fmemopen ((void *) "one\ntwo\n", 8, "r");
  char *line = NULL;
  size_t room = 0;
  int before_lines = dce_calls_heap;
  ssize_t got = ((ssize_t (*) (char **, size_t *, FILE *)) dlsym (libc, "getline")) (&line, &room, lines);
  printf ("getline=%zd %s\n", got, dce_calls_heap > before_lines ? "dce" : "host");
  free (line);
  char checked[32] = "";
  ((int (*) (char *, int, size_t, const char *, ...)) dlsym (libc, "__sprintf_chk"))
      (checked, 1, sizeof checked, "y=%d", 5);
  printf ("__sprintf_chk=%s\n", checked);
  spin_tests (libc);
  void *cbrt = dlsym (handles[3], "cbrt");
  printf ("cbrt=%g\n", cbrt ? ((double (*) (double)) cbrt) (27.0) : -1.0);
  replacement_handles[0] = libc;
  replacement_handles[1] = handles[1];
  events (libc, fd);
  barriers (libc);
  printf ("GLIBC_TUNABLES=%s\n", tunables ? tunables : "(unset)");
  return 0;
}
