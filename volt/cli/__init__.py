"""The `volt` command line: Typer commands only, no logic.

Every volt process starts here (`volt serve` workers too), before numpy is imported: the privacy
audit's small dense linear algebra runs 8–13× slower with BLAS threads fighting over two cores
than with one thread per process. A value set by the user wins.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
