/* The simulator's implementations of the test tree's DCE-class functions. */
#ifndef DCE_IMPL_H
#define DCE_IMPL_H
#include <pthread.h>
#include <time.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/select.h>
#include <sys/socket.h>
struct stat;
struct timeval;
struct pollfd;
extern "C" {
struct DceGlobalVariables;
void dce_global_variables_setup (struct DceGlobalVariables *globals);
pid_t dce_getpid (void);
int dce___xstat (int ver, const char *path, struct stat *buf);
int dce___fxstat (int ver, int fd, struct stat *buf);
int dce_pthread_create (pthread_t *t, const pthread_attr_t *a, void *(*f) (void *), void *arg);
int dce_pthread_key_create (pthread_key_t *key, void (*destructor) (void *));
int dce_clock_gettime (clockid_t c, struct timespec *ts);
int dce_rand (void);
int dce_socket (int domain, int type, int protocol);
int dce_getsockopt (int fd, int level, int name, void *value, socklen_t *length);
int dce_fcntl (int fd, int cmd, ...);
int dce_nanosleep (const struct timespec *request, struct timespec *remain);
int dce_select (int n, fd_set *readfds, fd_set *writefds, fd_set *exceptfds,
                struct timeval *timeout);
int *dce___errno_location (void);
ssize_t dce_read (int fd, void *buf, size_t n);
void *dce_malloc (size_t n);
void *dce_realloc (void *p, size_t n);
int dce_poll (struct pollfd *fds, nfds_t n, int timeout);
int dce_pipe (int *fds);
ssize_t dce_write (int fd, const void *buf, size_t n);
int dce_close (int fd);
int dce_kill (pid_t pid, int sig);
int dce_sigwait (const sigset_t *set, int *sig);
int dce_sigprocmask (int how, const sigset_t *set, sigset_t *old);
int dce_getpeername (int fd, struct sockaddr *name, socklen_t *length);
long int dce_random (void);
int dce_pthread_mutex_init (pthread_mutex_t *m, const pthread_mutexattr_t *a);
int dce_pthread_mutex_lock (pthread_mutex_t *m);
int dce_pthread_mutex_unlock (pthread_mutex_t *m);
int dce_pthread_mutex_destroy (pthread_mutex_t *m);
int dce_pthread_cond_init (pthread_cond_t *c, const pthread_condattr_t *a);
int dce_pthread_cond_wait (pthread_cond_t *c, pthread_mutex_t *m);
int dce_pthread_cond_broadcast (pthread_cond_t *c);
int dce_pthread_cond_destroy (pthread_cond_t *c);
/* what the stand-in counts, for the tests */
extern int dce_calls_xstat, dce_calls_fxstat, dce_calls_pthread_create, dce_calls_nanosleep,
    dce_calls_read, dce_calls_heap, dce_calls_poll, dce_calls_pipe, dce_calls_close,
    dce_calls_kill, dce_calls_wait, dce_calls_sync;
extern pid_t dce_pid;
}
#endif
