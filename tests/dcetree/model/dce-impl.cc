/* Stand-ins for the simulator's functions: recognisable results, and counters the test reads. */
#include "dce-impl.h"
#include "dce-global-variables.h"
#include <stdio.h>
#include <sys/stat.h>

extern "C" {
int dce_calls_xstat, dce_calls_fxstat, dce_calls_pthread_create;
static char *dce_environment[] = { (char *) "DCE=1", 0 };

void dce_global_variables_setup (struct DceGlobalVariables *globals)
{
  *(void **) globals->pstdout = stdout;
  *(char ***) globals->penvp = dce_environment;
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
}
