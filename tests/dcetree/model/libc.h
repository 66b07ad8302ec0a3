/* The table of the test tree's replacement libraries: one pointer per entry, in table order,
 * then the typed pointers the hand-written functions use. */
#ifndef LIBC_H
#define LIBC_H
#include <stdarg.h>
#include <stddef.h>
/* as ns-3-dce's: sys/types.h without sys/select.h (the table's select is a trampoline) */
#define _SYS_SELECT_H
#include <sys/types.h>
#undef _SYS_SELECT_H
struct timespec;

struct Libc
{
#define DCE(name) void (*name ## _fn) (...);
#define DCET(rtype, name) DCE (name)
#define NATIVET(rtype, name) NATIVE (name)
#define DCE_EXPLICIT(name, rtype, ...) rtype (*name ## _fn) (__VA_ARGS__);
#include "libc-ns3.h"
  int (*vsnprintf_fn) (char *str, size_t size, const char *format, va_list v);
};

#endif
