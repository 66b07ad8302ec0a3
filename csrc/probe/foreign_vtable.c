/* Writes through a FILE whose vtable pointer has been replaced by a copy outside libc, the way
 * DCE's stdio does. glibc >= 2.24 aborts ("Fatal error: glibc detected an invalid stdio
 * handle") unless its check is patched or this libc copy lives outside the base namespace.
 *
 *   foreign_vtable              the test in the base namespace
 *   foreign_vtable newlm LIB    dlmopen LIB (this file built with -DFOREIGN_VTABLE_LIB) into a
 *                               new namespace and run the test there
 *   foreign_vtable switch       call the exported compat _IO_init (scratch, 0) first: it stores
 *                               the mangled address of _IO_vtable_check into the flag that
 *                               function tests first, which turns the check off (base namespace)
 * Prints "survived" when the write went through. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int foreign_fputs(void) {
    FILE *f = fopen("/dev/null", "w");
    if (f == NULL)
        return 2;
    /* struct _IO_FILE_plus: the vtable pointer follows the FILE */
    void **slot = (void **)((char *)f + sizeof(FILE));
    static void *copy[64];
    void *original = *slot;
    memcpy(copy, original, sizeof copy);
    *slot = copy;
    fputs("elfdce\n", f);
    fflush(f);
    *slot = original;
    fclose(f);
    return 0;
}

#ifndef FOREIGN_VTABLE_LIB
/* _IO_init is exported (a compat symbol the headers no longer declare) */
extern void _IO_init(void *fp, int flags);

int main(int argc, char **argv) {
    int result;
    if (argc > 1 && strcmp(argv[1], "switch") == 0) {
        static union { char bytes[1024]; long double align; } scratch;
        _IO_init(&scratch, 0);
        result = foreign_fputs();
    } else if (argc > 2 && strcmp(argv[1], "newlm") == 0) {
        void *handle = dlmopen(LM_ID_NEWLM, argv[2], RTLD_NOW);
        if (handle == NULL) {
            printf("error: %s\n", dlerror());
            return 3;
        }
        int (*fn)(void) = (int (*)(void))dlsym(handle, "foreign_fputs");
        if (fn == NULL) {
            printf("error: %s\n", dlerror());
            return 3;
        }
        result = fn();
    } else {
        result = foreign_fputs();
    }
    if (result == 0)
        printf("survived\n");
    return result;
}
#endif
