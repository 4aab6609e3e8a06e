"""`python -m polybox` runs the CLI."""

import sys

from polybox.cli import main

sys.exit(main())
