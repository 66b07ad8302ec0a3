/* The replacement libraries' functions: a trampoline per table entry through g_libc, in the
 * same way as ns-3-dce (GCC's __builtin_apply), plus functions written by hand. */
#include "libc.h"

struct Libc g_libc;

#define weak_alias(name, aliasname) \
  extern __typeof (name) aliasname __attribute__ ((weak, alias (# name)))

extern "C" {

#define NATIVE DCE
#define NATIVET DCET
#define NATIVE_WITH_ALIAS DCE_WITH_ALIAS
#define NATIVE_WITH_ALIAS2 DCE_WITH_ALIAS2

#define GCC_BUILTIN_APPLY(export_symbol, slot) \
  void export_symbol (...) { \
    void *args = __builtin_apply_args (); \
    void *result = __builtin_apply ((void (*) (...)) g_libc.slot ## _fn, args, 128); \
    __builtin_return (result); \
  }
#define GCC_BUILTIN_APPLYT(rtype, export_symbol, slot) GCC_BUILTIN_APPLY (export_symbol, slot)

#define DCE(name) GCC_BUILTIN_APPLY (name, name)
#define DCET(rtype, name) GCC_BUILTIN_APPLYT (rtype, name, name)
#define DCE_EXPLICIT(name, rtype, ...) GCC_BUILTIN_APPLY (name, name)
#define DCE_WITH_ALIAS(name) GCC_BUILTIN_APPLY (__ ## name, name) weak_alias (__ ## name, name);
#define DCE_WITH_ALIAS2(name, internal) GCC_BUILTIN_APPLY (internal, name) weak_alias (internal, name);

#include "libc-ns3.h"

/* written by hand, not in the table */
int snprintf (char *s, size_t n, const char *f, ...)
{
  va_list v;
  va_start (v, f);
  int r = g_libc.vsnprintf_fn (s, n, f, v);
  va_end (v);
  return r;
}

/* as ns-3-dce 1.12 wrote it: not glibc's (s, flag, slen, format, ...) */
int __sprintf_chk (char *s, int len, const char *f, ...)
{
  va_list v;
  va_start (v, f);
  int r = g_libc.vsnprintf_fn (s, len, f, v);
  va_end (v);
  return r;
}

int vsnprintf (char *s, size_t n, const char *f, va_list v)
{
  return g_libc.vsnprintf_fn (s, n, f, v);
}

void LIBSETUP (const struct Libc *fn)
{
  /* byte by byte: a struct copy could call memcpy, which is a trampoline itself */
  const unsigned char *src = (const unsigned char *) fn;
  unsigned char *dst = (unsigned char *) &g_libc;
  for (unsigned i = 0; i < sizeof (struct Libc); i++)
    dst[i] = src[i];
  extern void setup_global_variables (void);
  setup_global_variables ();
}
}
