import os
import sys

from planner.cli.main import main

try:
    code = main()
    sys.stdout.flush()
except BrokenPipeError:
    # The reader went away (`python -m planner cost | head`): stop quietly, as other
    # command-line tools do, instead of a traceback (Python's documented recipe).
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    code = 1
sys.exit(code)
