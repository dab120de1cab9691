"""`python -m generator`: run the command, then leave at once.

Every file is written and every helper process stopped when main()
returns; tearing down torch's module graph would only add seconds before
the shell gets its prompt back.
"""

import os
import sys

from .cli import main

code = main()
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
