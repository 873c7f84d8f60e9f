"""Where integration files live, and loading one by name.

Each integration is ``<config dir>/<name>.yaml``; the directory is ``VISMASYNC_CONFIG_DIR`` or
``$VISMASYNC_HOME/integrations``.
"""

from __future__ import annotations

import os
from pathlib import Path

from vismasync.config.loader import ConfigError, ConfigIssue, load_config
from vismasync.config.model import IntegrationConfig
from vismasync.paths import vismasync_home


def config_dir() -> Path:
    override = os.environ.get("VISMASYNC_CONFIG_DIR")
    return Path(override).expanduser() if override else vismasync_home() / "integrations"


def integration_files() -> dict[str, Path]:
    directory = config_dir()
    if not directory.is_dir():
        return {}
    return {path.stem: path for path in sorted(directory.glob("*.yaml"))}


def load_integration(name: str) -> IntegrationConfig:
    """The validated configuration of integration ``name``.

    Raises ConfigError when the file is missing (listing the ones that exist) or invalid.
    """
    files = integration_files()
    path = files.get(name)
    if path is None:
        known = ", ".join(files) or "none"
        raise ConfigError(
            str(config_dir() / f"{name}.yaml"),
            [ConfigIssue("", f"no integration named {name!r} (configured: {known})")],
        )
    config = load_config(path)
    if config.name != name:
        raise ConfigError(
            str(path), [ConfigIssue("name", f"is {config.name!r} but the file is {path.name}")]
        )
    return config
