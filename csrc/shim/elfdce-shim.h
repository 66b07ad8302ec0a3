/* elfdce shim runtime interface: what <lib>_setup and <lib>_describe hand to the simulator.
 * Shared by every generated lib*-ns3.so; SHIM_ABI in elfdce/shim/plan.py names this layout. */
#ifndef ELFDCE_SHIM_H
#define ELFDCE_SHIM_H

#define ELFDCE_SHIM_ABI 1

/* One dispatch slot: the exported (name, version) whose trampoline jumps through it.
 * version is 0 for a slot kept only for DCE's struct Libc layout (nothing exported). */
struct elfdce_slot {
  const char *name;
  const char *version;
  int is_default;  /* name@@version (1) or name@version (0) */
  const char *cls; /* the policy class: DCE, NATIVE, IFUNC, PRIVATE, ... */
};

/* One data object the shim defines, with the host's size for that version. The caller
 * fills it before any program that uses it is loaded (COPY relocations copy it then). */
struct elfdce_data_object {
  const char *name;
  const char *version;
  int is_default;
  const char *cls;
  void *address;
  unsigned long size;
};

struct elfdce_shim_info {
  unsigned int abi; /* ELFDCE_SHIM_ABI */
  const char *library;
  const char *soname;
  unsigned long nslots;
  const struct elfdce_slot *slots;
  unsigned long ndata;
  const struct elfdce_data_object *data;
};

#endif
