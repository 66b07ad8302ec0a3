"""``python -m elfdce``."""

import sys

from .cli import main

sys.exit(main())
