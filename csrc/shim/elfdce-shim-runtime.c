/* elfdce shim runtime: the setup and describe entries of a generated lib*-ns3.so.
 *
 * Compiled -nostdlib -ffreestanding: the shim must import nothing (it is loaded as a
 * namespace's libc.so.6, before anything else there), so no libc call, and no loop the
 * compiler could turn into one (-fno-tree-loop-distribute-patterns, -fno-builtin).
 * The including file defines ELFDCE_SETUP, ELFDCE_DESCRIBE, ELFDCE_SLOTS(X), ELFDCE_DATA(X),
 * ELFDCE_NSLOTS, ELFDCE_NDATA, ELFDCE_LIBRARY, ELFDCE_SONAME, and includes the assembly. */

#include "elfdce-shim.h"

#define ELFDCE_VISIBLE __attribute__((visibility("default")))

/* Defined by the generated assembly: the slots (all start at __elfdce_unset) and a trap. */
extern void *__elfdce_slots[] __attribute__((visibility("hidden")));
extern char __elfdce_unset[] __attribute__((visibility("hidden")));

#define ELFDCE_SLOT_ENTRY(index, ident, name, version, is_default, cls) \
  {name, version, is_default, cls},
static const struct elfdce_slot elfdce_slots_described[ELFDCE_NSLOTS + 1] = {
    ELFDCE_SLOTS(ELFDCE_SLOT_ENTRY){0, 0, 0, 0}};

#define ELFDCE_DATA_DECLARE(index, label, name, version, is_default, cls, size) \
  extern char label[] __attribute__((visibility("hidden")));
ELFDCE_DATA(ELFDCE_DATA_DECLARE)

#define ELFDCE_DATA_ENTRY(index, label, name, version, is_default, cls, size) \
  {name, version, is_default, cls, label, size},
static const struct elfdce_data_object elfdce_data_described[ELFDCE_NDATA + 1] = {
    ELFDCE_DATA(ELFDCE_DATA_ENTRY){0, 0, 0, 0, 0, 0}};

static const struct elfdce_shim_info elfdce_info = {
    ELFDCE_SHIM_ABI, ELFDCE_LIBRARY, ELFDCE_SONAME,
    ELFDCE_NSLOTS,   elfdce_slots_described,
    ELFDCE_NDATA,    elfdce_data_described,
};

/* The layout of the table, for a caller that fills it by name. */
ELFDCE_VISIBLE const struct elfdce_shim_info *ELFDCE_DESCRIBE(void) { return &elfdce_info; }

/* Copy the caller's table (nslots pointers, in slot order) into the slots; a null entry
 * leaves that slot on the trap. Returns the description (data objects included), or 0
 * without changing anything when nslots is not this shim's slot count. */
ELFDCE_VISIBLE const struct elfdce_shim_info *ELFDCE_SETUP(void *const *table,
                                                          unsigned long nslots) {
  unsigned long i;
  if (nslots != ELFDCE_NSLOTS)
    return 0;
  for (i = 0; i < nslots; i++) {
    void *volatile *slot = &__elfdce_slots[i];
    *slot = table[i] ? table[i] : (void *)__elfdce_unset;
  }
  return &elfdce_info;
}
