"""`python -m locnet ...` entry point."""

import sys

from locnet.cli import main

if __name__ == "__main__":
    sys.exit(main())
