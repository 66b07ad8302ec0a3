/* sigsetjmp through the replacement libc: the saved frame must be the caller's own (a
 * trampoline that copies the caller's frame makes siglongjmp return into a dead one; with
 * _FORTIFY_SOURCE, __longjmp_chk aborts). Built as distributions build programs. */
#include <setjmp.h>
#include <stdio.h>

static sigjmp_buf env;

static int
descend (int n)
{
  if (n == 0)
    siglongjmp (env, 42);
  return descend (n - 1) + 1;
}

int
main (void)
{
  volatile int r = sigsetjmp (env, 1);
  if (r == 0)
    return descend (5);
  fprintf (stdout, "siglongjmp=%d\n", r);
  return 0;
}
