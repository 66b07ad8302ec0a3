/* Built as if against glibc < 2.34: pthread_create@GLIBC_2.2.5, not the 2.34 default. */
#include <pthread.h>
#include <stdio.h>
__asm__(".symver pthread_create, pthread_create@GLIBC_2.2.5");
static void *work(void *arg) { int *x = arg; *x *= 2; printf("thread sees %d\n", *x); return arg; }
int main(void) {
  pthread_t t; int v = 21; void *r;
  if (pthread_create(&t, 0, work, &v)) return 1;
  pthread_join(t, &r);
  printf("joined %d\n", *(int *)r);
  return 0;
}
