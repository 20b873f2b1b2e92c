"""``python -m review``: the same as ``goengine-review``."""
import sys

from .cli import main

sys.exit(main())
