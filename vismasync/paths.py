"""Per-user locations of vismasync's local files."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def vismasync_home() -> Path:
    """Per-user directory for vismasync's local data (``VISMASYNC_HOME`` overrides it)."""
    override = os.environ.get("VISMASYNC_HOME")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir("vismasync", appauthor=False))
