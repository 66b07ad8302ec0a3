/* elfdce: static TLS for the libraries DCE loads into its processes.
 *
 * A library with initial-exec TLS (DF_STATIC_TLS: Debian's libjemalloc, which bind's dig and
 * host link, 2632 bytes) needs a block of the static TLS area when it is dlopened, and DCE
 * loads one copy of it per process. glibc sizes that area once, at start-up, with a surplus
 * for dlopened objects that glibc.rtld.optional_static_tls (glibc >= 2.32, default 512 bytes)
 * raises; past it dlopen fails "cannot allocate memory in static TLS block". So a simulator
 * linked with DCE's library starts itself again, once, before its main, with the tunable
 * appended to GLIBC_TUNABLES:
 *
 * - ELFDCE_STATIC_TLS=BYTES sets the size (default ELFDCE_STATIC_TLS_DEFAULT: room for six
 *   copies of jemalloc's block at once; every thread's stack gives the same bytes to static
 *   TLS, and DCE's examples run processes on 64 KiB stacks); 0 (or up to glibc's 512) leaves
 *   glibc's default and starts nothing again;
 * - a GLIBC_TUNABLES that names the tunable already is left as it is (that is also what ends
 *   the restart: the started program finds it);
 * - glibc < 2.32 has no such tunable (its surplus is fixed: 1664 bytes), a setuid start
 *   (AT_SECURE) ignores tunables: nothing is started again there;
 * - only a program that links DCE's library itself is started again (one whose DT_NEEDED names
 *   it), not an interpreter that dlopens it once running.
 *
 * The program is started from the path it was started with (AT_EXECFN, else /proc/self/exe),
 * with the same arguments; when that fails it goes on as it would have. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dlfcn.h>
#include <elf.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#define ELFDCE_TUNABLE "glibc.rtld.optional_static_tls"
#ifndef ELFDCE_STATIC_TLS_DEFAULT
#define ELFDCE_STATIC_TLS_DEFAULT 16384
#endif

struct elfdce_needed
{
  const char *name; /* the file name of the library this code is in */
  int found;
};

/* Whether the main program (the first object dl_iterate_phdr reports) has DT_NEEDED
 * needed->name. Its DT_STRTAB is an address, relocated in place or not (glibc >= 2.35 leaves
 * a read-only dynamic section alone). */
static int
elfdce_main_needs (struct dl_phdr_info *info, size_t size, void *data)
{
  struct elfdce_needed *needed = (struct elfdce_needed *) data;
  const ElfW (Dyn) *dynamic = 0;
  (void) size;
  for (int i = 0; i < info->dlpi_phnum; i++)
    if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
      dynamic = (const ElfW (Dyn) *) (info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
  if (dynamic == 0)
    return 1;
  const char *strings = 0;
  for (const ElfW (Dyn) *d = dynamic; d->d_tag != DT_NULL; d++)
    if (d->d_tag == DT_STRTAB)
      strings = (const char *) (d->d_un.d_ptr < info->dlpi_addr
                                ? info->dlpi_addr + d->d_un.d_ptr : d->d_un.d_ptr);
  if (strings == 0)
    return 1;
  for (const ElfW (Dyn) *d = dynamic; d->d_tag != DT_NULL; d++)
    if (d->d_tag == DT_NEEDED && strcmp (strings + d->d_un.d_val, needed->name) == 0)
      needed->found = 1;
  return 1; /* the main program only */
}

static int
elfdce_linked_by_program (void)
{
  Dl_info self;
  if (dladdr ((void *) &elfdce_linked_by_program, &self) == 0 || self.dli_fname == 0)
    return 0;
  const char *slash = strrchr (self.dli_fname, '/');
  struct elfdce_needed needed = { slash ? slash + 1 : self.dli_fname, 0 };
  dl_iterate_phdr (elfdce_main_needs, &needed);
  return needed.found;
}

__attribute__ ((constructor)) static void
elfdce_static_tls (int argc, char **argv, char **envp)
{
  const char *want = getenv ("ELFDCE_STATIC_TLS");
  long bytes = want != 0 && *want != 0 ? strtol (want, 0, 0) : ELFDCE_STATIC_TLS_DEFAULT;
  int major = 0, minor = 0;
  if (bytes <= 512 || argc < 1 || argv == 0 || argv[0] == 0 || envp == 0
      || getauxval (AT_SECURE) != 0
      || sscanf (gnu_get_libc_version (), "%d.%d", &major, &minor) != 2
      || major < 2 || (major == 2 && minor < 32))
    return;
  const char *tunables = getenv ("GLIBC_TUNABLES");
  if (tunables != 0 && strstr (tunables, ELFDCE_TUNABLE "=") != 0)
    return;
  if (!elfdce_linked_by_program ())
    return;
  int n = 0;
  while (envp[n] != 0)
    n++;
  char **env = (char **) malloc ((n + 2) * sizeof *env);
  size_t length = strlen ("GLIBC_TUNABLES=") + (tunables ? strlen (tunables) + 1 : 0)
                  + strlen (ELFDCE_TUNABLE) + 32;
  char *entry = (char *) malloc (length);
  if (env == 0 || entry == 0)
    {
      free (env);
      free (entry);
      return;
    }
  snprintf (entry, length, "GLIBC_TUNABLES=%s%s" ELFDCE_TUNABLE "=%ld", tunables ? tunables : "",
            tunables && *tunables ? ":" : "", bytes);
  int m = 0;
  for (int i = 0; i < n; i++)
    if (strncmp (envp[i], "GLIBC_TUNABLES=", 15) != 0)
      env[m++] = envp[i];
  env[m++] = entry;
  env[m] = 0;
  const char *path = (const char *) getauxval (AT_EXECFN);
  if (path != 0)
    execve (path, argv, env);
  execve ("/proc/self/exe", argv, env);
  free (env); /* not started again: on as before */
  free (entry);
}
