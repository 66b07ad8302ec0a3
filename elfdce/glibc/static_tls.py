"""The static TLS a dlopened object can get: glibc's rules, and what a prepared DCE tree sets.

A library with initial-exec TLS (DF_STATIC_TLS) takes a block of the static TLS area when it
is dlopened; glibc sizes that area once, at start-up, with a surplus for such objects, and
dlopen fails "cannot allocate memory in static TLS block" past it. glibc 2.32 made the surplus
for dlopened objects a tunable, ``glibc.rtld.optional_static_tls`` (``elf/dl-tunables.list``,
default 512 bytes, ``elf/dl-tls.c``'s ``_dl_tls_static_surplus_init``); before it (2.31) the
surplus is fixed, ``TLS_STATIC_SURPLUS`` = 64 + DL_NNS * 100 = 1664 bytes for every object
together, and an unknown tunable is ignored. A tree prepared by elfdce starts its simulators
again once with the tunable raised (``csrc/dce/static-tls.c``); DCE loads a copy of the library
per process, each taking its own block while the process runs.
"""

from __future__ import annotations

from .._record import Record

TUNABLE = "glibc.rtld.optional_static_tls"
FIRST_RELEASE = (2, 32)  # the first glibc with the tunable
OPTIONAL_STATIC_TLS = 512  # its default
LEGACY_SURPLUS = 1664  # glibc < 2.32: 64 + DL_NNS (16) * 100, no tunable
PREPARED_STATIC_TLS = 16384  # what a prepared tree's simulators raise it to (ELFDCE_STATIC_TLS)
ENVIRONMENT = "ELFDCE_STATIC_TLS"  # the variable that changes it at run time (0: glibc's)


class Room(Record):
    """The bytes of static TLS dlopened objects can take, and where that number comes from."""

    size: int
    source: str
    raisable: bool  # the tunable exists (glibc >= 2.32): a larger one in the environment helps


def dlopen_room(release: tuple[int, int] | None, prepared: bool) -> Room:
    """The static TLS room of dlopened objects under glibc ``release`` (None: this machine's,
    taken as >= 2.32), in a tree prepared by elfdce or not."""
    if release is not None and release < FIRST_RELEASE:
        return Room(LEGACY_SURPLUS, f"bytes glibc < {FIRST_RELEASE[0]}.{FIRST_RELEASE[1]} keeps "
                    f"for every dlopened object together (it has no {TUNABLE})", False)
    if prepared:
        return Room(PREPARED_STATIC_TLS, f"bytes a tree prepared by elfdce starts its simulators "
                    f"with ({TUNABLE}; {ENVIRONMENT} changes it)", True)
    return Room(OPTIONAL_STATIC_TLS, f"bytes glibc keeps for dlopen ({TUNABLE}'s default)",
                True)
