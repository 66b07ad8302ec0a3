/* A program as distributions build them (-fPIE -pie, no -rdynamic, _FORTIFY_SOURCE): main is
 * no dynamic symbol, and stdout and environ are COPY-relocated into the program. It prints what
 * it reads through its own copies. */
#include <stdio.h>
#include <string.h>

extern char **environ;

int
main (int argc, char **argv)
{
  fputs ("hello through stdout\n", stdout);
  fprintf (stdout, "environ[0]=%s argc=%d\n", environ && environ[0] ? environ[0] : "(none)", argc);
  return argc > 1 ? (int) strlen (argv[1]) : 7;
}
