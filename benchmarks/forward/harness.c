/* Calls strlen N times through a function pointer: natively, through a DCE-style trampoline,
 * through elfdce's; prints the nanoseconds per call of each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
size_t dce_style_strlen (const char *);
size_t elfdce_style_strlen (const char *);
void dce_style_setup (void *);
void elfdce_style_setup (void *);

static double now (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main (int argc, char **argv)
{
  long n = argc > 1 ? atol (argv[1]) : 20000000;
  size_t (*volatile fns[3]) (const char *) = { strlen, dce_style_strlen, elfdce_style_strlen };
  const char *names[3] = { "native", "dce", "elfdce" };
  dce_style_setup ((void *) strlen);
  elfdce_style_setup ((void *) strlen);
  size_t acc = 0;
  for (int k = 0; k < 3; k++)
    {
      double t0 = now ();
      for (long i = 0; i < n; i++)
        acc += fns[k] ("hello, forwarding");
      printf ("%s %.4f\n", names[k], (now () - t0) / n * 1e9);
    }
  return acc == 0;
}
