"""The chat: messages, the question box, and the investigations sidebar.

Owns ``conversation.*`` keys: the current thread id, its messages and the chat input.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from agent.session import Outcome, Session, ThreadSummary, new_thread_id
from geomag_core.config import Settings
from geomag_core.errors import EmptyQueryError, GeoMagError, is_blank
from tools.events import Done
from ui.components.evidence import show_evidence
from ui.components.scene_picker import select_scene
from ui.components.step_trail import StepTrail
from ui.services.errors import readable_error

__all__ = ["INPUT_KEY", "THREAD_KEY", "answer_markdown", "chat", "investigations_sidebar"]

THREAD_KEY = "conversation.thread"
MESSAGES_KEY = "conversation.messages"
INPUT_KEY = "conversation.input"


@dataclass(frozen=True)
class Message:
    """One chat bubble: who said it, the text, and an answer's evidence or an error flag."""

    role: str
    text: str
    outcome: Outcome | None = None
    error: bool = False
    scene: str | None = None
    """The scene a question was about (each bubble names it: a thread may span scenes)."""


def _thread() -> str:
    if THREAD_KEY not in st.session_state:
        st.session_state[THREAD_KEY] = new_thread_id()
        st.session_state[MESSAGES_KEY] = []
    return str(st.session_state[THREAD_KEY])


def _messages() -> list[Message]:
    _thread()
    messages: list[Message] = st.session_state[MESSAGES_KEY]
    return messages


def _start_new() -> None:
    st.session_state[THREAD_KEY] = new_thread_id()
    st.session_state[MESSAGES_KEY] = []


def _resume(runner: Session, thread_id: str) -> None:
    history = runner.history(thread_id)
    outcomes = runner.outcomes(thread_id)
    messages: list[Message] = []
    for entry, outcome in zip(history, outcomes, strict=True):
        messages += [
            Message("user", entry.question, scene=str(entry.scene) if entry.scene else None),
            Message("assistant", entry.answer, outcome),
        ]
    st.session_state[THREAD_KEY] = thread_id
    st.session_state[MESSAGES_KEY] = messages
    if history:
        select_scene(str(Path(history[-1].scene).resolve()))


def _entry_label(t: ThreadSummary) -> str:
    """``scene (+N scenes) · MM-DD HH:MM · first question`` short enough for two sidebar lines."""
    name = Path(t.scene).name if t.scene else "no scene"
    if len(name) > 32:  # e.g. a UUID-named JPEG: keep its start and its suffix
        name = f"{name[:14]}…{name[-12:]}"
    if t.scenes > 1:
        name += f" (+{t.scenes - 1} scene{'s' if t.scenes > 2 else ''})"
    title = t.title if len(t.title) <= 40 else t.title[:39] + "…"
    return f"{name} · {t.created_at:%m-%d %H:%M} · {title}"


def investigations_sidebar(runner: Session, settings: Settings) -> None:
    """The investigations (threads) in the sidebar: start a new one or resume one."""
    current = _thread()
    with st.sidebar:
        st.subheader("Investigations")
        st.button(
            "New investigation", key="conversation.new", on_click=_start_new, icon=":material/add:"
        )
        try:
            threads = runner.threads()
        except Exception as exc:
            st.error(readable_error(exc, settings))
            return
        for t in threads:
            st.button(
                _entry_label(t),
                key=f"conversation.thread.{t.thread_id}",
                on_click=_resume,
                args=(runner, t.thread_id),
                type="primary" if t.thread_id == current else "secondary",
                help=(
                    f"thread {t.thread_id}: {t.questions} question(s), the latest at "
                    f"{t.created_at:%Y-%m-%d %H:%M} UTC on {t.scene or 'no scene'}"
                ),
                width="stretch",
            )
        st.caption(f"Current thread: `{current}`")


def answer_markdown(text: str) -> str:
    """An answer as Markdown: each line its own line, and a table closed by a blank line.

    Without the blank line, the lines after a table (a change's summary) rendered as its rows.
    """
    out: list[str] = []
    for line in text.split("\n"):
        if out and out[-1] and out[-1].startswith("|") != line.startswith("|"):
            out.append("")  # a table starts or ends here
        out.append(line)
    return "\n".join(f"{line}  " if line and not line.startswith("|") else line for line in out)


def _has_evidence(outcome: Outcome) -> bool:
    """A stored answer, or a follow-up that kept stored results (drawn as the subset)."""
    return outcome.query_id is not None or (outcome.plan is not None and bool(outcome.results))


def _render(message: Message, runner: Session, latest: bool) -> None:
    with st.chat_message(message.role):
        if message.error:
            st.error(message.text)
        else:
            st.markdown(answer_markdown(message.text))
        if message.scene:
            st.caption(f"on {Path(message.scene).name}")
        if message.outcome is not None and _has_evidence(message.outcome):
            try:
                scene = runner.workbench.scene(message.outcome.scene)
            except GeoMagError as exc:
                st.warning(f"The evidence cannot be drawn: {exc}")
                return
            if latest:
                show_evidence(scene, message.outcome, with_map=True, workbench=runner.workbench)
            else:  # earlier answers fold away so the page does not grow without bound
                qid = message.outcome.query_id
                title = f"Evidence of query #{qid}" if qid else "Results the follow-up kept"
                with st.expander(title):
                    show_evidence(
                        scene, message.outcome, with_map=False, workbench=runner.workbench
                    )


def _ask(runner: Session, settings: Settings, scene: Path | None, question: str) -> None:
    messages = _messages()
    messages.append(Message("user", question, scene=str(scene) if scene else None))
    _render(messages[-1], runner, latest=False)
    with st.chat_message("assistant"):
        try:
            if is_blank(question):
                raise EmptyQueryError()
            if scene is None:
                raise GeoMagError("pick or upload a scene in the sidebar first")
            trail = StepTrail(runner.workbench.scene(scene))
            try:
                outcome = runner.ask(scene, question, _thread(), trail)
            finally:
                trail.finish(ok=bool(trail.events and isinstance(trail.events[-1], Done)))
        except Exception as exc:
            text = readable_error(exc, settings)
            st.error(text)
            messages.append(Message("assistant", text, error=True))
            return
        messages.append(Message("assistant", outcome.answer, outcome))
        st.markdown(answer_markdown(outcome.answer))
        if _has_evidence(outcome):
            show_evidence(
                runner.workbench.scene(scene), outcome, with_map=True, workbench=runner.workbench
            )


def _preview(runner: Session, path: Path) -> None:
    """The picked scene before the first question: what will be asked about."""
    try:
        scene = runner.workbench.scene(path)
        image, _ = scene.read_overview(640)
    except GeoMagError as exc:
        st.warning(f"The scene cannot be previewed: {exc}")
        return
    crs = scene.crs.to_string() if scene.crs else "no CRS (pixel space)"
    size = f"{scene.width:,}×{scene.height:,} px"
    st.image(image, caption=f"{path.name} · {size} · {scene.count} band(s) · {crs}", width=640)


def chat(runner: Session, settings: Settings, scene: Path | None) -> None:
    """Past messages of the thread, then the question box; a question is answered in place.

    Before the first question the picked scene is previewed.
    """
    messages = _messages()
    if not messages and scene is not None:
        _preview(runner, scene)
    for i, message in enumerate(messages):
        _render(message, runner, latest=i == len(messages) - 1)
    question = st.chat_input(
        "Ask about the scene, e.g. “how many aircraft are there?”", key=INPUT_KEY
    )
    if question is not None:
        _ask(runner, settings, scene, question)
