"""The reliability tier: hostile inputs, crashes and concurrency, each one line and exit 2.

Every test here is marked ``reliability`` (``-m reliability`` runs the tier alone); the default
suite runs it. Users see the CLI through :func:`agent.cli.main.main`, so the tests call it
in-process (fast) or as the real console script where a process boundary matters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.cli.main import main


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this folder ``reliability``."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.reliability)


@dataclass(frozen=True)
class Run:
    """What one CLI run left: exit status, standard output and standard error."""

    code: int
    out: str
    err: str

    def one_line_error(self) -> str:
        """The error line, after checking it is exactly one line, no traceback, exit 2."""
        lines = [line for line in self.err.splitlines() if line.strip()]
        assert "Traceback" not in self.err, self.err
        assert self.code == 2, (self.code, self.err)
        assert len(lines) == 1, self.err
        assert lines[0].startswith("error: "), lines[0]
        return lines[0]


@pytest.fixture()
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A data dir of the test's own, no database URL from the environment; returns the dir."""
    data = tmp_path / "data"
    monkeypatch.setenv("GEOMAG_DATA_DIR", str(data))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for name in ("GEOMAG_DATABASE_URL", "GEOMAG_MODEL_PROFILE", "GEOMAG_DEVICE", "GEOMAG_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    return data


@pytest.fixture()
def cli(isolated: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run ``geomag ARGS`` in-process; returns its :class:`Run`."""

    def run(*args: str | Path) -> Run:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
