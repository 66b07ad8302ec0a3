"""Data a program shares with its libc, and the libc functions that read or write it.

A program reads its own copies of these (COPY relocations) or the replacement's; functions that
run on the host libc (NATIVE, or DCE-class functions that fall back to the host) use the host's.
`elfdce run` keeps the two in step around these calls; `preflight` names the hazard. The list is
glibc's getopt, environment and time-zone functions, written by hand (not derived from the
host's code).
"""

from __future__ import annotations

GETOPT_DATA = ("optind", "opterr", "optopt", "optarg")
ENV_DATA = ("environ",)
TZ_DATA = ("tzname", "timezone", "daylight")

# function -> (its C type, for a cffi callback; the data it uses)
SHARED_STATE = {
    "getopt": ("int(int, char **, char *)", GETOPT_DATA),
    "__posix_getopt": ("int(int, char **, char *)", GETOPT_DATA),
    "getopt_long": ("int(int, char **, char *, void *, int *)", GETOPT_DATA),
    "getopt_long_only": ("int(int, char **, char *, void *, int *)", GETOPT_DATA),
    "setenv": ("int(char *, char *, int)", ENV_DATA),
    "unsetenv": ("int(char *)", ENV_DATA),
    "putenv": ("int(char *)", ENV_DATA),
    "clearenv": ("int(void)", ENV_DATA),
    "getenv": ("char *(char *)", ENV_DATA),
    "secure_getenv": ("char *(char *)", ENV_DATA),
    "tzset": ("void(void)", TZ_DATA),
    "localtime": ("void *(void *)", TZ_DATA),
    "localtime_r": ("void *(void *, void *)", TZ_DATA),
    "mktime": ("long(void *)", TZ_DATA),
    "timelocal": ("long(void *)", TZ_DATA),
    "ctime": ("char *(void *)", TZ_DATA),
    "ctime_r": ("char *(void *, char *)", TZ_DATA),
}

# data object (and its glibc aliases) -> the functions that use it
USERS: dict[str, tuple[str, ...]] = {}
for _fn, (_ctype, _data) in SHARED_STATE.items():
    for _d in _data:
        USERS[_d] = USERS.get(_d, ()) + (_fn,)
for _alias, _name in (("__environ", "environ"), ("_environ", "environ"),
                      ("__tzname", "tzname"), ("__timezone", "timezone"),
                      ("__daylight", "daylight")):
    USERS[_alias] = USERS[_name]

# The data DCE's simulator writes for each process through the pointers its replacement libc
# hands it (ns-3-dce model/dce-global-variables.h, Process::pstdin …), name -> Process field;
# a program's COPY of one is adopted as DCE's object by a prepared tree's loader.
DCE_PROCESS_POINTERS = {
    "stdin": "pstdin", "stdout": "pstdout", "stderr": "pstderr", "environ": "penvp",
    "__environ": "penvp", "optarg": "poptarg", "optind": "poptind", "opterr": "popterr",
    "optopt": "poptopt",
}
# ... and the data it sets once, from the process's name (the program's copies set too)
DCE_PROCESS_NAMES = ("__progname", "program_invocation_short_name", "program_invocation_name")
