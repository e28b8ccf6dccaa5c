"""What each model profile loads, and so which answering capabilities it offers.

A profile only chooses models; what the agent can answer is the list of capabilities the profile
names here (routed in that order by ``tools.capabilities``). This is the one place outside the
settings that knows the profiles by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from geomag_core.config import Settings

__all__ = ["PROFILES", "Profile", "profile_of"]


@dataclass(frozen=True)
class Profile:
    """One model profile.

    Attributes:
        name: ``tiny``, ``nano`` or ``full``.
        capabilities: names of the answering capabilities it offers, in routing order.
        has_vlm: whether a VLM is loaded (in-process copy for heat maps and ``[SEG]`` states).
        meaningful: ``False`` when the models have random weights (answers must say so).
        look_size: longest side, in pixels, of the images the model looks at (nano: each
            native window).
        window_cells: PSC window size and stride in heat-map cells (the paper's 32/8 on a real
            VLM's grid; scaled down for the tiny VLM's small views and nano's 1,024-px heat map).

    """

    name: str
    capabilities: tuple[str, ...]
    has_vlm: bool
    meaningful: bool
    look_size: int
    window_cells: tuple[int, int]


PROFILES: dict[str, Profile] = {
    "tiny": Profile("tiny", ("spectral", "vlm"), True, False, 448, (8, 2)),
    "nano": Profile("nano", ("nano", "spectral"), False, True, 640, (16, 4)),
    "full": Profile("full", ("spectral", "vlm"), True, True, 1344, (32, 8)),
}


def profile_of(settings: Settings) -> Profile:
    """The :class:`Profile` the settings select."""
    return PROFILES[settings.model_profile]
