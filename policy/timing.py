"""Time management: GTP time settings and ``time_left`` reports turned into seconds to think about one move.

Kinds, as GTP and KGS name them: ``none``; ``absolute`` (main time only); ``canadian`` (after main time, ``byo``
seconds for every ``stones`` stones); ``byoyomi`` (after main time, ``stones`` periods of ``byo`` seconds each, a
period lost only when a move overruns it). The budget spreads the main time over the moves likely left, leaves
``lag`` seconds per move for transmission and overhead, and in overtime never risks a period or the clock.
"""
from __future__ import annotations

from dataclasses import dataclass

MIN_MOVES_LEFT = 20  # the main time is never planned over fewer moves than this
OVERTIME_SHARE = 0.8  # of the time per overtime move actually used


@dataclass(frozen=True)
class TimeControl:
    kind: str = "none"  # none, absolute, canadian, byoyomi
    main: float = 0.0
    byo: float = 0.0
    stones: int = 0  # canadian: stones per period; byoyomi: number of periods

    def __post_init__(self) -> None:
        if self.kind not in ("none", "absolute", "canadian", "byoyomi"):
            raise ValueError(f"unknown time control {self.kind!r}")
        if self.main < 0 or self.byo < 0 or self.stones < 0:
            raise ValueError("time settings must not be negative")

    @classmethod
    def from_gtp(cls, main: float, byo: float, stones: int) -> "TimeControl":
        """GTP ``time_settings``: byo-yomi time with 0 stones means no limit; 0 stones otherwise absolute."""
        if stones == 0:
            return cls("none") if byo > 0 else cls("absolute", main)
        return cls("canadian", main, byo, stones)

    def budget(self, seconds_left: float | None = None, stones_left: int = 0, empty_points: int = 361,
               lag: float = 0.3) -> float | None:
        """Seconds for the next move, or None without a limit.

        ``seconds_left`` / ``stones_left`` are the latest GTP ``time_left`` figures (None: nothing reported yet,
        the full main time is assumed). For byo-yomi in overtime, ``stones_left`` counts the periods left, as KGS
        sends it. ``empty_points`` sizes the guess of how many moves remain.
        """
        if self.kind == "none":
            return None
        left = self.main if seconds_left is None else max(0.0, seconds_left)
        in_overtime = stones_left > 0 or (seconds_left is None and self.main == 0 and self.kind != "absolute")
        if in_overtime:
            if self.kind == "canadian":
                period, stones = (left, stones_left) if stones_left > 0 else (self.byo, self.stones)
                per = period / max(1, stones)
            else:  # byoyomi: each move may use one whole period, which starts afresh
                per = min(left, self.byo) if left > 0 else self.byo
            return max(0.0, OVERTIME_SHARE * per - lag)
        share = left / max(MIN_MOVES_LEFT, empty_points // 3)
        # when main time runs out during a move, the first overtime period already covers the rest of it
        cushion = {"canadian": self.byo / max(1, self.stones), "byoyomi": self.byo}.get(self.kind, 0.0)
        spend = share + 0.5 * cushion
        return max(0.0, min(spend, left + OVERTIME_SHARE * cushion) - lag)
