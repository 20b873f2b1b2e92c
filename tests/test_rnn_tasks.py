"""The tasks of rnn_tools on tiny synthetic games and comments written by the tests themselves."""
import json
import random
import tarfile

import numpy as np
import pytest
import torch

from goengine.board import BLACK, WHITE, Board
from goengine.game import Game, parse_result, replay
from goengine.sgf import game_to_sgf, read_game
from rnn_tools import movelm, outcome, sentiment, tagging
from goengine.dataset import read_unique
from rnn_tools.data import read_split
from rnn_tools.encoding import tokenize
from rnn_tools.lexicon import label, mask_cues
from rnn_tools.metrics import binary_f1, macro_f1, roc_auc
from rnn_tools.training import load_model


def random_game(size: int = 9, moves: int = 60, seed: int = 0, result: str = "B+R") -> Game:
    """A game of random legal moves (no passes, no filling of own eyes)."""
    rng = random.Random(seed)
    board = Board(size)
    game = Game(size=size, komi=6.5)
    for _ in range(moves):
        color = board.to_move
        legal = [p for p in board.legal_moves(color)[:-1] if not board.is_eyeish(p, color)]
        if not legal:
            break
        point = rng.choice(legal)
        board.play(point, color)
        game.moves.append((color, point))
    game.info.result = parse_result(result)
    return game


def write_games(folder, games) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, game in enumerate(games):
        (folder / f"g{i:03d}.sgf").write_bytes(game_to_sgf(game))


@pytest.fixture(scope="module")
def game_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("games")
    games = [random_game(9, 70, seed=i, result="B+R" if i % 2 else "W+3.5") for i in range(40)]
    games += [random_game(9, 20, seed=99, result="B+T"), random_game(9, 20, seed=98, result="Void")]
    write_games(folder, games)
    (folder / "broken.sgf").write_bytes(b"(;GM[1]SZ[9];B[ee];W[")
    (folder / "empty.sgf").write_bytes(b"(;GM[1]SZ[9]KM[6.5]RE[B+R])")
    return folder


def test_metrics():
    assert roc_auc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == 1.0
    assert roc_auc([0, 1], [0.5, 0.5]) == 0.5
    assert binary_f1([1, 0, 1], [1, 1, 0])[2] == pytest.approx(0.5)
    assert macro_f1([0, 1], [0, 1]) == 1.0


def test_outcome_features_and_skips(game_dir):
    games, stats = read_unique(str(game_dir), outcome.outcome_filter(9), accept=outcome.accept_for_outcome)
    assert len(games) == 40
    skipped = stats.skipped
    assert skipped["result by time"] == 1 and skipped["result void"] == 1 and skipped["no moves"] == 1
    assert skipped["unparsable game"] == 1
    value = outcome.ValueFeature.from_file()
    tokens, feats = outcome.game_features(games[0], value)
    assert len(tokens) == len(games[0].moves) and feats.shape == (len(tokens), len(outcome.FEATURES))
    short_tokens, short = outcome.game_features(games[0], value, limit=12)
    assert short_tokens == tokens[:12] and np.allclose(short, feats[:12])
    assert feats[0, 0] == 1 and feats[1, 0] == 0  # black moved first
    assert feats[-1, 1] * 100 == pytest.approx(sum(1 for s in games[0].new_board().stones if s) or
                                               _stones_after(games[0], BLACK))
    with pytest.raises(ValueError, match="no moves"):
        outcome.game_features(Game(size=9), value)


def test_value_feature_is_the_value_head_held_between_evaluations():
    from goengine.game import positions
    from policy.inference import Policy
    game = random_game(9, 23, seed=3)
    value = outcome.ValueFeature.from_file(stride=5)
    black = value.black_values(game)
    assert black.shape == (23,) and (black[:4] == 0).all()
    policy = Policy.load()
    boards = [board.copy() for board, _, _ in positions(game)]
    for m in (5, 10, 15, 20):  # after move m: the position before move m + 1, seen from Black
        v = policy.predict(boards[m])[1]
        expected = v if boards[m].to_move == BLACK else -v
        assert black[m - 1] == pytest.approx(expected, abs=1e-5)
        assert (black[m - 1:m + 4] == black[m - 1]).all()  # held until the next evaluation
    assert np.allclose(value.black_values(game, limit=12), black[:12])


def _stones_after(game, color):
    from goengine.game import replay
    return sum(1 for s in replay(game).stones if s == color)


def test_influence_area():
    stones = np.zeros((1, 9, 9), dtype=np.int8)
    stones[0, 4, 4] = BLACK
    black, white = outcome.influence_area(stones)
    assert black[0] > 1 and white[0] == 0


def test_outcome_train_evaluate_plot(game_dir, tmp_path):
    path = str(tmp_path / "outcome.pt")
    meta = outcome.train([str(game_dir)], path, every=1, epochs=2, members=2, hidden=16, size=9, progress=False)
    assert len(meta["members"]) == 2 and meta["members"][0]["seed"] != meta["members"][1]["seed"]
    for member in meta["members"]:
        assert member["history"][1]["loss"] < member["history"][0]["loss"] + 0.05
        assert member["kept_epoch"] in (1, 2)
    report = outcome.evaluate([str(game_dir)], path, split=None)
    assert report["games"] == 40 and set(report["accuracy_at"]) == {"50"}
    assert report["games_at"]["50"] == 40
    png = tmp_path / "curve.png"
    outcome.plot_curve(random_game(9, 40, seed=5), path, str(png))
    assert png.stat().st_size > 1000
    with pytest.raises(ValueError, match="board size 13"):
        outcome.plot_curve(random_game(13, 10), path, str(png))
    with pytest.raises(ValueError, match="no usable 9x9"):
        outcome.evaluate([str(game_dir / "empty.sgf")], path)


def test_outcome_loss_ignores_padding():
    model = outcome.SequenceTagger(len(outcome.MoveVocab(9)), 1, embed=4, hidden=4,
                                   features=len(outcome.FEATURES))
    a = {"tokens": [5, 6, 7], "features": np.zeros((3, len(outcome.FEATURES)), np.float32), "label": 1.0,
         "moves": 3}
    b = dict(a, tokens=[5], features=np.zeros((1, len(outcome.FEATURES)), np.float32))
    batch = outcome.collate([a, b])
    assert torch.allclose(outcome.loss_fn(model, batch),
                          (outcome.loss_fn(model, outcome.collate([a])) * 3 + outcome.loss_fn(
                              model, outcome.collate([b]))) / 4, atol=1e-6)


def test_capture_tags():
    game = Game(size=5)
    # Black D3 (13), White C3 (12) ... black surrounds the white stone at C3 and captures it
    for color, point in [(BLACK, 7), (WHITE, 12), (BLACK, 11), (WHITE, 24), (BLACK, 17), (WHITE, 20),
                         (BLACK, 13), (WHITE, 25)]:
        game.moves.append((color, point))
    tokens, feats, tags, boards = tagging.capture_tags(game)
    assert tags.tolist() == [0, 1, 0, 0, 0, 0, 0, -1]
    assert feats[6, 2] == pytest.approx(0.1)  # the capturing move took one stone
    points = np.array([p for _, p in game.moves])
    points[points == 25] = -1  # the pass
    planes = tagging.board_planes(boards, points, 5).reshape(8, 4, 25)
    assert planes[6, 0, 13] == 1 and planes[6, 1, 12] == 0  # Black's capturing stone is on, White's C3 is gone
    assert planes[6, 3].nonzero()[0].tolist() == [12] and planes[6, 2].nonzero()[0].tolist() == [13]
    assert planes[5, 1, 12] == 1 and planes[5, 3].sum() == 0 and planes[7, 2].sum() == 0
    (x, lengths, pts), batch_tags = tagging.collate([{"tokens": tokens, "features": feats, "tags": tags,
                                                      "boards": boards, "size": 5}])
    assert x.shape == (1, 8, 4, 5, 5) and pts[0].tolist() == points.tolist()
    assert torch.equal(x[0], torch.from_numpy(planes.reshape(8, 4, 5, 5)))


@pytest.mark.parametrize("inputs", tagging.INPUTS)
def test_tagging_trains_both_directions(game_dir, inputs):
    results = tagging.train_and_score([str(game_dir)], every=1, kinds=("gru",), epochs=1, hidden=8, size=9,
                                      inputs=inputs, progress=False)
    for name in ("gru", "bi-gru"):  # the F1 itself is checked on known answers in test_metrics
        precision, recall = results[name]["precision"], results[name]["recall"]
        assert results[name]["f1"] == pytest.approx(2 * precision * recall / (precision + recall or 1))
    with pytest.raises(ValueError):
        tagging.train_and_score([str(game_dir)], inputs="pixels", progress=False)


def test_move_lm(game_dir, tmp_path):
    metrics = movelm.train([str(game_dir)], str(tmp_path / "lm.pt"), every=1, epochs=1, hidden=16, size=9,
                           progress=False)
    assert metrics["lstm"]["top1"] <= metrics["lstm"]["top5"] and metrics["unigram"]["perplexity"] > 1
    cnn = metrics["cnn_policy"]
    assert cnn["top1"] <= cnn["top5"] and cnn["moves"] == metrics["lstm"]["moves"] == metrics["unigram"]["moves"]
    load_model(str(tmp_path / "lm.pt"))


def test_lexicon_labels_and_masks():
    assert label("White 16 is slow.") == 0
    assert label("A nice tesuji!") == 1
    assert label("This is not good.") == 0
    assert label("Good shape, but the cut is a mistake.") is None
    assert label("黑17是明顯的失着") == 0 and label("這並非失着") == 1
    assert label("White plays at the top.") is None
    masked = mask_cues("This is not good, a slow move.")
    assert "good" not in masked and "slow" not in masked and "not" not in masked and "<mask>" in masked


COMMENTS = ["Black 5 is a good move that builds a wall.", "This hane is slow and gives away the corner.",
            "White 8 is a mistake, too greedy.", "Nice tesuji to connect underneath.",
            "A bad move: it leaves a cutting point.", "Excellent, the right direction of play."]


def write_commented_games(folder, count: int, moves: int, seed: int) -> list[Game]:
    """Write ``count`` random 9x9 games whose first six moves carry comments from COMMENTS; return them."""
    games = []
    for i in range(count):
        game = random_game(9, moves, seed=seed + i)
        game.comments = {j + 1: COMMENTS[(i + j) % len(COMMENTS)] for j in range(6)}
        games.append(game)
    write_games(folder, games)
    return games


def test_sentiment_train_and_annotate(tmp_path):
    folder = tmp_path / "reviews"
    write_commented_games(folder, count=30, moves=12, seed=200)
    path = str(tmp_path / "sentiment.pt")
    meta = sentiment.train([str(folder)], path, epochs=2, hidden=8, progress=False)
    assert meta["history"][-1]["loss"] < meta["history"][0]["loss"]
    assert {"rnn", "bag_of_words", "majority"} <= set(meta["test"]["all"])
    scorer = sentiment.SentimentModel(path)
    both = scorer.praise_probability("White 8 is a mistake. A nice tesuji!")
    one, other = (sentiment.predict(scorer.model, scorer.vocab, [mask_cues(s)])[0]
                  for s in ("White 8 is a mistake.", "A nice tesuji!"))
    assert both == pytest.approx((one + other) / 2) and scorer.praise_probability("") is None


def test_cli_evaluate_outcome_json(game_dir, tmp_path, capsys):
    from rnn_tools.cli import main
    path = str(tmp_path / "o.pt")
    outcome.train([str(game_dir)], path, every=1, epochs=1, members=1, hidden=8, size=9, progress=False)
    assert main(["evaluate", "outcome", str(game_dir), "--model", path, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    test_games = len(read_split(str(game_dir), outcome.outcome_filter(9), accept=outcome.accept_for_outcome)[0]["test"])
    assert report["split"] == "test" and report["games"] == test_games < 40 and "50" in report["accuracy_at"]
    assert main(["evaluate", "outcome", str(game_dir), "--model", path, "--split", "all", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["games"] == 40
    assert main(["evaluate", "outcome", str(tmp_path / "missing"), "--model", path]) != 0
    assert main(["evaluate", "outcome", str(game_dir), "--model", str(tmp_path / "nope.pt")]) == 2


def test_commentator_events():
    from rnn_tools.rule_commentator import describe, game_events, render
    game = Game(size=5)
    for color, point in [(BLACK, 7), (WHITE, 12), (BLACK, 11), (WHITE, 24), (BLACK, 17), (WHITE, 20),
                         (BLACK, 13), (WHITE, 25)]:
        game.moves.append((color, point))
    kinds = [e.kind for e in game_events(game)]
    assert kinds[5] == "play" and kinds[6] == "capture" and kinds[7] == "pass"
    assert kinds[4] == "atari"
    events = game_events(game)
    assert events[6].fields["ref"] == 2 and events[6].fields["n"] == 1
    texts = {render(events[6], k) for k in range(3)}
    assert len(texts) == 3 and all("D3" in t and "2" in t for t in texts)
    assert describe(game, 8) == describe(game, 8)
    with pytest.raises(ValueError, match="out of range"):
        describe(game, 9)


def test_commentator_ko():
    from rnn_tools.rule_commentator import game_events
    game = Game(size=5)
    game.moves = [(BLACK, 1), (WHITE, 2), (BLACK, 5), (WHITE, 8), (BLACK, 11), (WHITE, 12), (BLACK, 24),
                  (WHITE, 6), (BLACK, 7)]
    events = game_events(game)
    assert events[-1].kind == "ko" and events[-1].fields["v"] == "C2"


def test_commentary_seq2seq_tiny(game_dir):
    pytest.importorskip("sacrebleu")
    from rnn_tools import rule_commentary_seq2seq as commentary
    results = commentary.train_and_score([str(game_dir)], every=1, per_game=5, epochs=1, hidden=16,
                                         test_examples=20, size=9, progress=False)
    for name in ("attention", "no_attention"):  # BLEU itself is checked on known answers in test_metrics
        for figure in ("bleu_greedy", "bleu_beam4_first300", "bleu_greedy_first300"):
            lo, hi = results[name][f"{figure}_ci95"]
            assert lo <= results[name][figure] <= hi
    gap = results["attention_minus_no_attention"]
    assert gap["bleu_greedy"] == pytest.approx(results["attention"]["bleu_greedy"]
                                               - results["no_attention"]["bleu_greedy"])
    assert gap["bleu_greedy_ci95"][0] <= gap["bleu_greedy"] <= gap["bleu_greedy_ci95"][1]
    assert len(results["samples"]) == min(10, results["scored"])


def test_annotate_and_comment_cli(tmp_path, capsys):
    from rnn_tools.cli import main
    folder = tmp_path / "reviews"
    games = write_commented_games(folder, count=12, moves=10, seed=300)
    model = str(tmp_path / "s.pt")
    sentiment.train([str(folder)], model, epochs=1, hidden=8, progress=False)
    out = tmp_path / "annotated.sgf"
    src = str(folder / "g000.sgf")
    assert main(["annotate", src, "-o", str(out), "--sentiment-model", model,
                 "--outcome-model", str(tmp_path / "none.pt")]) == 0
    annotated = read_game(str(out))
    assert annotated.moves == games[0].moves and annotated.comments == read_game(src).comments
    capsys.readouterr()
    assert main(["comment", src, "--move", "3"]) == 0
    assert capsys.readouterr().out.strip()
    empty = tmp_path / "empty.sgf"
    empty.write_bytes(b"(;GM[1]SZ[9])")
    assert main(["annotate", str(empty), "-o", str(out), "--sentiment-model", model]) == 2
    assert main(["comment", str(tmp_path / "missing.sgf"), "--move", "1"]) == 2
    assert main(["comment", src, "--move", "99"]) == 2


def test_term_list_and_matching(tmp_path):
    from rnn_tools import terms
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "dict_file.txt").write_text("Hane\nBad shape\nThickness / Atsui\nUp\nKo\n")
    listed = terms.read_term_list(str(tmp_path))
    assert listed == [["hane"], ["bad shape"], ["thickness", "atsui"], ["ko"]]  # "up" is an everyday word
    archive = tmp_path / "gtl.tar.xz"
    with tarfile.open(archive, "w:xz") as tar:
        tar.add(tmp_path / "data" / "dict_file.txt", arcname="gtl/data/dict_file.txt")
    assert terms.read_term_list(str(archive)) == listed
    with pytest.raises(ValueError, match="no such file"):
        terms.read_term_list(str(tmp_path / "data" / "missing"))
    hane = terms.term_pattern(["hane"])
    assert hane.search("Two Hanes here") and hane.search("a hane.") and not hane.search("haneda")
    assert terms.term_pattern(["bad shape"]).search("This is BAD SHAPE")
    assert terms.choose_terms(listed, ["a hane", "the hane", "ko"], top=2, min_count=1) == ["hane", "ko"]


def test_move_facts_capture_atari_contact():
    from rnn_tools import terms
    game = Game(size=5)
    # Black C2 (7), White C3 (12), Black B3 (11), White E5 (24), Black D3 (13): White C3 in atari, then
    # White A1 (0), Black C4 (17) captures it
    game.moves = [(BLACK, 7), (WHITE, 12), (BLACK, 11), (WHITE, 24), (BLACK, 13), (WHITE, 0), (BLACK, 17)]
    tokens, facts = terms.move_facts(game)
    col = {name: i for i, name in enumerate(terms.MOVE_FACTS)}
    assert facts.shape == (7, len(terms.MOVE_FACTS))
    assert facts[4, col["enemy groups put in atari/4"]] == pytest.approx(0.25)
    assert facts[6, col["stones captured/10"]] == pytest.approx(0.1)
    assert facts[1, col["touches an enemy stone"]] == 1 and facts[3, col["touches an enemy stone"]] == 0
    assert facts[5, col["line from the edge/10"]] == pytest.approx(0.1)


def test_terms_task_learns_a_term_that_follows_the_board(tmp_path):
    from rnn_tools import terms
    folder = tmp_path / "reviews"
    games = []
    for i in range(60):
        game = random_game(9, 30, seed=500 + i)
        _, facts = terms.move_facts(game)
        touch = terms.MOVE_FACTS.index("touches an enemy stone")
        game.comments = {j + 1: ("A hane here." if facts[j, touch] else "Tenuki, fine.") for j in range(0, 30, 2)}
        games.append(game)
    write_games(folder, games)
    (folder / "dict_file.txt").write_text("Hane\nTenuki\nJoseki\n")
    report = terms.train_and_score([str(folder)], every=1, epochs=40, hidden=16, size=9, min_count=5,
                                   progress=False)
    assert set(report) >= {"logistic", "lstm", "bi-lstm", "term_share"}
    assert set(report["bi-lstm"]["auc"]) == set(report["bi-lstm"]["auc_ci95"]) == {"hane", "tenuki"}  # no joseki
    assert report["bi-lstm"]["auc"]["hane"] > 0.8 and report["logistic"]["auc"]["hane"] > 0.8
    with pytest.raises(ValueError):
        terms.train_and_score([str(tmp_path / "empty")], every=1, size=9, terms_from=str(folder), progress=False)


def test_real_comments_task(tmp_path):
    from rnn_tools import review_comments as comments
    folder = tmp_path / "reviews"
    write_commented_games(folder, count=30, moves=12, seed=700)
    game = read_game(str(next(folder.glob("*.sgf"))))
    examples = comments.comment_examples(game)
    assert len(examples) == 6 and examples[0]["lang"] == "en"
    src, feats = examples[2]["src"], examples[2]["features"]
    assert len(src) == 2 * 3 and feats.shape == (6, comments.n_features(9))
    for k in range(1, 6, 2):  # move tokens carry their column and row, number tokens none
        row, col = divmod(game.moves[k // 2][1], 9)
        coords = feats[k, comments.N_FEATURES:]
        assert coords[col] == 1 and coords[9 + row] == 1 and coords.sum() == 2
        assert not feats[k - 1, comments.N_FEATURES:].any()
    report = comments.train_and_score([str(folder)], every=1, epochs=2, tune_epochs=1, hidden=16, size=9,
                                      progress=False)
    assert [h["epoch"] for h in report["language_model"]["history"]] == [0, 1, 2]
    for name, epochs in (("text_only", 1), ("seq2seq", 1)):
        history = report[name]["history"]
        assert [h["epoch"] for h in history] == list(range(epochs + 1))
        assert history[report[name]["kept_epoch"]]["valid_perplexity"] == min(h["valid_perplexity"] for h in history)
        assert np.isfinite(report[name]["all"]["perplexity"]) and report[name]["all"]["perplexity"] > 1
        assert report[name]["en"]["n"] == report[name]["all"]["n"] == report["scored"]
    assert len(report["samples"]) == min(10, report["scored"])
    assert set(report["saving"]) == set(comments.TOKEN_KINDS)
    assert sum(k["share"] for k in report["saving"].values()) == pytest.approx(1)
    log_ratio = np.log(report["text_only"]["all"]["perplexity"] / report["seq2seq"]["all"]["perplexity"])
    assert sum(k["part"] for k in report["saving"].values()) == pytest.approx(log_ratio, abs=1e-4)
    from rnn_tools.encoding import BOS_ID, TextVocab
    vocab = TextVocab.build([e["target"] for e in examples], min_freq=1)
    src, lengths, feats, tgt, extra = comments.collate(vocab, examples[:2], see_game=False)
    assert src.shape == (2, 1) and lengths.tolist() == [1, 1] and tgt[0, 0].item() == BOS_ID and extra is None
    extra = comments.collate(vocab, examples[:2], see_game=True)[4]
    points = extra["points"]
    assert points.shape == (2, 81, comments.POINT_FEATURES)
    move = game.moves[0][1]  # the first commented move: itself at offset 0, the newest of the recent moves
    assert points[0, move, 4] == 1 and points[0, move, 9 + 4] == 1 and points[0, move, 26] == 1
    assert points[0, move, 26 + comments.RECENT + 1] == 1  # the mover's own stone stands there
    assert torch.all(points.sum(-1) >= 3)  # every point has its offsets or distance, its contents and its line
    assert not points[..., -4:].any()  # read without a policy network


def test_comments_read_the_policy_and_the_record():
    from policy.inference import Policy
    from rnn_tools import review_comments as comments
    game = random_game(9, 12, seed=3)
    game.info.black, game.info.white = "Kaya", "Tomas"
    game.comments = {0: "Hi, tomas here. My comments start with T: from now on.", 3: "T: slow, 2 is better",
                     12: "resign?"}
    policy = Policy.load()
    examples = comments.comment_examples(game, policy)
    assert [e["number"] for e in examples] == [3, 12]
    chances = examples[0]["board"]["policy"]
    assert chances.shape == (81,) and abs(float(chances.sum()) - 1) < 0.01
    before = replay(game, 2)
    assert np.allclose(chances, policy.predict(before)[0][:81], atol=1e-3)  # the position before move 3
    assert (examples[1]["board"]["stones"] == np.frombuffer(bytes(replay(game).stones), np.int8)).all()
    features = comments.point_features(**{k: v for k, v in examples[0]["board"].items()}, size=9)
    best = int(np.argmax(chances))
    assert features[best, -3:].tolist() == [1, 1, 1] and features[:, -3].sum() == 1 and features[:, -1].sum() == 10
    words, feats = comments.copy_source(examples[0]["header"], 3)
    assert words[:8] == ["1", "2", "3", "4", "5", "6", "kaya", "tomas"]  # numbers, players, opening comment
    assert feats[2, comments.NUMBERS_BACK] == 1 and feats[6:, -3].all() and feats[6:8, -1].all()
    colon = [w for w, f in zip(words, feats) if f[-2]]
    assert colon == ["t"]  # the mark before a colon
    assert words.count("tomas") == 2 and len(words) == 6 + 2 + len(tokenize(game.comments[0]))


def test_cli_train_without_paths_reads_the_data_folder_named(monkeypatch, capsys, tmp_path):
    from rnn_tools.cli import main
    monkeypatch.delenv("GOENGINE_DATA", raising=False)
    assert main(["train", "outcome"]) == 2
    assert "--data DIR" in capsys.readouterr().err
    monkeypatch.setenv("GOENGINE_DATA", str(tmp_path))
    assert main(["train", "outcome"]) == 2  # the archive is not under that folder
    assert f"{tmp_path}/games/pro-1561-2022.tar.xz" in capsys.readouterr().err
