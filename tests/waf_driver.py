"""Run waf (the PyPI waflib) in the current directory: ``python waf_driver.py configure build``."""

import os
import sys

import waflib
from waflib import Context, Scripting

if __name__ == "__main__":
    sys.argv[0] = "waf"
    Scripting.waf_entry_point(os.getcwd(), Context.WAFVERSION,
                              os.path.dirname(os.path.dirname(os.path.abspath(waflib.__file__))))
