"""``geomag app``: run the Streamlit app (``ui/app.py``) as a subprocess, never importing ``ui``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from geomag_core.config import REPO_ROOT, Settings
from geomag_core.errors import ConfigError, SceneReadError

__all__ = ["APP_SCRIPT", "register", "streamlit_command"]

#: The app's entry file, run by path so that nothing imports the ``ui`` package.
APP_SCRIPT = REPO_ROOT / "ui" / "app.py"
#: Read by the app's scene catalogue: the scene the chat page opens on.
LAUNCH_SCENE_ENV = "GEOMAG_APP_SCENE"


def streamlit_command(host: str, port: int, max_upload_mb: int) -> list[str]:
    """``python -m streamlit run ui/app.py`` headless on ``host:port``, without telemetry."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.maxUploadSize", str(max_upload_mb),
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",
    ]  # fmt: skip


def app(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Listen port.")] = 8501,
    host: Annotated[str, typer.Option(help="Listen address.")] = "127.0.0.1",
    scene: Annotated[
        Path | None, typer.Option(help="Scene the chat opens on (added to the catalogue).")
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="Model profile: tiny | nano | full (default: config).")
    ] = None,
) -> None:
    """Start the analyst app (chat, zoom trail, maps, history) and print its URL."""
    if not APP_SCRIPT.is_file():
        raise ConfigError(f"the app is missing at {APP_SCRIPT}; is the checkout complete?")
    env = dict(os.environ)
    if profile:
        env["GEOMAG_MODEL_PROFILE"] = profile
    settings = Settings(**({"model_profile": profile} if profile else {}))
    if scene is not None:
        if not scene.is_file():
            raise SceneReadError(scene, "no such file")
        env[LAUNCH_SCENE_ENV] = str(scene.resolve())
        # the scene typed here may lie outside the scene folders: allow that one file
        files = [*map(str, settings.scene_files), str(scene.resolve())]
        env["GEOMAG_SCENE_FILES"] = os.pathsep.join(files)
    typer.echo(
        f"GeoMag app on http://{host}:{port} (profile {settings.model_profile}); Ctrl+C stops it"
    )
    command = streamlit_command(host, port, settings.upload_max_mb)
    try:
        code = subprocess.call(command, env=env)
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)


def register(root: typer.Typer) -> None:
    """Add ``app`` to ``root``."""
    root.command("app")(app)
