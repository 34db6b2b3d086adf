"""`python -m replicate ...`: the command line (see `python -m replicate --help`)."""

import sys

from replicate._cli import main

if __name__ == "__main__":
    sys.exit(main())
