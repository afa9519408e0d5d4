"""The shape of a stage playbook and of a talk track, as read from YAML.

Models are strict (YAML already gives native types, so ``"3"`` is not a number of days),
frozen, and reject unknown keys so that a typo in a team's file is reported, not ignored.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

LIFECYCLE_STAGES: tuple[str, ...] = ("onboarding", "adaptation", "growth", "renewal")

Role = Literal["am", "lead", "head", "ops"]

# Lower-case words joined by single hyphens or underscores: "kickoff-call", "poc_change".
SLUG_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"

# Lengths follow the columns that store them (step_completions.playbook / .step_id).
StageKey = Annotated[str, Field(min_length=1, max_length=40, pattern=SLUG_PATTERN)]
StepId = Annotated[str, Field(min_length=1, max_length=80, pattern=SLUG_PATTERN)]
TrackId = Annotated[str, Field(min_length=1, max_length=80, pattern=SLUG_PATTERN)]
Text = Annotated[str, Field(min_length=1)]

STEP_TITLE_MAX = 70


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, str_strip_whitespace=True)


class TalkTrack(_Model):
    """A short script or template a step can point to; ``body`` is plain, multi-line text."""

    id: TrackId
    title: Text
    body: Text


class PlaybookStep(_Model):
    """One checklist item of a playbook, due ``due_offset_days`` after the stage was entered."""

    id: StepId
    title: Annotated[str, Field(min_length=1, max_length=STEP_TITLE_MAX)]
    why: Text
    owner_role: Role
    due_offset_days: Annotated[int, Field(ge=0, le=365)]
    required: bool = True
    talk_track: TrackId | None = None


def _duplicate_ids(ids: list[str], title: str, what: str) -> None:
    """Raise a validation error located at the second occurrence of a repeated id."""
    first_seen: dict[str, int] = {}
    for index, item_id in enumerate(ids):
        if item_id in first_seen:
            error = PydanticCustomError(
                "duplicate_id",
                "duplicate {what} id '{id}' (first used at index {first})",
                {"what": what, "id": item_id, "first": first_seen[item_id]},
            )
            details = InitErrorDetails(type=error, loc=(index, "id"), input=item_id)
            raise ValidationError.from_exception_data(title, [details])
        first_seen[item_id] = index


class Playbook(_Model):
    """What an account manager does while an account is in one stage (or one situation)."""

    stage: StageKey
    name: Text
    summary: Text
    kind: Literal["lifecycle", "situational"] = "lifecycle"
    objectives: Annotated[list[Text], Field(min_length=1)]
    next_stage: StageKey | None = None
    steps: Annotated[list[PlaybookStep], Field(min_length=1)]

    @field_validator("steps")
    @classmethod
    def _step_ids_unique(cls, steps: list[PlaybookStep]) -> list[PlaybookStep]:
        _duplicate_ids([s.id for s in steps], cls.__name__, "step")
        return steps

    def step(self, step_id: str) -> PlaybookStep:
        """The step with this id; ``KeyError`` if the playbook has none."""
        for candidate in self.steps:
            if candidate.id == step_id:
                return candidate
        raise KeyError(f"playbook {self.stage!r} has no step {step_id!r}")

    @property
    def required_steps(self) -> list[PlaybookStep]:
        """The steps that must be done, in playbook order."""
        return [s for s in self.steps if s.required]


class TalkTrackFile(_Model):
    """The layout of ``talk_tracks.yaml``: one top-level ``talk_tracks:`` list."""

    talk_tracks: Annotated[list[TalkTrack], Field(min_length=1)]

    @field_validator("talk_tracks")
    @classmethod
    def _track_ids_unique(cls, tracks: list[TalkTrack]) -> list[TalkTrack]:
        _duplicate_ids([t.id for t in tracks], cls.__name__, "talk track")
        return tracks
