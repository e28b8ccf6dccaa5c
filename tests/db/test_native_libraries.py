"""SpatiaLite first, then rasterio, pyproj and a GeoPackage in the same process must not crash.

SQLite loads mod_spatialite with RTLD_GLOBAL, which once made rasterio's and pyogrio's bundled
GDAL bind to the system's libproj/libsqlite3 and segfault (see db/engine.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import SAMPLE_SCENE

SCRIPT = """
import sys
from sqlalchemy import text
from db.engine import create_db_engine
engine = create_db_engine(f"sqlite:///{sys.argv[1]}/h.sqlite")
with engine.connect() as connection:
    connection.execute(text("SELECT spatialite_version()"))
from geomag_core.scene import Scene
import geopandas as gpd
scene = Scene(sys.argv[2])
assert scene.read().shape == (scene.height, scene.width, 3)
frame = gpd.GeoDataFrame({"a": [1]}, geometry=[scene.footprint_wgs84], crs=4326)
frame.to_file(f"{sys.argv[1]}/f.gpkg")
assert len(gpd.read_file(f"{sys.argv[1]}/f.gpkg").to_crs(scene.crs)) == 1
print("ok")
"""


def test_spatialite_then_gdal_and_proj_in_one_process(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), str(SAMPLE_SCENE)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
