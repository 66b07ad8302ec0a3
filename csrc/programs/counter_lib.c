/* A library whose data a program copies (R_*_COPY), as libstdc++'s std::cout and libiperf's
 * i_errno: bump () writes it through the library's GOT. */
int counter = 5;
void bump (void) { counter++; }
