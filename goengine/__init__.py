"""goengine: the rules of Go, game records and network features (Python and numpy, the tactical reader compiled by numba; no torch)."""
from .board import BLACK, EMPTY, WHITE, Board, IllegalMove
from .coords import from_gtp, from_sgf, to_gtp, to_sgf
from .game import Game, GameInfo, ReplayError, Result, positions, replay
from .scoring import Score, area_score, result_string, score, territory_score

__version__ = "0.1.0"

__all__ = ["BLACK", "WHITE", "EMPTY", "Board", "IllegalMove", "from_gtp", "to_gtp", "from_sgf", "to_sgf", "Game",
           "GameInfo", "Result", "ReplayError", "positions", "replay", "Score", "area_score", "territory_score",
           "score", "result_string"]


def _register_env() -> None:
    try:
        from gymnasium.envs.registration import register, registry
    except ImportError:  # gymnasium is a dependency, but the rules must not need it
        return
    if "goengine/Go-v0" not in registry:
        register(id="goengine/Go-v0", entry_point="goengine.env:GoEnv")


_register_env()
