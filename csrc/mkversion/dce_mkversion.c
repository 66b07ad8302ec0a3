/* A minimal C program writing a version map the way ns-3 DCE's utils/dcemakeversion.c does
 * (its documented algorithm, written anew for elfdce's tests and benchmarks):
 *
 *   dce_mkversion LIBRARY PREFIX OUTPUT
 *
 * OUTPUT gets the bytes of PREFIX, then for each non-base version definition in file order
 * "NAME {\n", "global:\n" before the first listed symbol, "\tname;\n" for every dynamic symbol
 * with a name, a non-zero value and a raw versym equal to the node's index, and "} PARENT;\n"
 * for a node with a parent, else "local:*;\n};\n" the first time and "};\n" after.
 * Native ELF class and byte order only. Unlike DCE's tool it takes the dynsym's own string
 * table (sh_link), checks its input, and reports errors. */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what) { fprintf(stderr, "dce_mkversion: %s\n", what); return 2; }

int main(int argc, char **argv) {
    if (argc != 4) return fail("usage: dce_mkversion LIBRARY PREFIX OUTPUT");
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) return fail("cannot open the library");
    const unsigned char *file = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (file == MAP_FAILED) return fail("cannot map the library");
    const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)file;
    if ((size_t)st.st_size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
        return fail("not an ELF file");
    if (eh->e_shoff + (size_t)eh->e_shnum * sizeof(ElfW(Shdr)) > (size_t)st.st_size)
        return fail("section headers past the end");
    const ElfW(Shdr) *sh = (const ElfW(Shdr) *)(file + eh->e_shoff);
    const ElfW(Sym) *sym = NULL;
    const ElfW(Half) *versym = NULL;
    const unsigned char *verdef = NULL;
    const char *str = NULL;
    size_t nsym = 0;
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_NOBITS && sh[i].sh_offset + sh[i].sh_size > (size_t)st.st_size)
            return fail("a section runs past the end");
        if (sh[i].sh_type == SHT_DYNSYM) {
            sym = (const ElfW(Sym) *)(file + sh[i].sh_offset);
            nsym = sh[i].sh_size / sizeof(ElfW(Sym));
            if (sh[i].sh_link >= eh->e_shnum) return fail("bad sh_link");
            str = (const char *)(file + sh[sh[i].sh_link].sh_offset);
        } else if (sh[i].sh_type == SHT_GNU_versym) {
            versym = (const ElfW(Half) *)(file + sh[i].sh_offset);
        } else if (sh[i].sh_type == SHT_GNU_verdef) {
            verdef = file + sh[i].sh_offset;
        }
    }
    if (!sym || !versym || !verdef || !str) return fail("no dynsym, versym or verdef section");

    FILE *out = fopen(argv[3], "w");
    FILE *prefix = fopen(argv[2], "r");
    if (!out || !prefix) return fail("cannot open the prefix or the output");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, prefix)) > 0) fwrite(buf, 1, n, out);
    fclose(prefix);

    int local_written = 0;
    for (const ElfW(Verdef) *vd = (const ElfW(Verdef) *)verdef;;
         vd = (const ElfW(Verdef) *)((const unsigned char *)vd + vd->vd_next)) {
        const ElfW(Verdaux) *aux = (const ElfW(Verdaux) *)((const unsigned char *)vd + vd->vd_aux);
        if (!(vd->vd_flags & VER_FLG_BASE)) {
            fprintf(out, "%s {\n", str + aux->vda_name);
            int listed = 0;
            for (size_t i = 0; i < nsym; i++) {
                if (sym[i].st_name == 0 || sym[i].st_value == 0 || versym[i] != vd->vd_ndx)
                    continue;
                if (!listed++) fputs("global:\n", out);
                fprintf(out, "\t%s;\n", str + sym[i].st_name);
            }
            if (vd->vd_cnt > 1) {
                const ElfW(Verdaux) *parent =
                    (const ElfW(Verdaux) *)((const unsigned char *)aux + aux->vda_next);
                fprintf(out, "} %s;\n", str + parent->vda_name);
            } else if (!local_written) {
                local_written = 1;
                fputs("local:*;\n};\n", out);
            } else {
                fputs("};\n", out);
            }
        }
        if (vd->vd_next == 0) break;
    }
    return fclose(out) == 0 ? 0 : fail("cannot write the output");
}
