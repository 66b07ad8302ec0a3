/* Uses strverscmp, which DCE 1.12's table lacks (DCE issue #91). */
#define _GNU_SOURCE
#include <string.h>

int main(int argc, char **argv) { return strverscmp(argv[0], argc > 1 ? argv[1] : "") < 0; }
