"""The evaluative Go lexicon that labels comments as praise or criticism, and the masking of its cue words.

A cue is a word (English, matched whole) or a term (Chinese, matched as a substring, traditional and simplified
forms). A negator shortly before a cue flips it ("not bad", "並非失着"). A text whose cues all point one way gets
that label; a text with no cue or with cues both ways gets none. ``mask_cues`` replaces every cue (and the
negator that flipped it) by ``<mask>``, so a model trained on masked text must learn from the context.
"""
from __future__ import annotations

import re

PRAISE_EN = ("good", "nice", "great", "excellent", "fine", "correct", "tesuji", "brilliant", "clever",
             "perfect", "proper", "superb", "skillful", "skilful", "accurate", "beautiful")
CRITICISM_EN = ("bad", "slow", "overplay", "overplays", "mistake", "mistakes", "error", "errors", "wrong",
                "blunder", "blunders", "poor", "questionable", "dubious", "terrible", "unreasonable",
                "inefficient", "passive", "careless", "pointless", "unnecessary", "overconcentrated", "awful",
                "misplay", "misses", "failure", "useless")
PRAISE_ZH = ("好手", "妙手", "本手", "好棋", "正着", "正著", "強手", "强手", "佳着", "佳著", "漂亮", "冷靜", "冷静",
             "好點", "好点", "要點", "要点", "機敏", "机敏", "精彩", "最善")
CRITICISM_ZH = ("惡手", "恶手", "緩手", "缓手", "失着", "失著", "敗着", "败着", "敗著", "疑問手", "疑问手", "問題手",
                "问题手", "俗手", "壞棋", "坏棋", "錯誤", "错误", "失誤", "失误", "過分", "过分", "無理", "无理",
                "錯覺", "错觉", "軟弱", "软弱", "太緩", "太缓")
NEGATORS_EN = ("not", "n't", "no", "never", "hardly", "nothing")
NEGATORS_ZH = ("不是", "並非", "并非", "不算", "沒有", "没有", "並不", "并不", "不")

_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?|[\u3400-\u9fff]+|\S")
_EN_CUES = {w: 1 for w in PRAISE_EN} | {w: -1 for w in CRITICISM_EN}
_ZH_RE = re.compile("|".join(sorted(PRAISE_ZH + CRITICISM_ZH, key=len, reverse=True)))
_ZH_NEG_RE = re.compile("(" + "|".join(sorted(NEGATORS_ZH, key=len, reverse=True)) + r")\s*$")
_EN_NEG_RE = re.compile(r"\b(?:not|no|never|hardly|nothing)\b(?:\s+\w+){0,2}\s*$|n't(?:\s+\w+){0,2}\s*$", re.I)
MASK = "<mask>"


def find_cues(text: str) -> list[tuple[int, int, int]]:
    """Every cue as (start, end, polarity): +1 praise, -1 criticism, already flipped by a negator just before.

    The span covers the negator too when there is one, so masking hides it.
    """
    found = []
    for m in re.finditer(r"[A-Za-z]+", text):
        pol = _EN_CUES.get(m.group().lower())
        if pol is None:
            continue
        start = m.start()
        neg = _EN_NEG_RE.search(text[max(0, start - 30):start])
        if neg:
            pol, start = -pol, start - (len(text[max(0, start - 30):start]) - neg.start())
        found.append((start, m.end(), pol))
    for m in _ZH_RE.finditer(text):
        pol = 1 if m.group() in PRAISE_ZH else -1
        start = m.start()
        neg = _ZH_NEG_RE.search(text[max(0, start - 3):start])
        if neg:
            pol, start = -pol, start - (len(text[max(0, start - 3):start]) - neg.start())
        found.append((start, m.end(), pol))
    return sorted(found)


def label(text: str) -> int | None:
    """1 for praise, 0 for criticism, None when the lexicon does not decide."""
    polarities = {p for _, _, p in find_cues(text)}
    if len(polarities) != 1:
        return None
    return 1 if polarities.pop() > 0 else 0


def mask_cues(text: str) -> str:
    """``text`` with every cue (and its negator) replaced by ``<mask>``."""
    out, last = [], 0
    for start, end, _ in find_cues(text):
        if start < last:
            continue
        out += [text[last:start], f" {MASK} "]
        last = end
    out.append(text[last:])
    return "".join(out)
