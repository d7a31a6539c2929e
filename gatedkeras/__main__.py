"""`python -m gatedkeras ...`: the `gatedkeras` command line."""

import sys

from gatedkeras.cli import main

if __name__ == "__main__":
    sys.exit(main())
