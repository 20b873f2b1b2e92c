"""Sequence models (RNN, LSTM, GRU, Seq2Seq with attention) and tasks on Go game records.

Modules, one job each: ``encoding`` (move and text tokens), ``cells`` (from-scratch recurrent cells),
``models`` (taggers, classifiers, Seq2Seq), ``training`` (loops with clipping, checkpoints, model files),
``data`` (games from archives, splits), and one module per task: ``outcome``, ``sentiment``, ``tagging``,
``movelm``, ``commentary``. ``python -m rnn_tools --help`` lists the commands.
"""
