/* elfdce: the two edits DCE's loader needs in the copy of each ELF file it loads (DCE's
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
#include <elf.h>
#include <link.h>
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

ELFDCE_EXTERN_C void
elfdce_patch_loaded_copy (unsigned char *image, unsigned long size)
{
  ElfW (Ehdr) header;
  if (size < sizeof (header))
    return;
  memcpy (&header, image, sizeof (header));
  if (memcmp (header.e_ident, ELFMAG, SELFMAG) != 0
      || header.e_ident[EI_CLASS] != (sizeof (void *) == 8 ? ELFCLASS64 : ELFCLASS32)
      || header.e_phentsize != sizeof (ElfW (Phdr)))
    return;
  if (elfdce_within (size, header.e_phoff, (unsigned long) header.e_phnum * sizeof (ElfW (Phdr))))
    for (unsigned i = 0; i < header.e_phnum; i++)
      {
        ElfW (Phdr) ph;
        memcpy (&ph, image + header.e_phoff + i * sizeof (ph), sizeof (ph));
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
                dyn.d_un.d_val &= ~(ElfW (Xword)) DF_1_PIE;
                memcpy (image + ph.p_offset + off, &dyn, sizeof (dyn));
              }
          }
      }
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
