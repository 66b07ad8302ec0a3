// A forwarding trampoline built the way ns-3-dce builds its libc.cc (g++ -O0, GCC's
// __builtin_apply with 128 bytes of arguments through a table field), for the benchmark.
struct Table { void (*strlen_fn) (...); } g_table;
extern "C" {
void dce_style_strlen (...)
{
  void *args = __builtin_apply_args ();
  void *result = __builtin_apply (g_table.strlen_fn, args, 128);
  __builtin_return (result);
}
void dce_style_setup (void *fn) { g_table.strlen_fn = (void (*) (...)) fn; }
}
