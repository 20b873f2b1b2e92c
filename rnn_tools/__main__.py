"""Command line: ``python -m rnn_tools {train,evaluate,annotate,comment,plot,gradnorms} ...`` (see ``--help``)."""
from .cli import main

raise SystemExit(main())
