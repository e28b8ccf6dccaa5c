"""What the tools work with: settings, the database, the profile's models and open scenes.

Heavy objects are built on first use and kept, so one :class:`Workbench` serves a whole CLI run
or an app process (the UI caches it with ``st.cache_resource``). Tools take scene paths, ids and
boxes from it; pixels and tensors never enter a conversation.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from db.engine import create_db_engine
from db.migrations import upgrade
from geomag_core.classifier import get_classifier
from geomag_core.classifier.predictor import GranularityClassifier
from geomag_core.config import Settings
from geomag_core.decoder.predictor import MaskPredictor, build_mask_predictor
from geomag_core.errors import ConfigError
from geomag_core.nano.heat import NanoHeatMapSource
from geomag_core.nano.predictor import NanoModel
from geomag_core.profiles import Profile, profile_of
from geomag_core.psc.heatmap import HeatMapSource, VLMHeatMapSource
from geomag_core.scales import CRS_SOURCE, ScaleBook, SceneScale
from geomag_core.scene import Scene, confine_scene
from geomag_core.vlm.backend import VLMBackend
from geomag_core.vlm.profiles import generation_vlm, in_process_vlm
from geomag_core.vlm.transformers_backend import TransformersVLM, resolve_device

__all__ = ["Workbench"]


class Workbench:
    """Shared, lazily built resources for the tools and the agent.

    Args:
        settings: the configuration (profile, model paths, database URL…).
        engine: an existing database engine (tests); default: one from the settings, upgraded
            to the latest schema on first use.

    """

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self._scenes: dict[Path, Scene] = {}
        if engine is not None:
            self.engine = engine

    @property
    def profile(self) -> Profile:
        """The model profile in use (which models it loads, which capabilities it offers)."""
        return profile_of(self.settings)

    @property
    def meaningful(self) -> bool:
        """False for a profile of random-weight models (``tiny``): their output means nothing."""
        return self.profile.meaningful

    @cached_property
    def engine(self) -> Engine:
        """The history database, migrated to the latest schema."""
        engine = create_db_engine(self.settings.effective_database_url)
        upgrade(engine)
        return engine

    def scene(self, path: str | Path) -> Scene:
        """Open (once) the scene at ``path``, which must lie under the configured scene folders.

        The folders are ``Settings.scene_folders`` (scenes dir, samples, uploads, shared data);
        ``Settings.scene_files`` adds single files (the CLI adds the path the user typed).
        """
        s = self.settings
        key = confine_scene(path, s.scene_folders, s.scene_files)
        if key not in self._scenes:
            self._scenes[key] = Scene(key, rgb_bands=s.rgb_bands, max_pixels=s.max_scene_pixels)
        return self._scenes[key]

    @property
    def scales(self) -> ScaleBook:
        """Metres per pixel the analyst gave for scenes without a CRS (``<data_dir>``)."""
        return ScaleBook(self.settings.data_dir)

    def scale_of(self, scene: Scene) -> SceneScale | None:
        """The scene's metres per pixel, and where it came from.

        First found of: ``--gsd`` (``GEOMAG_GSD``), its CRS, a scale the analyst gave in the
        app, its world file. ``None``: nothing says (the caller may assume a class's training
        GSD, and must say so).
        """
        from geomag_core.nano.classes import scene_gsd

        if self.settings.gsd is not None:
            return SceneScale(self.settings.gsd, "GEOMAG_GSD / --gsd")
        if (metres := scene_gsd(scene)) is not None:
            return SceneScale(metres, CRS_SOURCE)
        if (given := self.scales.get(scene.content_hash)) is not None:
            return SceneScale(given, "given for this scene in the app")
        if scene.world_file_gsd is not None:
            return SceneScale(
                scene.world_file_gsd, "the scene's world file (no CRS: metres assumed)"
            )
        return None

    @cached_property
    def classifier(self) -> GranularityClassifier:
        """The granularity classifier (shipped head unless configured)."""
        return get_classifier(self.settings)

    @cached_property
    def vlm(self) -> TransformersVLM:
        """The in-process VLM (heat maps, [SEG] states): ``tiny`` or ``full`` profiles."""
        if not self.profile.has_vlm:
            raise ConfigError(
                f"the {self.profile.name} profile has no VLM: its answers are built from "
                "grounded results. "
                "Use GEOMAG_MODEL_PROFILE=full (with GEOMAG_VLM_PATH) for a language model"
            )
        return in_process_vlm(self.settings)

    @cached_property
    def nano(self) -> NanoModel:
        """GeoMag-nano (shipped weights unless ``GEOMAG_NANO_WEIGHTS``): heat maps and masks."""
        return NanoModel.load(
            self.settings.nano_weights, device=resolve_device(self.settings.device)
        )

    @cached_property
    def answerer(self) -> VLMBackend:
        """The backend that writes answers (vLLM when ``GEOMAG_VLM_BACKEND=openai``)."""
        if self.settings.vlm_backend == "openai":
            return generation_vlm(self.settings)
        return self.vlm

    @cached_property
    def mask_predictor(self) -> MaskPredictor:
        """SAM2 features + [SEG] projection + pixel decoder (untrained and seeded for ``tiny``)."""
        hidden = int(self.vlm.model.config.text_config.hidden_size)
        return build_mask_predictor(self.settings, hidden_size=hidden)

    @cached_property
    def heat_source(self) -> HeatMapSource:
        """Where PSC's heat maps come from for this profile (nano: its own attention)."""
        if not self.profile.has_vlm:
            return NanoHeatMapSource(self.nano, input_size=1024)
        return VLMHeatMapSource(self.vlm, input_size=self.vlm_input_size)

    @property
    def vlm_input_size(self) -> int:
        """Longest side, in pixels, of the images the VLM (nano: each native window) looks at."""
        return self.profile.look_size

    def model_versions(self) -> dict[str, str]:
        """Component → version, for provenance."""
        versions = {"profile": self.profile.name, "classifier": "shipped-head"}
        if self.settings.classifier_head:
            versions["classifier"] = str(self.settings.classifier_head)
        if self.profile.has_vlm:
            versions["vlm"] = str(self.settings.vlm_path or "tiny")
        if "nano" in self.profile.capabilities:
            versions["nano"] = str(self.settings.nano_weights or "shipped")
        return versions
