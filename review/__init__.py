"""Game review: the engine's tree search judges every move of a game; the results become an annotated SGF, a
winrate graph, a self-contained HTML page and a JSON summary (``goengine-review``, ``review.cli``).

Modules: ``analysis`` (search every position, winrates before and after each move), ``marks`` (BM / DO / TE and
the biggest losses), ``text`` (words shared by the outputs, the rule commentator's sentences), ``annotate`` (the
SGF), ``graph`` (the PNG), ``diagram`` (SVG boards), ``page`` (the HTML), ``batch`` (inputs, names, resuming,
atomic writes, the summary), ``cli`` (the command). It builds on ``policy`` and ``rnn_tools``; nothing in the
library imports it.
"""
