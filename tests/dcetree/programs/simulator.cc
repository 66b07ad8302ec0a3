/* A simulator stand-in: fills the table through libc_dce (the module's, as ns-3-dce's
 * DceManager does), loads the five replacements from a directory, calls each one's setup entry,
 * then calls functions through the replacements and prints what came back, one key=value a
 * line, for tests/test_dce_prepare.py. `simulator edit FILE` runs the loader cache's edit. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <pthread.h>
#include "dce-impl.h"

struct Libc;
extern "C" void libc_dce (struct Libc **libc);
extern "C" long dce_edit_file (const char *filename);

static void *thread_body (void *arg)
{
  return arg;
}

int main (int argc, char **argv)
{
  if (argc == 3 && strcmp (argv[1], "edit") == 0)
    return dce_edit_file (argv[2]) < 0;
  if (argc != 2)
    return 2;
  struct Libc *table;
  libc_dce (&table);
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
  void *old_create = dlvsym (libc, "pthread_create", "GLIBC_2.2.5");
  pthread_t t;
  int before = dce_calls_pthread_create;
  ((int (*) (pthread_t *, const pthread_attr_t *, void *(*) (void *), void *)) old_create) (&t, 0, thread_body, 0);
  pthread_join (t, 0);
  printf ("pthread_create@GLIBC_2.2.5=%s\n", dce_calls_pthread_create == before + 1 ? "dce" : "host");
  void **their_stdout = (void **) dlsym (libc, "stdout");
  printf ("stdout=%s\n", their_stdout && *their_stdout == (void *) stdout ? "handed" : "not handed");
  char ***their_environ = (char ***) dlsym (libc, "environ");
  printf ("environ=%s\n", their_environ && *their_environ ? (*their_environ)[0] : "(null)");
  void *cbrt = dlsym (handles[3], "cbrt");
  printf ("cbrt=%g\n", cbrt ? ((double (*) (double)) cbrt) (27.0) : -1.0);
  return 0;
}
