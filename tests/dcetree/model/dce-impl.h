/* The simulator's implementations of the test tree's DCE-class functions. */
#ifndef DCE_IMPL_H
#define DCE_IMPL_H
#include <pthread.h>
#include <time.h>
#include <sys/types.h>
struct stat;
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
int dce_fcntl (int fd, int cmd, ...);
int dce_nanosleep (const struct timespec *request, struct timespec *remain);
int *dce___errno_location (void);
ssize_t dce_read (int fd, void *buf, size_t n);
void *dce_malloc (size_t n);
void *dce_realloc (void *p, size_t n);
/* what the stand-in counts, for the tests */
extern int dce_calls_xstat, dce_calls_fxstat, dce_calls_pthread_create, dce_calls_nanosleep,
    dce_calls_read, dce_calls_heap;
}
#endif
