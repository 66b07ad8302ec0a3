/* A program for `elfdce run` reading the data it shares with its libc: getopt's optind and
 * optarg, environ after setenv, tzname after tzset, and its own name in error(). */
#define _GNU_SOURCE
#include <errno.h>
#include <error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main (int argc, char **argv)
{
  int c;
  while ((c = getopt (argc, argv, "c:v")) != -1)
    printf ("option %c optarg=%s optind=%d\n", c, optarg ? optarg : "(null)", optind);
  printf ("first operand: %s\n", optind < argc ? argv[optind] : "(none)");
  setenv ("ELFDCE_SEEN", "yes", 1);
  int seen = 0;
  for (char **e = environ; *e; e++)
    seen += strcmp (*e, "ELFDCE_SEEN=yes") == 0;
  printf ("environ has it: %d, getenv: %s\n", seen, getenv ("ELFDCE_SEEN"));
  setenv ("TZ", "EST5EDT", 1);
  tzset ();
  printf ("tzname: %s %s, timezone %ld\n", tzname[0], tzname[1], timezone);
  printf ("name: %s\n", program_invocation_short_name);
  error (3, ENOENT, "done");
  return 0;
}
