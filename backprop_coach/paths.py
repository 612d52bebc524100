"""Where the tool keeps a learner's data: BACKPROP_COACH_HOME when set (tests set it), else the
platform's user data directory."""

from __future__ import annotations

import os
from pathlib import Path

ENV_HOME = "BACKPROP_COACH_HOME"


def home() -> Path:
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("backprop-coach", appauthor=False)


def user_bank() -> Path:
    """The learner's own questions (`bank new` writes here by default)."""
    return home() / "questions"
