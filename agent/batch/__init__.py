"""Batch questions: one question over many scenes, in-process or on Ray workers.

:mod:`agent.batch.scenes` lists the scenes and derives each one's request id,
:mod:`agent.batch.answering` answers one scene through the same pipeline as ``geomag ask``,
:mod:`agent.batch.engines` runs the answerers (in-process, or one Ray actor per worker), and
:mod:`agent.batch.runner` plans a batch (what is already answered), runs it and sums it up.
"""

from agent.batch.answering import SceneAnswerer, SceneOutcome
from agent.batch.runner import BatchSummary, plan_batch, run_batch
from agent.batch.scenes import SceneTask, batch_request_id, collect_scenes

__all__ = [
    "BatchSummary",
    "SceneAnswerer",
    "SceneOutcome",
    "SceneTask",
    "batch_request_id",
    "collect_scenes",
    "plan_batch",
    "run_batch",
]
