"""The GeoMag tools as LangChain tools: validated arguments, readable errors, small outputs.

Each wraps a plain function from this package. A :class:`~geomag_core.errors.GeoMagError` (a bad
box, an unreadable scene, a server that is down…) comes back to the model as a one-line tool
message it can act on, never as a traceback.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from langchain_core.tools import BaseTool, StructuredTool, ToolException
from pydantic import BaseModel, Field, ValidationError

from db.export import export_results
from db.history import HistoryFilter, ResultRecord, find_results
from geomag_core.boxes import PixelBox
from geomag_core.errors import GeoMagError
from geomag_core.findings import Finding
from tools.capabilities import Route, active_capabilities, read, route
from tools.capabilities.spectral import SpectralMeasure, measure_index
from tools.investigation import Earlier, follow_up
from tools.investigation.plan import Aggregate, Condition, Filter, Period, Plan, Rank
from tools.investigation.plan import Near as NearPoint
from tools.investigation.reading import read_plan
from tools.looking import ask_vlm, classify_question, propose_windows, tmra_views
from tools.looking import zoom_into as zoom_fn
from tools.segmenting import SEG_ANSWER, segment_crop
from tools.workbench import Workbench

__all__ = ["StoredArgs", "make_tools", "plan_of"]

Box = list[int]


class SceneArgs(BaseModel):
    scene: str = Field(description="Path of the scene file (GeoTIFF, JPEG or PNG).")


class QuestionArgs(BaseModel):
    question: str = Field(min_length=1, description="The analyst's question.")


class ViewsArgs(SceneArgs):
    granularity: str = Field(pattern="^(image|region|pixel)$")
    boxes: list[Box] = Field(
        default_factory=list, description="Crops as [x0,y0,x1,y1] scene pixels (pixel: 2)."
    )


class WindowsArgs(SceneArgs, QuestionArgs):
    box: Box | None = Field(default=None, description="Search inside [x0,y0,x1,y1].")
    k: int = Field(default=3, ge=1, le=10)
    coverage: float | None = Field(default=None, gt=0, le=1, description="Adaptive mode.")


class ZoomArgs(SceneArgs, QuestionArgs):
    max_depth: int = Field(default=3, ge=1, le=6)


class AskArgs(ViewsArgs, QuestionArgs):
    pass


class SpectralArgs(SceneArgs):
    subject: str = Field(
        pattern="^(water|vegetation)$", description="water (NDWI) or vegetation (NDVI)."
    )


class RouteArgs(SceneArgs, QuestionArgs):
    pass


class SegmentArgs(SceneArgs, QuestionArgs):
    box: Box = Field(description="The crop to segment, [x0,y0,x1,y1] scene pixels.")
    context_box: Box | None = Field(
        default=None, description="A larger crop around it for context (default: the box)."
    )


class HistoryArgs(BaseModel):
    label: str | None = Field(default=None, description="Object class, e.g. 'aircraft'.")
    scene: str | None = Field(default=None, description="Scene path, id or hash prefix.")
    since: dt.datetime | None = Field(default=None, description="Stored at or after (UTC).")
    until: dt.datetime | None = Field(default=None, description="Stored before (UTC).")
    bbox: list[float] | None = Field(default=None, description="[min_lon,min_lat,max_lon,max_lat]")
    min_confidence: float | None = Field(default=None, ge=0, le=1)
    text: str | None = Field(default=None, description="Words in the question text.")
    limit: int = Field(default=50, ge=1, le=500)


class StoredArgs(SceneArgs):
    """The typed operations of an investigation (what the no-LLM parser reads questions into)."""

    operation: Literal["followup", "recall", "history", "compare", "describe"] = Field(
        description="followup: on result_ids; recall: all stored about the scene; history: "
        "everything stored; compare: the scene with other_scenes; describe: the scene's facts."
    )
    result_ids: list[int] = Field(default_factory=list, description="followup: results to use.")
    other_scenes: list[str] = Field(default_factory=list, description="compare: other scenes.")
    labels: list[str] = Field(default_factory=list, description="Keep these classes only.")
    min_length_m: float | None = Field(default=None, ge=0)
    max_length_m: float | None = Field(default=None, gt=0)
    min_area_m2: float | None = Field(default=None, ge=0)
    max_area_m2: float | None = Field(default=None, gt=0)
    min_confidence: float | None = Field(default=None, ge=0, le=1)
    max_confidence: float | None = Field(default=None, gt=0, le=1)
    near_lat: float | None = Field(default=None, ge=-90, le=90)
    near_lon: float | None = Field(default=None, ge=-180, le=180)
    near_radius_m: float | None = Field(default=None, gt=0)
    stored_since: dt.date | None = Field(default=None, description="history: stored on/after.")
    stored_until: dt.date | None = Field(default=None, description="history: stored before.")
    bbox: list[float] | None = Field(
        default=None, min_length=4, max_length=4, description="[min_lon,min_lat,max_lon,max_lat]"
    )
    in_footprint: bool = Field(default=False, description="history: inside the scene's outline.")
    verdict: Literal["accept", "reject", "correct"] | None = None
    per_scene: bool = Field(default=False, description="history: counts per scene.")
    rank_by: Literal["area", "length", "confidence", "west", "east", "north", "south", "count"] | (
        None
    ) = None
    largest_first: bool = True
    top_n: int | None = Field(default=None, ge=1)
    aggregate: Literal["count", "list", "total", "mean", "median", "share", "sizes"] = "list"
    measure: Literal["length", "area", "confidence"] | None = None


def plan_of(args: StoredArgs) -> Plan:
    """The :class:`Plan` a tool call describes (the same type the parser reads questions into)."""
    conditions = tuple(
        Condition(measure, op, value)  # type: ignore[arg-type]
        for measure, op, value in (
            ("length", ">", args.min_length_m),
            ("length", "<", args.max_length_m),
            ("area", ">", args.min_area_m2),
            ("area", "<", args.max_area_m2),
            ("confidence", ">", args.min_confidence),
            ("confidence", "<", args.max_confidence),
        )
        if value is not None
    )
    point = (args.near_lat, args.near_lon, args.near_radius_m)
    if any(v is not None for v in point) and not all(v is not None for v in point):
        raise GeoMagError("near needs near_lat, near_lon and near_radius_m together")
    near = (
        NearPoint(args.near_radius_m, lat=args.near_lat, lon=args.near_lon)
        if args.near_radius_m is not None
        else None
    )
    period = (
        Period(args.stored_since, args.stored_until)
        if args.stored_since or args.stored_until
        else None
    )
    box4 = (args.bbox[0], args.bbox[1], args.bbox[2], args.bbox[3]) if args.bbox else None
    found = Filter(
        conditions, tuple(args.labels), near, period, box4, args.in_footprint, args.verdict
    )
    source = {"followup": "previous", "recall": "scene", "history": "all",
              "compare": "investigation", "describe": "scene"}[args.operation]  # fmt: skip
    measure = args.measure or ("area" if args.aggregate in ("total", "mean", "median", "share")
                               else None)  # fmt: skip
    return Plan(
        args.operation,
        source=source,  # type: ignore[arg-type]
        filter=found if found != Filter() else None,
        rank=Rank(args.rank_by, args.largest_first, args.top_n) if args.rank_by else None,
        aggregate=Aggregate(args.aggregate, measure),
        group="scene" if args.per_scene else None,
    )


class PlanArgs(QuestionArgs):
    has_previous: bool = Field(default=True, description="The thread has an earlier answer.")


class ExportArgs(HistoryArgs):
    path: str = Field(
        description="Output file name (.geojson, .gpkg or .csv), written under the data dir's "
        "exports folder; an existing file is never replaced."
    )


def _json(value: object) -> object:
    """A tool's typed result as JSON for the model (typed values stay typed until here)."""
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    as_dict = getattr(value, "as_dict", None)
    if callable(as_dict):
        return as_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _json(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    return value


def _readable(fn: Callable[..., object]) -> Callable[..., object]:
    @functools.wraps(fn)
    def wrapper(**kwargs: object) -> object:
        try:
            return _json(fn(**kwargs))
        except GeoMagError as exc:
            raise ToolException(str(exc)) from exc

    return wrapper


def _explain(error: ValidationError) -> str:
    """Pydantic's complaints as one line the model can act on."""
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in error.errors()
    )
    return f"invalid arguments ({problems}); fix them and call again"


def _filter(args: HistoryArgs) -> HistoryFilter:
    def utc(t: dt.datetime | None) -> dt.datetime | None:
        return t.replace(tzinfo=dt.UTC) if t is not None and t.tzinfo is None else t

    return HistoryFilter(
        labels=[args.label] if args.label else [],
        scene=args.scene,
        since=utc(args.since),
        until=utc(args.until),
        bbox=(args.bbox[0], args.bbox[1], args.bbox[2], args.bbox[3]) if args.bbox else None,
        min_confidence=args.min_confidence,
        text=args.text,
    )


def _export_target(wb: Workbench, path: str) -> Path:
    """Where a model-chosen export goes: under ``<data_dir>/exports``, or refused.

    A model picks the path, so it is confined like a scene: a bare name or a relative path lands
    under the exports folder; an absolute path or ``..`` that leads elsewhere is refused, as is
    a path through a symbolic link out of the folder. Existing files are never replaced.
    """
    root = (wb.settings.data_dir / "exports").resolve()
    given = Path(path).expanduser()
    target = given if given.is_absolute() else root / given
    try:
        resolved = target.parent.resolve() / target.name
    except (OSError, RuntimeError) as exc:
        raise GeoMagError(f"cannot export to {path}: {exc}") from exc
    if not resolved.is_relative_to(root) or resolved == root:
        raise GeoMagError(
            f"exports are written under {root}: give a file name such as results.geojson, "
            f"not {path}"
        )
    return resolved


class StoredResult(BaseModel):
    """One stored result, as a history tool call returns it."""

    result_id: int
    kind: str
    label: str | None
    confidence: float | None
    area_m2: float | None
    created_at: str
    scene: str
    question: str
    text: str | None

    @classmethod
    def of(cls, record: ResultRecord) -> StoredResult:
        """The tool's view of a stored result (its text cut to 200 characters)."""
        return cls(
            result_id=record.result_id,
            kind=str(record.kind),
            label=record.label,
            confidence=record.confidence,
            area_m2=record.area_m2,
            created_at=record.created_at.isoformat(),
            scene=record.scene_uri,
            question=record.query_text,
            text=(record.text or "")[:200] or None,
        )


def make_tools(wb: Workbench, extra: list[BaseTool] | None = None) -> list[BaseTool]:
    """The tools bound to ``wb`` (plus ``extra``, e.g. the whole pipeline as one tool)."""

    def segment(
        scene: str, question: str, box: Box, context_box: Box | None = None
    ) -> list[Finding]:
        crop = PixelBox(*box)
        views = tmra_views(wb, scene, "pixel", [context_box or box, box])
        reply = ask_vlm(wb, question, views).text
        answer = reply if SEG_ANSWER in reply else SEG_ANSWER
        masks = segment_crop(wb, scene, crop, question, views, answer)
        return [replace(m, wkt=None, wkt_scene=None) for m in masks]

    def history(**args: Any) -> list[StoredResult]:
        query = HistoryArgs(**args)
        page = find_results(wb.engine, _filter(query), limit=query.limit)
        return [StoredResult.of(r) for r in page.items]

    def export(path: str, **args: Any) -> str:
        query = HistoryArgs(**args)
        page = find_results(wb.engine, _filter(query), limit=query.limit)
        written = export_results(page.items, _export_target(wb, path))  # never overwrites
        return written.summary

    def spectral(scene: str, subject: str) -> SpectralMeasure:
        return measure_index(wb, scene, subject)[0]

    def stored(**args: Any) -> dict[str, object]:
        call = StoredArgs(**args)
        if call.operation == "followup" and not call.result_ids:
            raise GeoMagError("followup needs result_ids: the results of an earlier answer")
        earlier = Earlier(tuple(call.result_ids), "the results given") if call.result_ids else None
        worked = follow_up(wb, plan_of(call), call.scene, earlier, scenes=call.other_scenes)
        return {"plan": worked.plan.as_dict(), "answer": "\n".join(worked.lines),
                "kept_result_ids": list(worked.kept), "value": worked.value}  # fmt: skip

    def plan_question(question: str, has_previous: bool = True) -> dict[str, object] | str:
        plan = read_plan(question, has_previous=has_previous)
        return "a new search of the scene" if plan is None else plan.as_dict()

    def choose(scene: str, question: str) -> Route:
        reading = read(question, classify_question(wb, question).granularity.value)
        return route(reading, wb.scene(scene), active_capabilities(wb))

    specs: list[tuple[str, str, type[BaseModel], Callable[..., Any]]] = [
        ("choose_capability", "Which capability answers which part of a question, and why.",
         RouteArgs, choose),
        ("measure_spectral", "Water (NDWI) or vegetation (NDVI) regions and area of a scene "
         "with a near-infrared band (not stored).", SpectralArgs, spectral),
        ("scene_info", "Size, bands, CRS, footprint, date and hash of a scene.", SceneArgs,
         lambda scene: wb.scene(scene).info()),
        ("classify_granularity", "Whether a question needs the image, a region or pixels.",
         QuestionArgs, lambda question: classify_question(wb, question)),
        ("tmra_views", "The views TMRA builds and their pixel/token budget vs baselines.",
         ViewsArgs, lambda scene, granularity, boxes: tmra_views(wb, scene, granularity, boxes)
         .report()),
        ("psc_windows", "Where in the scene the question points: PSC windows, best first.",
         WindowsArgs, lambda scene, question, box=None, k=3, coverage=None: propose_windows(
             wb, scene, question, box, k, coverage)),
        ("zoom", "Zoom step by step to where the question points; returns the trail.",
         ZoomArgs, lambda scene, question, max_depth=3: list(
             zoom_fn(wb, scene, question, max_depth).steps)),
        ("ask_vlm", "Ask the VLM a question about TMRA views of given crops.", AskArgs,
         lambda scene, question, granularity, boxes: ask_vlm(
             wb, question, tmra_views(wb, scene, granularity, boxes))),
        ("segment", "Masks of what the question refers to inside a crop (not stored).",
         SegmentArgs, segment),
        ("query_history", "Stored results matching filters (label, scene, time, bbox…).",
         HistoryArgs, history),
        ("work_on_stored", "Answer from stored results without searching: filter, rank, count, "
         "total or average earlier results; recall a scene; search the history; compare scenes; "
         "describe a scene. Stores nothing.", StoredArgs, stored),
        ("read_plan", "How the built-in parser reads a follow-up or history question into "
         "work_on_stored's operations (or says it needs a new search).", PlanArgs, plan_question),
        ("export_history", "Export matching stored results to GeoJSON, GeoPackage or CSV.",
         ExportArgs, export),
    ]  # fmt: skip
    tools: list[BaseTool] = [
        StructuredTool.from_function(
            func=_readable(fn),
            name=name,
            description=description,
            args_schema=schema,
            handle_tool_error=True,
            handle_validation_error=_explain,
        )
        for name, description, schema, fn in specs
    ]
    return tools + list(extra or [])
