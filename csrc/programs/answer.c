/* A PIE exporting a function (-rdynamic), for fix-pie and the dlopen probes. */
int answer(void) { return 42; }

int main(void) { return answer() == 42 ? 0 : 1; }
