"""`python -m crayon ...` is the `crayon` command."""
import sys

from .cli import main

sys.exit(main())
