/* Stand-ins for the simulator's functions: recognisable results, and counters the test reads. */
#include "dce-impl.h"
#include "dce-global-variables.h"
#include "dce-manager.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/select.h>
#include <poll.h>
#include <unistd.h>

extern "C" {
int dce_calls_xstat, dce_calls_fxstat, dce_calls_pthread_create, dce_calls_nanosleep,
    dce_calls_read, dce_calls_heap, dce_calls_poll, dce_calls_pipe, dce_calls_close,
    dce_calls_kill, dce_calls_wait, dce_calls_sync;
/* simulated time: it passes only while a process sleeps or waits */
static struct timespec dce_now = { 1000000000, 0 };
static char *dce_environment[] = { (char *) "DCE=1", 0 };
struct Process dce_process;

/* as ns-3-dce's: keep where the library's objects are, give them the process's values */
void dce_global_variables_setup (struct DceGlobalVariables *globals)
{
  dce_process.pstdout = (FILE **) globals->pstdout;
  dce_process.penvp = (char ***) globals->penvp;
  dce_process.poptarg = (char **) globals->poptarg;
  dce_process.poptind = (int *) globals->poptind;
  *dce_process.pstdout = stdout;
  *dce_process.penvp = dce_environment;
}

/* as ns-3-dce 1.12's: a type with SOCK_CLOEXEC or SOCK_NONBLOCK is not one it knows */
int dce_socket (int domain, int type, int protocol)
{
  if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_RAW)
    {
      errno = EINVAL;
      return -1;
    }
  return socket (domain, type, protocol);
}

/* as ns-3-dce 1.12's: an option of a level it does not list succeeds, nothing written */
int dce_getsockopt (int fd, int level, int name, void *value, socklen_t *length)
{
  if (level != SOL_SOCKET)
    return 0;
  return getsockopt (fd, level, name, value, length);
}

int dce_fcntl (int fd, int cmd, ...)
{
  va_list ap;
  va_start (ap, cmd);
  long arg = va_arg (ap, long);
  va_end (ap);
  return fcntl (fd, cmd, arg);
}

static void dce_advance (long sec, long nsec)
{
  dce_now.tv_sec += sec + (dce_now.tv_nsec + nsec) / 1000000000;
  dce_now.tv_nsec = (dce_now.tv_nsec + nsec) % 1000000000;
}

int dce_nanosleep (const struct timespec *request, struct timespec *remain)
{
  dce_calls_nanosleep++;
  dce_advance (request->tv_sec, request->tv_nsec);
  return 0;
}

/* as ns-3-dce's: a wait with a timeout here waits it out (nothing becomes ready); without one,
 * every descriptor asked about is ready at once */
int dce_select (int n, fd_set *readfds, fd_set *writefds, fd_set *exceptfds,
                struct timeval *timeout)
{
  dce_calls_wait++;
  if (timeout != 0)
    {
      dce_advance (timeout->tv_sec, timeout->tv_usec * 1000L);
      return 0;
    }
  return n;
}

/* descriptors that are ready now (pipes, sockets: the emulated epoll and eventfd) are
 * ready at once; otherwise a wait with a timeout waits it out in simulated time (nothing becomes
 * ready), and one without a timeout finds every descriptor asked about ready, as dce_select */
int dce_poll (struct pollfd *fds, nfds_t n, int timeout)
{
  dce_calls_poll++;
  dce_calls_wait++;
  int ready = poll (fds, n, 0);
  if (ready != 0)
    return ready;
  if (timeout > 0)
    {
      dce_advance (timeout / 1000, timeout % 1000 * 1000000L);
      return 0;
    }
  if (timeout == 0)
    return 0;
  for (nfds_t i = 0; i < n; i++)
    fds[i].revents = fds[i].events;
  return (int) n;
}

int *dce___errno_location (void)
{
  return &errno;
}

void *dce_malloc (size_t n)
{
  dce_calls_heap++;
  return malloc (n);
}

void *dce_realloc (void *p, size_t n)
{
  dce_calls_heap++;
  return realloc (p, n);
}

ssize_t dce_read (int fd, void *buf, size_t n)
{
  dce_calls_read++;
  return read (fd, buf, n);
}

pid_t dce_pid = 4242;  /* the process running now: a test may switch it */

pid_t dce_getpid (void)
{
  return dce_pid;
}

int dce___xstat (int ver, const char *path, struct stat *buf)
{
  dce_calls_xstat++;
  return __xstat (ver, path, buf);
}

int dce___fxstat (int ver, int fd, struct stat *buf)
{
  dce_calls_fxstat++;
  return __fxstat (ver, fd, buf);
}

int dce_pthread_create (pthread_t *t, const pthread_attr_t *a, void *(*f) (void *), void *arg)
{
  dce_calls_pthread_create++;
  return pthread_create (t, a, f, arg);
}

int dce_pthread_key_create (pthread_key_t *key, void (*destructor) (void *))
{
  return pthread_key_create (key, destructor);
}

int dce_clock_gettime (clockid_t c, struct timespec *ts)
{
  *ts = dce_now;
  return 0;
}

int dce_rand (void)
{
  return 7;
}


int dce_pipe (int *fds)
{
  dce_calls_pipe++;
  return pipe (fds);
}

ssize_t dce_write (int fd, const void *buf, size_t n)
{
  return write (fd, buf, n);
}

int dce_close (int fd)
{
  dce_calls_close++;
  return close (fd);
}

/* as ns-3-dce 1.12's: SIGKILL whatever the signal (counted here, nobody killed) */
int dce_kill (pid_t pid, int sig)
{
  dce_calls_kill++;
  return 0;
}

/* as ns-3-dce 1.12's: waits, and says no signal */
int dce_sigwait (const sigset_t *set, int *sig)
{
  return 0;
}

int dce_sigprocmask (int how, const sigset_t *set, sigset_t *old)
{
  return sigprocmask (how, set, old);
}

/* as ns-3-dce 1.12's for its ns-3 sockets: -1, errno untouched */
int dce_getpeername (int fd, struct sockaddr *name, socklen_t *length)
{
  return -1;
}

long int dce_random (void)
{
  return 12345;
}
}

/* mutexes and condition variables: the host's (the stand-in's threads are host threads),
 * counted (the pthread barriers elfdce builds over them) */
int dce_pthread_mutex_init (pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
  dce_calls_sync++;
  return pthread_mutex_init (m, a);
}

int dce_pthread_mutex_lock (pthread_mutex_t *m)
{
  return pthread_mutex_lock (m);
}

int dce_pthread_mutex_unlock (pthread_mutex_t *m)
{
  return pthread_mutex_unlock (m);
}

int dce_pthread_mutex_destroy (pthread_mutex_t *m)
{
  dce_calls_sync++;
  return pthread_mutex_destroy (m);
}

int dce_pthread_cond_init (pthread_cond_t *c, const pthread_condattr_t *a)
{
  dce_calls_sync++;
  return pthread_cond_init (c, a);
}

int dce_pthread_cond_wait (pthread_cond_t *c, pthread_mutex_t *m)
{
  return pthread_cond_wait (c, m);
}

int dce_pthread_cond_broadcast (pthread_cond_t *c)
{
  dce_calls_sync++;
  return pthread_cond_broadcast (c);
}

int dce_pthread_cond_destroy (pthread_cond_t *c)
{
  dce_calls_sync++;
  return pthread_cond_destroy (c);
}
