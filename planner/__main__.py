import atexit
import logging
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
# The command is done and its output flushed: what remains of an ordinary exit is the
# interpreter tearing down pandas, pyarrow and SQLAlchemy module by module, a quarter of a
# second that changes nothing. The exit handlers still run (logging's flush, temporary files'
# finalizers), then the process ends.
sys.stderr.flush()
atexit._run_exitfuncs()
logging.shutdown()
os._exit(code)
