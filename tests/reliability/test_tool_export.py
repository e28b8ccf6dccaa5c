"""Issue 27, item 4: the investigator's export tool writes only under the data dir's exports.

A model chooses the path, so it is confined as a scene is: an outside path, ``..`` or a link out
of the folder is refused with a line the model can act on, and nothing is written there; an
existing export is never replaced.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geomag_core.config import Settings
from tools.registry import make_tools
from tools.workbench import Workbench


def _export_tool(data: Path) -> object:
    tools = {
        t.name: t for t in make_tools(Workbench(Settings(data_dir=data, model_profile="tiny")))
    }
    return tools["export_history"]


@pytest.mark.parametrize(
    "where", ["absolute outside", "dot-dot", "link out of the folder", "the folder itself"]
)
def test_a_path_outside_the_exports_folder_is_refused(tmp_path: Path, where: str) -> None:
    data, outside = tmp_path / "data", tmp_path / "outside"
    outside.mkdir()
    (data / "exports").mkdir(parents=True)
    (data / "exports" / "out").symlink_to(outside, target_is_directory=True)
    path = {
        "absolute outside": str(outside / "stolen.geojson"),
        "dot-dot": "../../outside/stolen.geojson",
        "link out of the folder": "out/stolen.geojson",
        "the folder itself": str(data / "exports"),
    }[where]
    said = str(_export_tool(data).invoke({"path": path}))  # type: ignore[attr-defined]
    assert "exports are written under" in said and "Traceback" not in said
    assert list(outside.iterdir()) == []


def test_a_name_lands_in_the_exports_folder_and_is_never_replaced(tmp_path: Path) -> None:
    data = tmp_path / "data"
    tool = _export_tool(data)
    said = str(tool.invoke({"path": "results.geojson"}))  # type: ignore[attr-defined]
    written = data / "exports" / "results.geojson"
    assert str(written) in said and written.is_file()
    before = written.read_bytes()
    again = str(tool.invoke({"path": "results.geojson"}))  # type: ignore[attr-defined]
    assert "exists" in again and written.read_bytes() == before
