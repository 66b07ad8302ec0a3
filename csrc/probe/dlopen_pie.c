/* dlopen_pie PATH SYMBOL [newlm]: dlopen (or dlmopen into a new namespace) PATH, call the
 * int (void) function SYMBOL, print its value; print the loader's error and exit 1 otherwise. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: dlopen_pie PATH SYMBOL [newlm]\n");
        return 2;
    }
    void *handle = (argc > 3 && strcmp(argv[3], "newlm") == 0)
                       ? dlmopen(LM_ID_NEWLM, argv[1], RTLD_NOW)
                       : dlopen(argv[1], RTLD_NOW);
    if (handle == NULL) {
        printf("error: %s\n", dlerror());
        return 1;
    }
    int (*fn)(void) = (int (*)(void))dlsym(handle, argv[2]);
    if (fn == NULL) {
        printf("error: %s\n", dlerror());
        return 1;
    }
    printf("%d\n", fn());
    return 0;
}
