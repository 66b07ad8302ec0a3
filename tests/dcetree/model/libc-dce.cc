/* The simulator side: fills the replacement libraries' table, DCE-class entries with the
 * simulator's dce_<name> functions, NATIVE ones with the host's. */
#define _GNU_SOURCE 1
#include "libc.h"
#include "dce-impl.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>
#include <setjmp.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/select.h>
#include <poll.h>
#include <fcntl.h>
#include <errno.h>
#include <termio.h>

typedef void (*func_t) (...);

struct dl_open_hook;

extern "C" {

void libc_dce (struct Libc **libc)
{
  *libc = new Libc;

#define DCE(name) (*libc)->name ## _fn = (func_t) (__typeof (&name)) dce_ ## name;
#define DCET(rtype, name) DCE (name)
#define DCE_EXPLICIT(name, rtype, ...) (*libc)->name ## _fn = dce_ ## name;
#define NATIVE(name) (*libc)->name ## _fn = (func_t) name;
#define NATIVET(rtype, name) NATIVE (name)
#define NATIVE_EXPLICIT(name, type) (*libc)->name ## _fn = (func_t) ((type) name);
#include "libc-ns3.h"

  (*libc)->vsnprintf_fn = vsnprintf;

  /* as ns-3-dce does: glibc's own dlopen hook (GLIBC_PRIVATE; gone in glibc 2.34) */
  extern struct dl_open_hook *_dl_open_hook;
  _dl_open_hook = 0;
}
}
