"""Sequence models (RNN, LSTM, GRU, Seq2Seq with attention and pointers) and tasks on Go game records.

Building blocks, one job each: ``encoding`` (move and text tokens), ``cells`` (from-scratch recurrent cells),
``models`` (taggers, classifiers, Seq2Seq, the pointing Seq2Seq, ensembles), ``training`` (the loop with clipping,
checkpoints and best-epoch keeping; model files), ``metrics`` (accuracy, ROC AUC, F1, and 95% intervals
bootstrapped by game), ``data`` (games through ``goengine.dataset``, split 80/10/10 by game; batches),
``lexicon`` (praise and criticism cue words), ``rule_commentator`` (what a move did, in words, from rules on the
board) and ``gradnorms`` (the gradient-clipping demonstration).

Tasks, one module each: ``outcome`` (1, P(Black wins) after every move), ``sentiment`` (2, praise or criticism
in a comment), ``tagging`` (3a, will this stone be captured), ``terms`` (3b, which Go terms a reviewer uses),
``rule_commentary_seq2seq`` (4a, a Seq2Seq that learns ``rule_commentator``'s sentences), ``review_comments``
(4b, reviewers' real comments, against a text-only language model) and ``movelm`` (5, next-move prediction).
``annotate`` marks an SGF from the sentiment and outcome models; ``cli`` is ``python -m rnn_tools``, whose
``--help`` lists the commands.
"""
