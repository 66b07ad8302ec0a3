/* elfdce: the edits DCE's loader needs in the copy of each ELF file it loads (DCE's
 * ElfCache already rewrites DT_NEEDED and DT_SONAME in those copies, mapped MAP_SHARED).
 *
 * 1. DF_1_PIE cleared in DT_FLAGS_1: glibc >= 2.30 refuses to dlopen an object that has it
 *    (elf/dl-load.c, "cannot dynamically load position-independent executable").
 * 2. STB_GNU_UNIQUE bindings in .dynsym made STB_GLOBAL: ld.so keeps one definition of a
 *    unique symbol per namespace whatever RTLD_LOCAL or RTLD_DEEPBIND say, so DCE's copy of
 *    libstdc++ would share the simulator's facet ids (std::num_put<>::id, ...) while numbering
 *    its other facets afresh, and `cout << 42` fails.
 *
 * Every offset is checked against the image; an image this code does not understand (another
 * class, truncated tables) is left as it is. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* dlinfo, dladdr */
#endif
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
#define ELFDCE_EXTERN_C extern "C"
#else
#define ELFDCE_EXTERN_C
#endif
#ifndef DF_1_PIE
#define DF_1_PIE 0x08000000
#endif

static int
elfdce_within (unsigned long size, unsigned long offset, unsigned long length)
{
  return offset <= size && length <= size - offset;
}

/* 0. What DCE cannot load, said before DCE fails on it: a program that is not
 *    position-independent (ET_EXEC: dlopen answers "cannot dynamically load executable"), or a
 *    static PIE (ET_DYN, DF_1_PIE, no PT_INTERP, the rule of elfdce/elf/kind.py: it carries its
 *    own C library, which DCE cannot replace). */
static void
elfdce_say_why_not (const char *name, const char *why)
{
  fprintf (stderr, "elfdce: %s: %s; DCE loads only dynamically linked position-independent "
           "programs (built with -fPIE -pie)\n", name ? name : "(a copy DCE loads)", why);
}

ELFDCE_EXTERN_C void
elfdce_patch_loaded_copy (unsigned char *image, unsigned long size, const char *name)
{
  ElfW (Ehdr) header;
  if (size < sizeof (header))
    return;
  memcpy (&header, image, sizeof (header));
  if (memcmp (header.e_ident, ELFMAG, SELFMAG) != 0
      || header.e_ident[EI_CLASS] != (sizeof (void *) == 8 ? ELFCLASS64 : ELFCLASS32)
      || header.e_phentsize != sizeof (ElfW (Phdr)))
    return;
  int interpreter = 0, pie = 0;
  if (elfdce_within (size, header.e_phoff, (unsigned long) header.e_phnum * sizeof (ElfW (Phdr))))
    for (unsigned i = 0; i < header.e_phnum; i++)
      {
        ElfW (Phdr) ph;
        memcpy (&ph, image + header.e_phoff + i * sizeof (ph), sizeof (ph));
        interpreter |= ph.p_type == PT_INTERP;
        if (ph.p_type != PT_DYNAMIC || !elfdce_within (size, ph.p_offset, ph.p_filesz))
          continue;
        for (unsigned long off = 0; off + sizeof (ElfW (Dyn)) <= ph.p_filesz; off += sizeof (ElfW (Dyn)))
          {
            ElfW (Dyn) dyn;
            memcpy (&dyn, image + ph.p_offset + off, sizeof (dyn));
            if (dyn.d_tag == DT_NULL)
              break;
            if (dyn.d_tag == DT_FLAGS_1 && (dyn.d_un.d_val & DF_1_PIE))
              {
                pie = 1;
                dyn.d_un.d_val &= ~(ElfW (Xword)) DF_1_PIE;
                memcpy (image + ph.p_offset + off, &dyn, sizeof (dyn));
              }
          }
      }
  if (header.e_type == ET_EXEC)
    elfdce_say_why_not (name, "not position-independent (ET_EXEC)");
  else if (pie && !interpreter)
    elfdce_say_why_not (name, "a static PIE (its own C library, no loader)");
  if (header.e_shentsize != sizeof (ElfW (Shdr))
      || !elfdce_within (size, header.e_shoff, (unsigned long) header.e_shnum * sizeof (ElfW (Shdr))))
    return;
  for (unsigned i = 0; i < header.e_shnum; i++)
    {
      ElfW (Shdr) sh;
      memcpy (&sh, image + header.e_shoff + i * sizeof (sh), sizeof (sh));
      if (sh.sh_type != SHT_DYNSYM || sh.sh_entsize != sizeof (ElfW (Sym))
          || !elfdce_within (size, sh.sh_offset, sh.sh_size))
        continue;
      for (unsigned long off = 0; off + sizeof (ElfW (Sym)) <= sh.sh_size; off += sizeof (ElfW (Sym)))
        {
          ElfW (Sym) sym;
          memcpy (&sym, image + sh.sh_offset + off, sizeof (sym));
          if (ELF64_ST_BIND (sym.st_info) == STB_GNU_UNIQUE)
            {
              sym.st_info = ELF64_ST_INFO (STB_GLOBAL, ELF64_ST_TYPE (sym.st_info));
              memcpy (image + sh.sh_offset + off, &sym, sizeof (sym));
            }
        }
    }
}

/* elfdce: what DCE's loader needs once a program is loaded (its DceManager::LoadMain calls
 * these through ELFDCE_PROGRAM_LOADED, an edit of `dce prepare`).
 *
 * 3. main without the symbol: DCE looks `main` up with dlsym, which finds it only in programs
 *    linked with -rdynamic. glibc's _start passes main to __libc_start_main in its first
 *    argument register, loaded by the instruction right before the call (the rule and its
 *    static reading: elfdce/elf/entry.py, which the tests hold to agree with this one).
 * 4. COPY-relocated data: a program built with -fPIE reads stdout, environ, optind... from its
 *    own copies (R_*_COPY), which the replacement libc's GOT and DCE's process record do not
 *    point at: what DCE writes, the program never sees (bash: fprintf (stderr=NULL)). The
 *    program's copy is made the object: DCE's pointer moves to it, with the current value. */

static struct link_map *
elfdce_link_map (void *handle)
{
  struct link_map *map = 0;
  if (handle == 0 || dlinfo (handle, RTLD_DI_LINKMAP, &map) != 0)
    return 0;
  return map;
}

ELFDCE_EXTERN_C void *
elfdce_main_from_entry (void *handle)
{
  struct link_map *map = elfdce_link_map (handle);
  if (map == 0)
    return 0;
  const unsigned char *base = (const unsigned char *) map->l_addr;
  ElfW (Ehdr) header;
  if (base == 0)
    return 0; /* a non-PIE: its header is not at l_addr, and DCE cannot load one anyway */
  memcpy (&header, base, sizeof (header));
  if (memcmp (header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_entry == 0)
    return 0;
  const unsigned char *code = base + header.e_entry;
  enum { WINDOW = 96 };
#if defined(__x86_64__)
  for (int call = 7; call + 6 <= WINDOW; call++)
    {
      if (code[call] != 0xff || code[call + 1] != 0x15) /* call *disp32(%rip) */
        continue;
      int disp;
      memcpy (&disp, code + call - 4, sizeof (disp));
      const unsigned char *op = code + call - 7;
      if (op[0] == 0x48 && op[1] == 0x8d && op[2] == 0x3d) /* lea main(%rip), %rdi */
        return (void *) (code + call + disp);
      if (op[0] == 0x48 && op[1] == 0x8b && op[2] == 0x3d) /* mov main@GOTPCREL(%rip), %rdi */
        return *(void *const *) (code + call + disp);
    }
#elif defined(__aarch64__)
  const unsigned int *words = (const unsigned int *) code;
  for (int k = 0; k < WINDOW / 4; k++)
    {
      unsigned int w = words[k];
      if ((w & 0x9F00001Fu) != 0x90000000u) /* adrp x0, page */
        continue;
      long imm = ((w >> 29) & 3) | (((w >> 5) & 0x7FFFF) << 2);
      if (imm & (1L << 20))
        imm -= 1L << 21;
      unsigned long page = (((unsigned long) (code + 4 * k)) & ~0xFFFUL) + (imm << 12);
      for (int j = k + 1; j < k + 4 && j < WINDOW / 4; j++)
        {
          unsigned int next = words[j];
          if ((next & 0xFFC003FFu) == 0xF9400000u) /* ldr x0, [x0, #:got_lo12:main] */
            return *(void *const *) (page + ((next >> 10) & 0xFFF) * 8);
          if ((next & 0xFFC003FFu) == 0x91000000u) /* add x0, x0, #:lo12:main */
            return (void *) (page + ((next >> 10) & 0xFFF));
        }
      return 0;
    }
#endif
  return 0;
}

/* The program's own definition of `name` (its COPY of a library's data object), or 0 when the
 * program does not define it. dlsym on the program's handle searches the program first. */
ELFDCE_EXTERN_C void *
elfdce_program_copy (void *handle, const char *name)
{
  struct link_map *map = elfdce_link_map (handle);
  if (map == 0)
    return 0;
  void *address = dlsym (handle, name);
  Dl_info info;
  if (address == 0 || dladdr (address, &info) == 0
      || (unsigned long) info.dli_fbase != (unsigned long) map->l_addr
      || info.dli_fname == 0 || strcmp (info.dli_fname, map->l_name) != 0)
    return 0;
  return address;
}

/* `*variable` is where DCE keeps the address of a data object (Process::pstdout: the
 * replacement libc's stdout), once DCE's setup has set it. When the program has its own copy,
 * copy the current value into it and point DCE at it. Returns 1 when it moved. */
ELFDCE_EXTERN_C int
elfdce_adopt (void *handle, const char *name, void **variable, unsigned long size)
{
  if (variable == 0 || *variable == 0)
    return 0;
  void *copy = elfdce_program_copy (handle, name);
  if (copy == 0 || *variable == copy)
    return 0;
  memcpy (copy, *variable, size);
  *variable = copy;
  return 1;
}

/* Set the program's own copy of `name`, when it has one, to the pointer `value`. */
ELFDCE_EXTERN_C void
elfdce_adopt_value (void *handle, const char *name, void *value)
{
  void *copy = elfdce_program_copy (handle, name);
  if (copy != 0)
    memcpy (copy, &value, sizeof (value));
}

/* 5. COPY-relocated data of the program's libraries (std::cout of libstdc++, iperf3's i_errno
 *    of libiperf): in a dlopened program a COPY relocation arrives as zero, and DCE's loader
 *    loads each library apart, whose GOT keeps its own object. As ld.so does for a main
 *    program, the program's copy becomes the object: it gets the defining object's bytes, and
 *    every GOT slot of the objects the program needs that names the symbol points at it (DCE
 *    shares one copy of each library between its processes: with two programs that copy one
 *    object, the library's slots follow the last one loaded.) */
#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ELFDCE_R_COPY 5
#define ELFDCE_R_GLOB_DAT 6
#define ELFDCE_R_ABS 1
#elif defined(__aarch64__)
#define ELFDCE_R_COPY 1024
#define ELFDCE_R_GLOB_DAT 1025
#define ELFDCE_R_ABS 257
#endif

struct elfdce_dynamic
{
  const ElfW (Rela) *rela;
  unsigned long relasz;
  const ElfW (Sym) *symtab;
  const char *strtab;
  const ElfW (Dyn) *dynamic;
};

/* A DT_ pointer of a loaded object: ld.so rebases them in place where the dynamic section is
 * writable (x86_64, aarch64), not where it is read-only */
static unsigned long
elfdce_dyn_ptr (const struct link_map *map, unsigned long value)
{
  return value < map->l_addr ? map->l_addr + value : value;
}

static int
elfdce_read_dynamic (const struct link_map *map, struct elfdce_dynamic *out)
{
  memset (out, 0, sizeof *out);
  if (map->l_ld == 0)
    return 0;
  out->dynamic = map->l_ld;
  for (const ElfW (Dyn) *d = map->l_ld; d->d_tag != DT_NULL; d++)
    switch (d->d_tag)
      {
      case DT_RELA:
        out->rela = (const ElfW (Rela) *) elfdce_dyn_ptr (map, d->d_un.d_ptr);
        break;
      case DT_RELASZ:
        out->relasz = d->d_un.d_val;
        break;
      case DT_SYMTAB:
        out->symtab = (const ElfW (Sym) *) elfdce_dyn_ptr (map, d->d_un.d_ptr);
        break;
      case DT_STRTAB:
        out->strtab = (const char *) elfdce_dyn_ptr (map, d->d_un.d_ptr);
        break;
      }
  if (out->rela == 0)
    out->relasz = 0; /* no relocations: still an object with a scope and names */
  return out->symtab != 0 && out->strtab != 0;
}

static void
elfdce_write_slot (void **slot, void *value)
{
  long page = sysconf (_SC_PAGESIZE);
  void *start = (void *) ((unsigned long) slot & ~(unsigned long) (page - 1));
  /* the GOT may be RELRO, read-only once relocated; the page is left writable, since without
   * RELRO it also holds data the object writes (which protection it had, nothing here says) */
  if (mprotect (start, page, PROT_READ | PROT_WRITE) != 0)
    return;
  *slot = value;
}

/* The loaded object a DT_NEEDED name is: the one with that soname (DCE's cache renames both in
 * its copies, in strings of the same length), else that file name. */
static struct link_map *
elfdce_loaded (struct link_map *any, const char *needed)
{
  struct link_map *m = any;
  while (m->l_prev != 0)
    m = m->l_prev;
  struct link_map *by_file = 0;
  for (; m != 0; m = m->l_next)
    {
      struct elfdce_dynamic d;
      if (elfdce_read_dynamic (m, &d))
        for (const ElfW (Dyn) *e = d.dynamic; e->d_tag != DT_NULL; e++)
          if (e->d_tag == DT_SONAME && strcmp (d.strtab + e->d_un.d_val, needed) == 0)
            return m;
      const char *slash = m->l_name ? strrchr (m->l_name, '/') : 0;
      const char *base = slash ? slash + 1 : m->l_name;
      if (by_file == 0 && base != 0 && strcmp (base, needed) == 0)
        by_file = m;
    }
  return by_file;
}

enum { ELFDCE_MAX_SCOPE = 256 };

/* The program and what it needs, breadth first (its lookup scope), not the simulator's own
 * objects: those keep their data. */
static int
elfdce_scope (struct link_map *program, struct link_map **scope)
{
  int n = 0;
  scope[n++] = program;
  for (int i = 0; i < n; i++)
    {
      struct elfdce_dynamic d;
      if (!elfdce_read_dynamic (scope[i], &d))
        continue;
      for (const ElfW (Dyn) *e = d.dynamic; e->d_tag != DT_NULL; e++)
        {
          if (e->d_tag != DT_NEEDED)
            continue;
          struct link_map *m = elfdce_loaded (program, d.strtab + e->d_un.d_val);
          int seen = m == 0;
          for (int j = 0; j < n && !seen; j++)
            seen = scope[j] == m;
          if (!seen && n < ELFDCE_MAX_SCOPE)
            scope[n++] = m;
        }
    }
  return n;
}

/* `skip`: names DCE itself keeps per process through its replacement libc's objects (stdout,
 * environ …: the libc's setup writes them for the next process before that process's program
 * is loaded, so the libc's slots must stay on its own objects); a null-terminated list. */
ELFDCE_EXTERN_C int
elfdce_adopt_copies (void *handle, const char *const *skip)
{
#ifdef ELFDCE_R_COPY
  struct link_map *program = elfdce_link_map (handle);
  struct elfdce_dynamic pd;
  if (program == 0 || !elfdce_read_dynamic (program, &pd))
    return 0;
  struct link_map *scope[ELFDCE_MAX_SCOPE];
  int scope_size = elfdce_scope (program, scope);
  int adopted = 0;
  for (unsigned long off = 0; off + sizeof (ElfW (Rela)) <= pd.relasz; off += sizeof (ElfW (Rela)))
    {
      const ElfW (Rela) *r = (const ElfW (Rela) *) ((const char *) pd.rela + off);
      if (ELF64_R_TYPE (r->r_info) != ELFDCE_R_COPY)
        continue;
      const ElfW (Sym) *ps = &pd.symtab[ELF64_R_SYM (r->r_info)];
      const char *name = pd.strtab + ps->st_name;
      int skipped = 0;
      for (const char *const *k = skip; k != 0 && *k != 0 && !skipped; k++)
        skipped = strcmp (*k, name) == 0;
      if (skipped)
        continue;
      void *copy = (void *) (program->l_addr + r->r_offset);
      int found = 0;
      for (int k = 1; k < scope_size; k++)
        {
          struct link_map *m = scope[k];
          struct elfdce_dynamic od;
          if (!elfdce_read_dynamic (m, &od))
            continue;
          for (unsigned long o = 0; o + sizeof (ElfW (Rela)) <= od.relasz; o += sizeof (ElfW (Rela)))
            {
              const ElfW (Rela) *q = (const ElfW (Rela) *) ((const char *) od.rela + o);
              unsigned long type = ELF64_R_TYPE (q->r_info);
              if (type != ELFDCE_R_GLOB_DAT && type != ELFDCE_R_ABS)
                continue;
              const ElfW (Sym) *s = &od.symtab[ELF64_R_SYM (q->r_info)];
              if (s->st_name == 0 || strcmp (od.strtab + s->st_name, name) != 0)
                continue;
              void **slot = (void **) (m->l_addr + q->r_offset);
              if (!found && s->st_shndx != SHN_UNDEF)
                {
                  /* the defining object's own bytes: constructed, and left alone once its
                   * slots point at the copy (each process DCE starts gets them afresh); as
                   * ld.so, no more than the smaller of the two sizes */
                  memcpy (copy, (void *) (m->l_addr + s->st_value),
                          ps->st_size < s->st_size ? ps->st_size : s->st_size);
                  found = 1;
                }
              if (*slot != (char *) copy + q->r_addend)
                elfdce_write_slot (slot, (char *) copy + q->r_addend);
            }
        }
      adopted += found;
    }
  return adopted;
#else
  (void) handle;
  (void) skip;
  return 0;
#endif
}
