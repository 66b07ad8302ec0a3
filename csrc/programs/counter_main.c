/* counter_lib.c's counter, read from this program's COPY after the library changed it. */
#include <stdio.h>
extern int counter;
void bump (void);
int main (void) { bump (); fprintf (stdout, "counter=%d\n", counter); return counter == 6 ? 0 : 1; }
