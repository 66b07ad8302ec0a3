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
#include <unistd.h>

extern "C" {
int dce_calls_xstat, dce_calls_fxstat, dce_calls_pthread_create, dce_calls_nanosleep,
    dce_calls_read, dce_calls_heap, dce_calls_poll, dce_calls_pipe, dce_calls_close,
    dce_calls_kill;
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

int dce_fcntl (int fd, int cmd, ...)
{
  va_list ap;
  va_start (ap, cmd);
  long arg = va_arg (ap, long);
  va_end (ap);
  return fcntl (fd, cmd, arg);
}

int dce_nanosleep (const struct timespec *request, struct timespec *remain)
{
  dce_calls_nanosleep++;
  return 0;
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

pid_t dce_getpid (void)
{
  return 4242;
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
  ts->tv_sec = 1000000000;
  ts->tv_nsec = 0;
  return 0;
}

int dce_rand (void)
{
  return 7;
}

int dce_poll (struct pollfd *fds, nfds_t n, int timeout)
{
  dce_calls_poll++;
  return poll (fds, n, timeout);
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
