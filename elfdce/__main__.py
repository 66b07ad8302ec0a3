"""``python -m elfdce``."""

import gc
import sys

from .cli import main

status = main()
# The process ends here: the interpreter's shutdown collections would walk every object still
# alive, frozen they skip them (benchmarks/run.py --only peers: `scan` of libc.so.6 ~2 ms faster,
# of ~26 ms). Only cycles are left uncollected, and nothing at exit needs them finalized.
gc.freeze()
sys.exit(status)
