/* A program importing both versions of foo from libversioned.so.1: foo@V1 by .symver, foo@V2 by
 * default; table is read so that it is COPY-relocated into the program (defined, with a verneed). */
extern int foo(void);
extern int foo_old(void);
__asm__(".symver foo_old, foo@V1");
extern long long table[2];

int main(void) { return foo() + foo_old() + (int)table[1]; }
