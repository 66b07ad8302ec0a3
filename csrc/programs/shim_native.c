/* What must behave exactly as natively: variadic printf (many arguments, floats), qsort with a
 * callback into the program, errno after a failing open, environ and the arguments. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int by_value(const void *a, const void *b) {
  return *(const int *)a - *(const int *)b;
}

int main(int argc, char **argv) {
  int v[] = {42, -7, 19, 3, 3, 1000, 0, -250};
  size_t n = sizeof v / sizeof v[0];
  qsort(v, n, sizeof v[0], by_value);
  for (size_t i = 0; i < n; i++)
    printf("%d%c", v[i], i + 1 < n ? ' ' : '\n');
  printf("%s|%d|%u|%ld|%lld|%x|%o|%c|%.3f|%e|%g|%10.4f|%-5s|%p|%%|%s\n", "args", -1, 4000000000u,
         -1234567890123L, 9007199254740993LL, 0xbeef, 8, 'q', 3.14159265, 6.02214076e23,
         1.0 / 3, -2.5, "ab", (void *)0, argc > 1 ? argv[argc - 1] : "none");
  int fd = open("/nonexistent-elfdce/file", O_RDONLY);
  int saved = errno;
  printf("open=%d errno=%d (%s)\n", fd, saved, strerror(saved));
  const char *probe = getenv("ELFDCE_PROBE");
  int seen = 0;
  for (char **e = environ; *e; e++)
    if (strncmp(*e, "ELFDCE_PROBE=", 13) == 0)
      seen++;
  printf("getenv=%s environ=%d argc=%d\n", probe ? probe : "(unset)", seen, argc);
  fprintf(stdout, "stdout %s\n", "object");
  fputs("stderr object\n", stderr);
  return argc;
}
