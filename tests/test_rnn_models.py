"""Cells, encodings, models, attention, beam search, clipping and model files of rnn_tools."""
import pytest
import torch
from torch import nn

from rnn_tools.cells import JordanCell, Recurrent, copy_from_builtin, make_recurrent, reverse_padded
from rnn_tools.encoding import EOS_ID, PAD_ID, UNK_ID, MoveVocab, TextVocab, one_hot, pad_batch, tokenize
from rnn_tools.models import (BoardTagger, PointingSeq2Seq, ProbabilityAverage, Seq2Seq, SequenceClassifier,
                              SequenceTagger)
from rnn_tools.training import KeepBest, fit, load_model, save_model

torch.manual_seed(0)


@pytest.mark.parametrize("kind,builtin", [("elman", nn.RNN), ("lstm", nn.LSTM), ("gru", nn.GRU)])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_scratch_cells_match_builtin(kind, builtin, bidirectional):
    ref = builtin(5, 7, batch_first=True, bidirectional=bidirectional)
    ours = copy_from_builtin(make_recurrent(kind, 5, 7, bidirectional), ref)
    x = torch.randn(3, 6, 5)
    lengths = torch.tensor([6, 4, 1])
    packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    expected, _ = nn.utils.rnn.pad_packed_sequence(ref(packed)[0], batch_first=True, total_length=6)
    got, _ = ours(x, lengths)
    assert got.shape == (3, 6, 7 * (2 if bidirectional else 1))
    assert torch.allclose(got, expected, atol=1e-5)


def test_padded_steps_are_masked():
    rec = make_recurrent("lstm", 4, 6, bidirectional=True)
    x = torch.randn(2, 5, 4)
    lengths = torch.tensor([5, 3])
    out, _ = rec(x, lengths)
    assert torch.all(out[1, 3:] == 0)
    x2 = x.clone()
    x2[1, 3:] = 100.0  # garbage in the padding must change nothing
    out2, _ = rec(x2, lengths)
    assert torch.allclose(out, out2)
    alone, _ = rec(x[1:, :3], lengths[1:])
    assert torch.allclose(alone[0], out[1, :3], atol=1e-6)


def test_jordan_feeds_back_its_output():
    cell = JordanCell(3, 8, 2)
    out, state = Recurrent(cell)(torch.randn(4, 5, 3))
    assert out.shape == (4, 5, 2) and state[0].shape == (4, 2)
    assert torch.allclose(out[:, -1], state[0])


def test_reverse_padded():
    x = torch.arange(8.0).view(2, 4, 1)
    r = reverse_padded(x, torch.tensor([4, 2]))
    assert r[:, :, 0].tolist() == [[3, 2, 1, 0], [5, 4, 6, 7]]


def test_encodings():
    vocab = MoveVocab(9)
    assert len(vocab) == 4 + 82
    assert vocab.decode(vocab.encode([0, 80, 81])) == [0, 80, 81]
    with pytest.raises(ValueError):
        vocab.encode([82])
    with pytest.raises(ValueError):
        MoveVocab(1)
    assert tokenize("Black 15 is slow, 好手!") == ["black", "15", "is", "slow", ",", "好", "手", "!"]
    text = TextVocab.build([["a", "b", "a"], ["a", "<mask>"]], min_freq=1)
    assert text.decode(text.encode(["a", "zz"], eos=True)) == ["a", "<unk>"]
    tokens, lengths = pad_batch([[5, 6, 7], [8]])
    assert tokens.tolist() == [[5, 6, 7], [8, 0, 0]] and lengths.tolist() == [3, 1]
    oh = one_hot(tokens, 10)
    assert oh.shape == (2, 3, 10) and oh[1, 1].sum() == 0 and oh[0, 0, 5] == 1
    with pytest.raises(ValueError):
        pad_batch([[1], []])


@pytest.mark.parametrize("impl", ["builtin", "scratch"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_tagger_shapes_and_causality(impl, bidirectional):
    model = SequenceTagger(20, 3, embed=0, hidden=8, features=2, kind="gru", bidirectional=bidirectional, impl=impl)
    tokens, lengths = pad_batch([[4, 5, 6, 7], [8, 9]])
    feats = torch.randn(2, 4, 2)
    out = model(tokens, lengths, feats)
    assert out.shape == (2, 4, 3)
    changed = tokens.clone()
    changed[0, 3] = 10
    out2 = model(changed, lengths, feats)
    assert torch.allclose(out[0, :3], out2[0, :3]) != bidirectional


def test_tagger_skip_connection_reads_the_features(tmp_path):
    model = SequenceTagger(20, 1, embed=4, hidden=8, features=2, skip=True, dropout=0.5).eval()
    assert model.head.in_features == 8 + 2
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.weight[0, -2] = 1.0  # the output is the first feature, whatever the RNN says
        model.head.bias.zero_()
    tokens, lengths = pad_batch([[4, 5, 6], [7, 8]])
    feats = torch.randn(2, 3, 2)
    assert torch.allclose(model(tokens, lengths, feats)[..., 0], feats[..., 0])
    path = str(tmp_path / "skip.pt")
    save_model(path, model, {})
    assert torch.allclose(load_model(path)[0](tokens, lengths, feats), model(tokens, lengths, feats))


@pytest.mark.parametrize("bidirectional", [False, True])
def test_board_tagger_reads_the_move_point_and_ignores_padding(bidirectional):
    model = BoardTagger(4, 1, hidden=5, kind="gru", bidirectional=bidirectional)
    planes = torch.randn(2, 6, 4, 5, 5)
    lengths = torch.tensor([6, 4])
    points = torch.tensor([[0, 3, 24, -1, 7, 8], [12, 13, 14, 2, -1, -1]])
    out = model(planes, lengths, points)
    assert out.shape == (2, 6, 1)
    garbage = planes.clone()
    garbage[1, 4:] = 50.0  # padding of the second game
    assert torch.allclose(model(garbage, lengths, points)[1, :4], out[1, :4], atol=1e-6)
    alone = model(planes[1:, :4], lengths[1:], points[1:, :4])
    assert torch.allclose(alone[0], out[1, :4], atol=1e-5)
    later = planes.clone()
    later[0, 5] += 1.0  # a change at the last step reaches earlier steps only when reading backwards
    changed = not torch.allclose(model(later, lengths, points)[0, :5], out[0, :5])
    assert changed == bidirectional


def test_probability_average_is_the_mean_probability(tmp_path):
    members = [SequenceTagger(20, 1, embed=4, hidden=6, features=2, skip=True) for _ in range(3)]
    ensemble = ProbabilityAverage(members).eval()
    tokens, lengths, feats = torch.randint(4, 20, (2, 5)), torch.tensor([5, 3]), torch.randn(2, 5, 2)
    expected = torch.stack([torch.sigmoid(m.eval()(tokens, lengths, feats)) for m in members]).mean(0)
    assert torch.allclose(torch.sigmoid(ensemble(tokens, lengths, feats)), expected, atol=1e-5)
    save_model(str(tmp_path / "ensemble.pt"), ensemble, {"task": "test"})
    loaded, _ = load_model(str(tmp_path / "ensemble.pt"))
    assert torch.allclose(loaded(tokens, lengths, feats), ensemble(tokens, lengths, feats), atol=1e-6)
    with pytest.raises(ValueError):
        ProbabilityAverage([])


def test_training_lowers_loss_and_clips():
    model = SequenceClassifier(12, 2, embed=8, hidden=8, dropout=0.0)
    tokens, lengths = pad_batch([[4, 5, 6], [7, 8], [4, 4, 4, 5], [9]])
    labels = torch.tensor([0, 1, 0, 1])

    def loss_fn(m, batch):
        return nn.functional.cross_entropy(m(*batch[:2]), batch[2])

    result = fit(model, lambda e: [(tokens, lengths, labels)] * 10, loss_fn, epochs=3, lr=1e-2, clip=0.5,
                 progress=False)
    assert result.losses[-1] < result.losses[0]
    assert len(result.grad_norms) == 30
    loss_fn(model, (tokens, lengths, labels)).backward()
    nn.utils.clip_grad_norm_(model.parameters(), 0.5)
    total = torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters()))
    assert total <= 0.5 + 1e-4


def test_checkpoint_resumes(tmp_path):
    model = SequenceTagger(10, 2, embed=4, hidden=4)
    tokens, lengths = pad_batch([[4, 5], [6]])

    def loss_fn(m, batch):
        return m(*batch).pow(2).mean()

    ckpt = str(tmp_path / "run.ckpt")
    fit(model, lambda e: [(tokens, lengths)], loss_fn, epochs=1, checkpoint=ckpt, progress=False)
    result = fit(model, lambda e: [(tokens, lengths)], loss_fn, epochs=2, checkpoint=ckpt, progress=False)
    assert result.epochs_done == 2 and len(result.losses) == 2 and len(result.grad_norms) == 1


def test_keep_best_keeps_its_epoch_across_a_resume(tmp_path):
    model = SequenceTagger(10, 1, embed=4, hidden=4)
    tokens, lengths = pad_batch([[4, 5], [6]])
    scores = iter([0.9, 0.1, 0.5])  # the first epoch is the best

    def loss_fn(m, batch):
        return m(*batch).pow(2).mean()

    def run(epochs: int) -> KeepBest:
        keep = KeepBest(model, lambda: (next(scores), {}), name="toy")
        fit(model, lambda e: [(tokens, lengths)], loss_fn, epochs=epochs, checkpoint=ckpt, after_epoch=keep,
            progress=False)
        return keep

    ckpt = str(tmp_path / "run.ckpt")
    first = run(1)
    kept = {k: v.clone() for k, v in model.state_dict().items()}
    keep = run(3)  # resumes after epoch 1, scores epochs 2 and 3
    assert [h["epoch"] for h in keep.history] == [1, 2, 3] and first.epoch == 1
    assert keep.restore() == 1
    assert all(torch.equal(model.state_dict()[k], v) for k, v in kept.items())


def _toy_seq2seq(attention: bool) -> Seq2Seq:
    return Seq2Seq(15, 12, embed=8, hidden=16, attention=attention)


@pytest.mark.parametrize("attention", [False, True])
def test_seq2seq_teacher_forcing_and_beam(attention):
    model = _toy_seq2seq(attention).eval()
    src, lengths = pad_batch([[4, 5, 6], [7, 8]])
    tgt, _ = pad_batch([[1, 5, 6, EOS_ID], [1, 7, EOS_ID]])
    logp = model(src, lengths, tgt)
    assert logp.shape == (2, 3, 12)
    greedy = model.greedy(src, lengths, max_len=6)
    assert model.beam_search(src, lengths, beam=1, max_len=6) == greedy
    wide = model.beam_search(src, lengths, beam=3, max_len=6)
    assert len(wide) == 2


def test_pointing_seq2seq_names_points_by_column_then_row(tmp_path):
    columns, rows = [10, 11, 12], [20, 21, 22]  # a 3x3 board: target ids of "a b c" and "1 2 3"
    model = PointingSeq2Seq(20, 30, columns, rows, point_features=4, copy_features=2, embed=8, hidden=16).eval()
    src, lengths = pad_batch([[4, 5, 6], [7, 8]])
    tgt, _ = pad_batch([[1, 11, 21, EOS_ID], [1, 7, 8, EOS_ID]])
    points = {"points": torch.randn(2, 9, 4)}
    with torch.no_grad():
        model.gate.bias.copy_(torch.tensor([-20.0, 20.0, 20.0]))  # all mass on the pointers; the record's is absent
        logp = model(src, lengths, tgt, None, points)
    probs = logp.exp()
    assert torch.allclose(probs.sum(-1), torch.ones(2, 3), atol=1e-5)
    assert probs[:, 0, columns].sum(-1).gt(0.99).all()  # first a column letter ...
    assert probs[0, 1, rows].sum() > 0.99 and probs[0, 1, columns].sum() < 0.01  # ... then, after "b", a row
    plain = Seq2Seq(20, 30, embed=8, hidden=16).eval()
    plain.load_state_dict(model.state_dict(), strict=False)
    assert torch.allclose(model(src, lengths, tgt), plain(src, lengths, tgt), atol=1e-6)  # no points: no pointer
    save_model(str(tmp_path / "pointing.pt"), model, {})
    loaded, _ = load_model(str(tmp_path / "pointing.pt"))
    assert torch.allclose(loaded(src, lengths, tgt, None, points), logp, atol=1e-5)
    with pytest.raises(ValueError):
        PointingSeq2Seq(20, 30, columns, rows[:2], point_features=4)


def test_pointing_seq2seq_copies_the_words_of_the_record():
    model = PointingSeq2Seq(20, 30, [10, 11, 12], [20, 21, 22], point_features=4, copy_features=2, embed=8,
                            hidden=16).eval()
    src, lengths = pad_batch([[4, 5, 6], [7, 8]])
    tgt, _ = pad_batch([[1, 25, 26, EOS_ID], [1, 7, 8, EOS_ID]])
    ids, _ = pad_batch([[25, 26, 25], [27]])
    record = {"copy_ids": ids, "copy_features": torch.randn(2, 3, 2),
              "copy_mask": torch.tensor([[True, True, True], [True, False, False]])}
    with torch.no_grad():
        model.gate.bias.copy_(torch.tensor([-20.0, 20.0, 20.0]))  # the board's pointer is absent
        probs = model(src, lengths, tgt, None, record).exp()
    assert torch.allclose(probs.sum(-1), torch.ones(2, 3), atol=1e-5)
    assert probs[0, :, [25, 26]].sum(-1).gt(0.99).all() and probs[1, :, 27].gt(0.99).all()
    assert probs[1, :, PAD_ID].lt(0.01).all()  # padding is never copied
    model.gate.bias.data.copy_(torch.tensor([0.0, -2.0, -2.0]))
    both = dict(record, points=torch.randn(2, 9, 4))
    assert torch.allclose(model(src, lengths, tgt, None, both).exp().sum(-1), torch.ones(2, 3), atol=1e-5)
    record["copy_mask"][1] = False  # nothing to copy for the second example: it reads as the plain model
    assert torch.allclose(model(src, lengths, tgt, None, record)[1], model(src, lengths, tgt)[1], atol=1e-5)


def test_pointing_seq2seq_never_copies_unknown_words():
    model = PointingSeq2Seq(20, 30, [10, 11, 12], [20, 21, 22], point_features=4, copy_features=2, embed=8,
                            hidden=16).eval()
    src, lengths = pad_batch([[4, 5, 6], [7, 8]])
    tgt, _ = pad_batch([[1, UNK_ID, 25, EOS_ID], [1, UNK_ID, UNK_ID, EOS_ID]])
    ids, _ = pad_batch([[UNK_ID, 25, UNK_ID], [UNK_ID, UNK_ID]])  # header names outside the vocabulary
    record = {"copy_ids": ids, "copy_features": torch.randn(2, 3, 2), "copy_mask": ids != PAD_ID}
    with torch.no_grad():
        model.gate.bias.copy_(torch.tensor([-20.0, 20.0, 20.0]))  # copying from the record dominates
        probs = model(src, lengths, tgt, None, record).exp()
        plain = model(src, lengths, tgt).exp()
    assert probs[0, :, 25].gt(0.99).all() and probs[0, :, UNK_ID].lt(0.01).all()
    assert torch.allclose(probs[1], plain[1], atol=1e-5)  # only unknown words: no copy at all


def test_attention_ignores_padding():
    model = _toy_seq2seq(True).eval()
    src, lengths = pad_batch([[4, 5, 6], [7]])
    keys, mask, state = model.encode(src, lengths)
    _, _, weights = model.step(torch.tensor([1, 1]), state, keys, mask)
    assert torch.all(weights[1, 1:] == 0) and torch.allclose(weights.sum(-1), torch.ones(2))


def test_save_load_round_trip(tmp_path):
    model = SequenceTagger(10, 2, embed=4, hidden=4, kind="elman").eval()
    path = str(tmp_path / "m.pt")
    save_model(path, model, {"vocab": ["a", "b"], "metrics": {"acc": 0.5}})
    blob = torch.load(path, weights_only=True)
    assert blob["meta"]["vocab"] == ["a", "b"]
    loaded, meta = load_model(path)
    tokens, lengths = pad_batch([[4, 5, 6]])
    assert torch.allclose(model(tokens, lengths), loaded(tokens, lengths))
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a model")
    with pytest.raises(ValueError, match="bad.pt"):
        load_model(str(bad))
    with pytest.raises(ValueError, match="not found"):
        load_model(str(tmp_path / "missing.pt"))


def test_gradnorm_demo_clipping_bounds_the_applied_norm():
    from rnn_tools.gradnorms import run
    free = run(seq_len=60, steps=8, max_norm=None, hidden=8)
    clipped = run(seq_len=60, steps=8, max_norm=0.5, hidden=8)
    assert max(clipped["applied"]) <= 0.5 + 1e-4
    assert free["raw"][0] == pytest.approx(clipped["raw"][0])  # same start, clipping acts after the norm
    assert max(free["applied"]) > 0.5


def test_one_model_file_format_with_checksums_and_the_shipped_files_load(tmp_path):
    from pathlib import Path

    from policy import modelfile
    from policy.checkpoint import DEFAULT_WEIGHTS, load_model as load_policy
    from rnn_tools.outcome import OutcomeModel
    from rnn_tools.sentiment import SentimentModel
    shipped = Path(__file__).resolve().parents[1] / "rnn_tools" / "weights"
    assert OutcomeModel(str(shipped / "outcome.pt")).size == 19  # written before checksums: rnn_tools-model-1
    assert SentimentModel(str(shipped / "sentiment.pt")).praise_probability("A fine move.") is not None
    load_policy(DEFAULT_WEIGHTS)
    path = str(tmp_path / "m.pt")
    save_model(path, SequenceTagger(10, 2, embed=4, hidden=4, kind="gru"), {"task": "test"})
    blob = torch.load(path, weights_only=True)
    assert (blob["format"], blob["format_version"]) == ("rnn_tools-model", 2)
    assert blob["weights_sha256"] == modelfile.weights_checksum(blob["state_dict"])
    name = next(iter(blob["state_dict"]))
    blob["state_dict"][name] = blob["state_dict"][name] + 1
    torch.save(blob, tmp_path / "changed.pt")
    with pytest.raises(modelfile.ModelFileError, match="checksum"):
        load_model(str(tmp_path / "changed.pt"))
    with pytest.raises(modelfile.ModelFileError, match="not a rnn_tools-model"):
        load_model(str(DEFAULT_WEIGHTS))  # a policy file is not a sequence model
