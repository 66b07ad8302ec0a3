/* Hands the addresses of the library's data objects to the simulator. */
#include "libc.h"
#include "dce-global-variables.h"

extern struct Libc g_libc;

extern "C" {
extern void *stdout;
extern char **environ;
extern char *optarg;
extern int optind;

void setup_global_variables (void)
{
  struct DceGlobalVariables globals;
  globals.pstdout = &stdout;
  globals.penvp = &environ;
  globals.poptarg = &optarg;
  globals.poptind = &optind;
  ((void (*) (struct DceGlobalVariables *)) g_libc.dce_global_variables_setup_fn) (&globals);
}
}
