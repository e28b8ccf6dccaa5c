"""What the app says about the active model profile and configuration."""

from __future__ import annotations

from db.engine import redacted
from geomag_core.config import Settings
from geomag_core.errors import GeoMagError
from geomag_core.evaluation_record import read_evaluation
from geomag_core.nano.checkpoint import SHIPPED_WEIGHTS
from geomag_core.nano.classes import NANO_CLASSES, known_list
from geomag_core.profiles import profile_of
from tools.capabilities import active_capabilities
from tools.workbench import Workbench

__all__ = [
    "SWITCH_TO_TINY",
    "capability_lines",
    "example_prompts",
    "nano_quality",
    "profile_notice",
    "settings_rows",
    "vlm_server_status",
]

#: How to run the app with the test profile, shown wherever a profile cannot answer.
SWITCH_TO_TINY = (
    "To try the app end to end now, restart it with the tiny test profile: "
    "`GEOMAG_MODEL_PROFILE=tiny make run` (or `geomag app --profile tiny`)."
)


def capability_lines(settings: Settings) -> list[str]:
    """One markdown line per answering capability the profile offers, in routing order."""
    capabilities = active_capabilities(Workbench(settings))
    return [f"**{c.title}**: {c.knows()}" for c in capabilities]


def example_prompts(settings: Settings) -> list[str]:
    """Questions the active capabilities can answer (spectral ones need a NIR scene)."""
    names = profile_of(settings).capabilities
    examples = {
        "nano": ["how many aircraft are there?", "segment the oil-storage tanks"],
        "spectral": ["outline the water", "how has the water area changed since 2009?"],
        "vlm": ["what kind of area is this?", "outline the fields"],
    }
    return [q for name in names for q in examples.get(name, [])]


def profile_notice(settings: Settings) -> tuple[str, str] | None:
    """``(level, text)`` of the banner the profile needs (``warning``/``info``), or ``None``."""
    profile = profile_of(settings)
    answers = " · ".join(capability_lines(settings))
    if not profile.meaningful:
        return (
            "warning",
            f"**{profile.name} profile**: random-weight test models. Answers, zoom windows and "
            "masks from the VLM exercise the pipeline and mean nothing about the scene. Use "
            "`GEOMAG_MODEL_PROFILE=full` with your weights for real answers. "
            f"It answers with: {answers}.",
        )
    if not profile.has_vlm:
        trained = "; ".join(f"{c.plural} ({c.data})" for c in NANO_CLASSES)
        return (
            "info",
            f"**{profile.name} profile** (the default): no language model. It answers with: "
            f"{answers}. GeoMag-nano, the project's own compact model, knows "
            f"**{known_list()}** and nothing else: it was trained on {trained}. It finds and "
            "segments them where its heat map points and reports counts, places, areas and "
            "confidence; water and vegetation come from spectral indices, also across the "
            "dates of the same place. A question about anything else is answered with what it "
            f"cannot detect. {nano_quality(settings)}",
        )
    return ("info", f"**{profile.name} profile**: it answers with: {answers}.")


def nano_quality(settings: Settings) -> str:
    """GeoMag-nano's measured recall and precision per class, from its evaluation record.

    The record is the ``geomag eval nano --json`` output stored beside the weights in use
    (``nano.eval.json`` beside the shipped ``nano.safetensors``); without one, or with one that
    cannot be read, the sentence says the weights are not evaluated and claims nothing.
    """
    weights = settings.nano_weights or SHIPPED_WEIGHTS
    try:
        record = read_evaluation(weights)
    except GeoMagError as exc:
        return f"Its weights are not evaluated: {exc}."
    if record is None:
        return (
            f"Its weights ({weights.name}) are not evaluated: no record of "
            "`geomag eval nano --json` beside them."
        )

    def share(value: float | None) -> str:
        return "–" if value is None else f"{value:.0%}"

    scores = "; ".join(
        f"{c.name} recall {share(c.recall)}, precision {share(c.precision)}" for c in record.classes
    )
    splits = " and ".join(f"`{s}`" for s in record.splits)
    return (
        f"Measured on the {splits} split{'s' if len(record.splits) > 1 else ''} "
        f"(`geomag eval nano`, box IoU ≥ 0.5): {scores}."
    )


def settings_rows(settings: Settings) -> list[dict[str, str]]:
    """Every setting with its environment variable and effective value."""
    described = settings.describe()
    described["database_url"] = redacted(settings.effective_database_url)
    return [
        {"setting": name, "variable": f"GEOMAG_{name.upper()}", "value": value}
        for name, value in described.items()
    ]


def vlm_server_status(settings: Settings, timeout_s: float = 2.0) -> str:
    """Whether the OpenAI-compatible VLM server answers ``GET /models``, in one line."""
    import httpx

    url = settings.vllm_url.rstrip("/") + "/models"
    try:
        response = httpx.get(url, timeout=timeout_s)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        return (
            f"❌ {url} is not answering ({type(exc).__name__}). Start a server with "
            "`geomag serve-vlm --model PATH` or point GEOMAG_VLLM_URL at one."
        )
    names = [m.get("id") for m in response.json().get("data", [])]
    return f"✅ {url} serves {', '.join(map(str, names)) or 'no models'}."
