/* What a simulator virtualises: the process id and every clock a program reads. */
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  struct timeval tv;
  struct timespec ts;
  time_t t = time(NULL);
  gettimeofday(&tv, NULL);
  clock_gettime(CLOCK_REALTIME, &ts);
  printf("pid=%ld\n", (long)getpid());
  printf("time=%ld\n", (long)t);
  printf("gettimeofday=%ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);
  printf("clock_gettime=%ld.%09ld\n", (long)ts.tv_sec, (long)ts.tv_nsec);
  return 0;
}
