/* A small networked, threaded program of the kind DCE runs: sockets, pthreads, getopt and two
 * data objects (optarg, stdout), built with -fPIC so the data is imported, not COPY-relocated. */
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static void *worker(void *arg) { return arg; }

int main(int argc, char **argv) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);
    int c = getopt(argc, argv, "x:");
    fprintf(stdout, "%d %d %s\n", s, c, optarg ? optarg : "");
    close(s);
    return 0;
}
