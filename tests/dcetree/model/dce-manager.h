/* What the test tree's simulator keeps of a process: the fields ns-3-dce's Process has for the
 * replacement libc's data objects, and the loader's start of a program. */
#ifndef DCE_MANAGER_H
#define DCE_MANAGER_H
#include <stdio.h>

struct Process
{
  FILE **pstdin;
  FILE **pstdout;
  FILE **pstderr;
  char ***penvp;
  char **poptarg;
  int *poptind;
  int *popterr;
  int *poptopt;
  char *originalProgname;
  void *mainHandle;
};

extern "C" {
extern struct Process dce_process;
void *dce_load_main (const char *filename, struct Process *proc);
}
#endif
