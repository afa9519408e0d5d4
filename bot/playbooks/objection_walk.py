"""The shape of ``objections.yaml``: the objection walkthrough's steps, fields and follow-ups.

The words are the team's to change. The step ids, field ids and choice values are what
accountbot records, so the file must use exactly those (`EXPECTED_FIELDS`); classify and kind
come first, resolve last, and the rest run in the file's order.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from bot.playbooks.schema import StepId, Text, TrackId, _duplicate_ids, _Model

Kind = Literal["legitimate", "phantom"]
KINDS: tuple[Kind, ...] = ("legitimate", "phantom")
StepKey = Literal["classify", "kind", "validate", "clarify", "ask", "escalate", "resolve"]
YES_NO = ("yes", "no")
# step -> field -> its choice values (None: free text). The ask step's fields are its questions.
EXPECTED_FIELDS: dict[str, dict[str, tuple[str, ...] | None]] = {
    "classify": {
        "contact_name": None,
        "decision_maker": YES_NO,
        "backed_by_data": YES_NO,
        "channel": ("call", "meeting", "email"),
        "summary": None,
    },
    "kind": {"kind": KINDS},
    "validate": {"reaction": None},
    "clarify": {"restatement": None, "client_confirmed": YES_NO},
    "ask": {},
    "escalate": {"note": None},
    "resolve": {"outcome": ("resolved", "escalated_further", "lost"), "agreement": None},
}
FIRST_STEPS = ("classify", "kind")
MAX_QUESTIONS = 5
Questions = Annotated[list[Text], Field(min_length=1, max_length=MAX_QUESTIONS)]


class WalkChoice(_Model):
    value: Annotated[str, Field(min_length=1, max_length=40)]
    label: Annotated[str, Field(min_length=1, max_length=75)]  # Slack's option text limit


class WalkField(_Model):
    """One input of a step: a line of text, a paragraph, or one of a few choices."""

    id: Annotated[str, Field(min_length=1, max_length=40)]
    label: Annotated[str, Field(min_length=1, max_length=80)]
    type: Literal["text", "long_text", "choice"]
    required: bool = True
    max_length: Annotated[int, Field(ge=1, le=3000)] = 300
    placeholder: Annotated[str, Field(max_length=150)] | None = None
    choices: list[WalkChoice] = Field(default_factory=list)

    @model_validator(mode="after")
    def _choices_match_type(self) -> WalkField:
        if self.type == "choice" and len(self.choices) < 2:
            raise ValueError(f"field {self.id!r} is a choice: give at least two choices")
        if self.type != "choice" and self.choices:
            raise ValueError(f"field {self.id!r} is {self.type}: it takes no choices")
        return self


class WalkStep(_Model):
    id: StepKey
    title: Annotated[str, Field(min_length=1, max_length=60)]
    guidance: Text
    submit: Annotated[str, Field(min_length=1, max_length=24)]  # Slack's submit button limit
    talk_track: TrackId | None = None
    fields: list[WalkField] = Field(default_factory=list)
    questions: dict[Kind, Questions] = Field(default_factory=dict)
    answer_max_length: Annotated[int, Field(ge=1, le=3000)] = 1000

    @model_validator(mode="after")
    def _fields_are_known(self) -> WalkStep:
        expected = EXPECTED_FIELDS[self.id]
        given = {f.id: f for f in self.fields}
        if set(given) != set(expected):
            want = ", ".join(expected) or "none (its inputs are its questions)"
            raise ValueError(f"step {self.id!r} has fields {want}")
        for field_id, values in expected.items():
            field = given[field_id]
            if values is None and field.type == "choice":
                raise ValueError(f"field {field_id!r} is text, not a choice")
            if values is not None and sorted(c.value for c in field.choices) != sorted(values):
                raise ValueError(f"field {field_id!r} has the choices {', '.join(values)}")
        if (self.id == "ask") != bool(self.questions):
            raise ValueError("the ask step, and only it, has questions for both kinds")
        if self.questions and set(self.questions) != set(KINDS):
            raise ValueError("the ask step has questions for both kinds: legitimate and phantom")
        return self

    def field(self, field_id: str) -> WalkField:
        return next(f for f in self.fields if f.id == field_id)


class KindInfo(_Model):
    label: Annotated[str, Field(min_length=1, max_length=40)]
    description: Text


class FollowUp(_Model):
    """A step added to the checklist when a legitimate objection is escalated."""

    id: StepId
    title: Annotated[str, Field(min_length=1, max_length=70)]
    why: Text
    owner: Literal["am", "sponsor"]
    due_offset_days: Annotated[int, Field(ge=0, le=60)]


class ObjectionWalk(_Model):
    kinds: dict[Kind, KindInfo]
    email_talk_track: TrackId
    phantom_settle_hours: Annotated[int, Field(ge=1, le=720)] = 24
    steps: list[WalkStep]
    follow_ups: Annotated[list[FollowUp], Field(min_length=1, max_length=10)]

    @model_validator(mode="after")
    def _steps_in_order(self) -> ObjectionWalk:
        ids: list[str] = [s.id for s in self.steps]
        _duplicate_ids(ids, "ObjectionWalk", "step")
        _duplicate_ids([f.id for f in self.follow_ups], "ObjectionWalk", "follow-up")
        if sorted(ids) != sorted(EXPECTED_FIELDS):
            raise ValueError(f"the steps are {', '.join(EXPECTED_FIELDS)}, each once")
        if tuple(ids[:2]) != FIRST_STEPS or ids[-1] != "resolve":
            raise ValueError("classify and kind come first, resolve last")
        if set(self.kinds) != set(KINDS):
            raise ValueError("describe both kinds: legitimate and phantom")
        return self

    def step(self, step_id: str) -> WalkStep:
        """The step with this id; ``KeyError`` if there is none."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def after(self, step_id: str) -> WalkStep | None:
        """The step that follows ``step_id`` (None after the last)."""
        ids = [s.id for s in self.steps]
        index = ids.index(step_id) + 1  # type: ignore[arg-type]
        return self.steps[index] if index < len(self.steps) else None

    def number(self, step_id: str) -> int:
        """1-based position of a step."""
        return [s.id for s in self.steps].index(step_id) + 1  # type: ignore[arg-type]

    @property
    def talk_tracks(self) -> list[str]:
        """Every talk track the walkthrough points to."""
        return [self.email_talk_track, *(s.talk_track for s in self.steps if s.talk_track)]
