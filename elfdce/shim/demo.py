"""The demonstration DCE set for ``elfdce run``: a simulated process id and clock.

An overrides module defines ``OVERRIDES`` (function name -> (C function type, Python function))
and ``CDEF`` for the types it uses; ``elfdce run --overrides MODULE`` takes a dotted name or a
``.py`` path. Here: ``getpid`` is `SIMULATED_PID`; ``time``, ``gettimeofday`` and
``clock_gettime`` read one simulated clock that starts at `SIMULATED_EPOCH` (UTC seconds) and
advances `TICK_NS` per reading, as a simulator's clock would (deterministic from run to run).
"""

from __future__ import annotations

SIMULATED_PID = 4242
SIMULATED_EPOCH = 1_000_000_000  # 2001-09-09 01:46:40 UTC
TICK_NS = 1_000_000

CDEF = """
struct timeval { long tv_sec; long tv_usec; };
struct timespec { long tv_sec; long tv_nsec; };
"""


class SimulatedClock:
    """Nanoseconds since the simulated epoch; every reading advances it by ``tick``."""

    def __init__(self, start_ns: int = SIMULATED_EPOCH * 10**9, tick: int = TICK_NS) -> None:
        self.now_ns = start_ns
        self.tick = tick

    def read(self) -> int:
        now = self.now_ns
        self.now_ns += self.tick
        return now


CLOCK = SimulatedClock()


def getpid() -> int:
    return SIMULATED_PID


def time(tloc):
    seconds = CLOCK.read() // 10**9
    if tloc:
        tloc[0] = seconds
    return seconds


def gettimeofday(tv, tz):
    now = CLOCK.read()
    if tv:
        tv.tv_sec, tv.tv_usec = divmod(now // 1000, 10**6)
    return 0


def clock_gettime(clock_id, ts):
    now = CLOCK.read()
    if ts:
        ts.tv_sec, ts.tv_nsec = divmod(now, 10**9)
    return 0


OVERRIDES = {
    "getpid": ("int(void)", getpid),
    "time": ("long(long *)", time),
    "gettimeofday": ("int(struct timeval *, void *)", gettimeofday),
    "clock_gettime": ("int(int, struct timespec *)", clock_gettime),
}
