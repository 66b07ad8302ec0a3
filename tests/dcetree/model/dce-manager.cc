/* The start of a program, as ns-3-dce's DceManager::LoadMain does it: the (edited) copy
 * dlopened as DCE's CoojaLoader does, then `main` looked up with dlsym. */
#include "dce-manager.h"
#include <dlfcn.h>

namespace ns3 {

struct Thread
{
  struct Process *process;
};

/* as ns-3-dce's utils.h: the thread running now (here, the one process) */
static Thread *
Current (void)
{
  static Thread current = { &dce_process };
  return &current;
}

static void *
Lookup (void *module, const char *symbol)
{
  return dlsym (module, symbol);
}

static void *
LoadMain (const char *filename, struct Process *proc)
{
  void *symbol = 0;
  void *h = dlopen (filename, RTLD_LAZY | RTLD_DEEPBIND | RTLD_LOCAL);
  if (h != 0)
    {
      proc->mainHandle = h;
      symbol = Lookup (h, "main");
    }
  return symbol;
}

} // namespace ns3

extern "C" void *
dce_load_main (const char *filename, struct Process *proc)
{
  return ns3::LoadMain (filename, proc);
}
