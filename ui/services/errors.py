"""Errors as one readable message for the analyst, never a traceback."""

from __future__ import annotations

import logging

from pydantic import ValidationError

from geomag_core.config import Settings
from geomag_core.errors import CheckpointError, ConfigError, GeoMagError
from geomag_core.profiles import profile_of
from ui.services.profile import SWITCH_TO_TINY

__all__ = ["readable_error"]

log = logging.getLogger(__name__)


def readable_error(exc: BaseException, settings: Settings | None = None) -> str:
    """What to tell the analyst about ``exc`` (and, for bugs, log the traceback)."""
    if isinstance(exc, ValidationError):
        problems = "; ".join(
            f"GEOMAG_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        return f"The configuration is invalid: {problems}. Fix it and restart the app."
    if isinstance(exc, GeoMagError):
        text = str(exc)
        missing_model = isinstance(exc, ConfigError | CheckpointError)
        if missing_model and settings and not profile_of(settings).has_vlm:
            text = f"{text}. {SWITCH_TO_TINY}"
        return text[:1].upper() + text[1:]
    log.error("unexpected error in the app", exc_info=exc)
    return f"Something went wrong ({type(exc).__name__}: {exc}). The app log has the details."
