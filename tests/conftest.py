"""Make the repository root importable when the package is not installed (``pip install -e .`` makes it moot)."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
