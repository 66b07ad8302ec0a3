/**
 * elfdce's DCE-shaped test tree: the replacement-library table, in ns-3-dce's X-macro
 * protocol (one entry per line; included once for struct Libc, once for the trampolines,
 * once for the simulator's assignments). Written for elfdce's tests.
 */
#ifndef DCE
#error Macro DCE should be defined before including libc-ns3.h
#endif
#ifndef NATIVE
#define NATIVE DCE
#endif
#ifndef NATIVE_WITH_ALIAS
#define NATIVE_WITH_ALIAS NATIVE
#endif
#ifndef NATIVE_WITH_ALIAS2
#define NATIVE_WITH_ALIAS2(name,internal) NATIVE_WITH_ALIAS (name)
#endif
#ifndef DCE_WITH_ALIAS
#define DCE_WITH_ALIAS DCE
#endif
#ifndef DCE_WITH_ALIAS2
#define DCE_WITH_ALIAS2(name,internal) DCE_WITH_ALIAS (name)
#endif
#ifndef NATIVE_EXPLICIT
#define NATIVE_EXPLICIT(name,type) NATIVE (name)
#endif

// not a libc function: the simulator's entry for the data objects
NATIVE (dce_global_variables_setup)

DCE (getpid)
DCE (__xstat)
DCE (__fxstat)
DCE (pthread_create)
DCE_WITH_ALIAS (pthread_key_create)
DCE_EXPLICIT (clock_gettime, int, clockid_t, struct timespec *)
DCET (int, rand)
DCE (socket)
DCE (getsockopt)
DCE (fcntl)
DCE (nanosleep)
DCE (select)
DCE (poll)
DCE (__errno_location)
DCE (read)
DCE (malloc)
DCE (realloc)
DCE (pipe)
DCE (write)
DCE (close)
DCE (kill)
DCE (sigwait)
DCE (sigprocmask)
DCE (getpeername)
DCE (random)
DCE (pthread_mutex_init)
DCE (pthread_mutex_lock)
DCE (pthread_mutex_unlock)
DCE (pthread_mutex_destroy)
DCE (pthread_cond_init)
DCE (pthread_cond_wait)
DCE (pthread_cond_broadcast)
DCE (pthread_cond_destroy)
NATIVE (pthread_sigmask)
// glibc 2.31: libc's default pair, and a compat pair of libpthread (each library its own)
NATIVE (siglongjmp)
NATIVE (getline)
NATIVE (strlen)
NATIVE (memcpy)
NATIVE (printf)
NATIVE_WITH_ALIAS2 (sscanf, __isoc99_sscanf)
NATIVE_EXPLICIT (memchr, const void * (*)(const void *, int, size_t))
// #ifndef lines inside comments are not guards
NATIVE (sys_siglist)
#ifdef HAVE_SECURE_GETENV
NATIVE (secure_getenv)
#endif

#undef DCE
#undef DCET
#undef DCE_EXPLICIT
#undef NATIVE
#undef NATIVET
#undef NATIVE_WITH_ALIAS
#undef NATIVE_WITH_ALIAS2
#undef NATIVE_EXPLICIT
#undef DCE_WITH_ALIAS
#undef DCE_WITH_ALIAS2
