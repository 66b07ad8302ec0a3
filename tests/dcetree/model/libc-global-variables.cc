/* The data objects libc-ns3.so defines (the simulator points them at per-process values). */
extern "C" {
void *stdout;
char **__environ;
char *optarg;
int optind;
int h_errno;
__thread int errno;
char *__progname;
#define weak_alias(name, aliasname) \
  extern __typeof (name) aliasname __attribute__ ((weak, alias (# name)))
weak_alias (__environ, environ);
}
