/* A small library exercising every kind of versioned dynamic symbol the reader must report.
 * Built by tests/test_versioned_lib.py with versioned.map; expected exports:
 *   foo@V1 (FUNC), foo@@V2 (FUNC), table@V1 (OBJECT, 8 bytes), table@@V2 (OBJECT, 16 bytes),
 *   counter@@V2 (TLS, 4 bytes), fast@@V2 (GNU_IFUNC), and the version markers V1, V2. */

int foo_v1(void) { return 1; }
int foo_v2(void) { return 2; }
__asm__(".symver foo_v1, foo@V1");
__asm__(".symver foo_v2, foo@@V2");

long long table_v1[1] = {1};
long long table_v2[2] = {1, 2};
__asm__(".symver table_v1, table@V1");
__asm__(".symver table_v2, table@@V2");

__thread int counter = 3;

static int fast_impl(void) { return 42; }
static int (*resolve_fast(void))(void) { return fast_impl; }
int fast(void) __attribute__((ifunc("resolve_fast")));
