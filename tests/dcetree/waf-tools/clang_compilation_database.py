#!/usr/bin/env python
# encoding: utf-8
# A stand-in for DCE 1.12's waf-tools/clang_compilation_database.py (a waf extra): the same
# imports and the quote fallback only Python < 3.3 takes; `pipes` is gone in Python 3.13.

import sys, os, json, shlex, pipes
from waflib import Logs, TaskGen

if sys.hexversion >= 0x3030000:
	quote = shlex.quote
else:
	quote = pipes.quote


def configure(conf):
	conf.env.ELFDCE_FIXTURE_QUOTE = quote('a b')
