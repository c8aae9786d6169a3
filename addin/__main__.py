"""`python -m addin` runs the gkreport command line."""
import sys

from addin.cli import main

sys.exit(main())
