"""The quick commands answer without importing torch (issue #16: ~5 s of imports each).

Typer builds every registered command's options when the app runs, so one heavy import at the
top of any module in ``agent/cli`` (or a torch-backed default in an option's signature) slows
``geomag --help`` as much as ``geomag ask``. Each command runs in a fresh interpreter, as the
console script does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

#: Runs ``main(argv)`` and prints its exit status and whether torch (or a module importing it)
#: was loaded, as the last line of stdout.
_PROBE = """
import json, sys
from agent.cli.main import main
code = main(json.loads(sys.argv[1]))
heavy = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
loaded = sorted(set(sys.argv[2:]) & set(sys.modules))
print(json.dumps({"code": code, "torch": heavy[:3], "loaded": loaded}))
"""


def _probe(args: list[str], data_dir: Path, watch: list[str] | None = None) -> dict[str, Any]:
    """Run ``geomag ARGS`` in a fresh interpreter; its exit code, torch, the ``watch`` loaded."""
    env = {**os.environ, "GEOMAG_DATA_DIR": str(data_dir)}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args), *(watch or [])],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    probe: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["code"] == 0, done.stderr
    return probe


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["config"], ["scene", "{scene}"], ["history"]],
    ids=["help", "config", "scene", "history"],
)
def test_quick_command_does_not_import_torch(
    argv: list[str], sample_scene: Path, tmp_path: Path
) -> None:
    args = [a.format(scene=sample_scene) for a in argv]
    probe = _probe(args, tmp_path)
    assert probe["torch"] == [], f"geomag {' '.join(args)} imported torch"


#: What only some commands need: the database engine, nano's evaluation and search code,
#: rasterio and numpy (issue 28: ``geomag --help`` took 1.6 s, 1.0 s of it these imports).
_HEAVY = [
    "sqlalchemy",
    "geoalchemy2",
    "alembic",
    "geomag_core.nano.evaluation",
    "geomag_core.nano.search",
    "rasterio",
    "numpy",
    "scipy",
]


@pytest.mark.parametrize(
    ("argv", "allowed"),
    [
        (["--help"], set()),
        (["config"], set()),
        (["history", "--help"], set()),
        (["eval", "nano", "--help"], set()),
        (["scene", "{scene}"], {"rasterio", "numpy"}),
        # db/engine.py loads rasterio & co. before SpatiaLite on purpose (see the README)
        (["history"], {"sqlalchemy", "geoalchemy2", "alembic", "numpy", "rasterio"}),
    ],
    ids=["help", "config", "history-help", "eval-nano-help", "scene", "history"],
)
def test_a_command_imports_only_what_it_uses(
    argv: list[str], allowed: set[str], sample_scene: Path, tmp_path: Path
) -> None:
    args = [a.format(scene=sample_scene) for a in argv]
    probe = _probe(args, tmp_path, _HEAVY)
    assert set(probe["loaded"]) <= allowed, f"geomag {' '.join(args)} loaded {probe['loaded']}"
