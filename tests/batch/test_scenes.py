"""Which scenes a batch covers, and the request ids that make each answer exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.batch.scenes import batch_request_id, collect_scenes, file_sha256
from geomag_core.errors import GeoMagError, SceneReadError
from geomag_core.scene import Scene


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("b.tif", "a.jpg", "c.PNG", "notes.txt"):
        (tmp_path / name).write_bytes(name.encode())
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.tif").write_bytes(b"d")
    return tmp_path


def test_a_folder_gives_its_scene_files_sorted(folder: Path) -> None:
    assert [p.name for p in collect_scenes([], str(folder))] == ["a.jpg", "b.tif", "c.PNG"]


def test_a_glob_recurses_with_double_star(folder: Path) -> None:
    found = collect_scenes([], str(folder / "**" / "*.tif"))
    assert [p.name for p in found] == ["b.tif", "d.tif"]


def test_a_list_file_reads_paths_relative_to_itself(folder: Path) -> None:
    listing = folder / "scenes.txt"
    listing.write_text(f"# scenes\nb.tif\n\n{folder / 'sub' / 'd.tif'}\n")
    assert [p.name for p in collect_scenes([], str(listing))] == ["b.tif", "d.tif"]


def test_paths_and_a_source_together_keep_each_scene_once(folder: Path) -> None:
    found = collect_scenes([folder / "b.tif", folder / "." / "b.tif"], str(folder))
    assert [p.name for p in found] == ["b.tif", "a.jpg", "c.PNG"]
    assert all(p.is_absolute() for p in found)


@pytest.mark.parametrize(
    ("paths", "source", "message"),
    [
        (["missing.tif"], None, "no such file"),
        ([], "nowhere/*.tif", "matches no scene file"),
        ([], "nowhere", "no such file, folder or glob pattern"),
    ],
)
def test_a_missing_scene_or_source_names_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    paths: list[str],
    source: str | None,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SceneReadError, match=message):
        collect_scenes([Path(p) for p in paths], source)


def test_no_scene_at_all_says_how_to_give_them() -> None:
    with pytest.raises(GeoMagError, match="--scenes-from"):
        collect_scenes([], None)


def test_the_file_hash_is_the_scenes_content_hash(sample_scene: Path) -> None:
    assert file_sha256(sample_scene) == Scene(sample_scene).content_hash


def test_request_ids_depend_on_question_scene_models_and_redo_only() -> None:
    versions = {"profile": "nano", "nano": "shipped"}
    base = batch_request_id("count the aircraft", "ab" * 32, versions)
    assert base == batch_request_id("  count the aircraft ", "ab" * 32, dict(versions))
    others = {
        batch_request_id("count the cars", "ab" * 32, versions),
        batch_request_id("count the aircraft", "cd" * 32, versions),
        batch_request_id("count the aircraft", "ab" * 32, versions | {"nano": "other.st"}),
        batch_request_id("count the aircraft", "ab" * 32, versions, redo="token"),
    }
    assert base not in others
    assert len(others) == 4
    assert len(base) == 64
