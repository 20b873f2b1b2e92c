"""``GoEnv``: a gymnasium environment for Go, registered as ``goengine/Go-v0``.

One agent plays both colours in turn. Actions are ``Discrete(size*size + 1)`` (pass last); observations are the
feature planes of ``goengine.features`` (``features``, the newest set by default) from the side to move's view; ``info["action_mask"]`` marks legal actions.
The episode ends after two passes (reward +1 / -1 / 0 by area scoring, from the view of the player who made
the final move) or after ``max_moves``. An illegal action ends the episode with reward -1 for the mover and
``info["illegal_move"]`` set to the reason (it does not raise). Once the episode has ended, ``step`` raises
``gymnasium.error.ResetNeeded`` until ``reset``; an action that is not an integer (2.7) raises ``ValueError``.
"""
from __future__ import annotations

import operator

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .board import BLACK, Board
from .features import DEFAULT_FEATURES, FeatureSet
from .render import render_ascii, render_rgb
from .scoring import area_score, check_komi


class GoEnv(gym.Env):
    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 2}

    def __init__(self, size: int = 9, komi: float = 7.5, allow_suicide: bool = False, superko: bool = True,
                 max_moves: int | None = None, render_mode: str | None = None,
                 features: FeatureSet = DEFAULT_FEATURES):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}")
        self.size, self.komi = size, check_komi(komi)
        self.rules = dict(allow_suicide=allow_suicide, superko=superko)
        self.max_moves = max_moves or 2 * size * size
        self.render_mode = render_mode
        self.features = features
        self.board = Board(size, **self.rules)
        self.ended = False  # terminated or truncated: ``step`` needs a ``reset`` first
        self.action_space = spaces.Discrete(size * size + 1)
        self.observation_space = spaces.Box(0.0, 1.0, (features.num_planes, size, size), dtype=np.float32)

    def _obs(self) -> np.ndarray:
        return self.features.encode(self.board)

    def _info(self, **extra) -> dict:
        info = {"action_mask": self.board.legal_mask().astype(np.int8), "to_play": self.board.to_move,
                "move_number": self.board.move_number}
        info.update(extra)
        return info

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.board = Board(self.size, **self.rules)
        self.ended = False
        return self._obs(), self._info()

    def _action(self, action) -> int:
        """``action`` as an int (a Python or NumPy integer); ``ValueError`` for 2.7, 2.0, "2" or off the board."""
        try:
            point = operator.index(action)
        except TypeError:
            raise ValueError(f"action must be an integer, got {action!r}") from None
        if not 0 <= point <= self.board.n:
            raise ValueError(f"action {point} is outside Discrete({self.board.n + 1})")
        return point

    def step(self, action):
        if self.ended:
            raise gym.error.ResetNeeded("the episode has ended: call reset() before step()")
        action = self._action(action)
        board = self.board
        mover = board.to_move
        reason = board.illegal_reason(action, mover)
        if reason is not None:
            self.ended = True
            return self._obs(), -1.0, True, False, self._info(illegal_move=reason)
        board.play(action, mover)
        terminated = board.passes >= 2
        truncated = not terminated and board.move_number >= self.max_moves
        self.ended = terminated or truncated
        reward = 0.0
        info_extra = {}
        if terminated:
            result = area_score(board, self.komi)
            margin = result.margin if mover == BLACK else -result.margin
            reward = float(np.sign(margin))
            info_extra["result"] = result.result
        return self._obs(), reward, terminated, truncated, self._info(**info_extra)

    def render(self):
        if self.render_mode == "ansi":
            return render_ascii(self.board)
        if self.render_mode == "rgb_array":
            return render_rgb(self.board)
        return None
