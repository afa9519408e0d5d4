"""A walkthrough step's inputs, and reading what was typed into them (the same on every surface).

Inputs come from the step in ``objections.yaml``; the ask step's inputs are its questions for the
objection's kind (`answer_1`, `answer_2`, …). Reading never trusts a surface: text is cleaned
and measured, a choice must be one of the step's values, and every problem is reported by
input, so a surface can show it next to the right field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.formatting import typed_clean
from bot.playbooks.objection_walk import WalkChoice, WalkStep


@dataclass(frozen=True)
class FormInput:
    """One input as a surface shows it; ``value`` pre-fills it."""

    id: str
    label: str
    type: str  # text | long_text | choice
    required: bool
    max_length: int
    placeholder: str | None = None
    choices: tuple[WalkChoice, ...] = ()
    value: str | None = None

    def choice_label(self, value: str | None) -> str | None:
        return next((c.label for c in self.choices if c.value == value), None)


@dataclass(frozen=True)
class ReadForm:
    values: dict[str, str | None]
    problems: dict[str, str] = field(default_factory=dict)


def answer_id(number: int) -> str:
    return f"answer_{number}"


def step_inputs(
    step: WalkStep, kind: str | None, values: Mapping[str, str | None]
) -> list[FormInput]:
    """The inputs of ``step`` (for an objection of ``kind``), pre-filled from ``values``."""
    if step.id == "ask":
        questions = step.questions.get(kind or "legitimate", [])  # type: ignore[call-overload]
        return [
            FormInput(
                id=answer_id(number),
                label=question,
                type="long_text",
                required=False,  # at least one answer, whichever: see `read_form`
                max_length=step.answer_max_length,
                value=values.get(answer_id(number)),
            )
            for number, question in enumerate(questions, start=1)
        ]
    return [
        FormInput(
            id=f.id,
            label=f.label,
            type=f.type,
            required=f.required,
            max_length=f.max_length,
            placeholder=f.placeholder,
            choices=tuple(f.choices),
            value=values.get(f.id),
        )
        for f in step.fields
    ]


def _choose_one(item: FormInput) -> str:
    """`Choose one of “Yes, they decide or sign” or “No, or not alone”.`: quoted, since labels
    hold commas."""
    labels = [f"“{choice.label}”" for choice in item.choices]
    listed = ", ".join(labels[:-1]) + f" or {labels[-1]}" if len(labels) > 1 else labels[0]
    return f"Choose one of {listed}."


def read_form(inputs: list[FormInput], given: Mapping[str, object]) -> ReadForm:
    """What was typed into ``inputs``, cleaned, with what to fix by input id."""
    values: dict[str, str | None] = {}
    problems: dict[str, str] = {}
    for item in inputs:
        raw = given.get(item.id)
        text = typed_clean(raw).strip() if isinstance(raw, str) else ""
        values[item.id] = text or None
        if item.type == "choice":
            if text and item.choice_label(text) is None:
                shown = text if len(text) <= 40 else text[:39] + "…"
                problems[item.id] = f"“{shown}” is not a choice. {_choose_one(item)}"
            elif not text and item.required:
                problems[item.id] = _choose_one(item)
        elif not text and item.required:
            problems[item.id] = "Please fill this in."
        elif len(text) > item.max_length:
            problems[item.id] = f"Keep it to {item.max_length} characters (it has {len(text)})."
    answers = [i for i in inputs if i.id.startswith("answer_")]
    if answers and not any(values[i.id] for i in answers) and not problems:
        problems[answers[0].id] = "Write down at least one of their answers."
    return ReadForm(values, problems)
