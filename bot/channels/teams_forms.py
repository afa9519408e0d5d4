"""Forms on Teams cards: what a card's Action.Submit sent with `"form": …`, read and answered.

Teams sends a card's input values merged with its button's data. The answer replaces the form
card in place: the next form, the confirmation, or the same form with what to fix and what was
typed. A form delivered again (the same activity) changes nothing and gets no second answer; a
form about something the person may not see or change gets the friendly error, as a new message
(the form stays). No botbuilder import: see `teams_surface`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.channels.teams_cards import CardMessage
from bot.errors import UserError
from bot.handlers.base import CommandContext, Reply
from bot.handlers.meetings import RECAP_FORM, RecapFields, submit_recap
from bot.handlers.objections import OBJECTION_FORM, submit_step
from bot.handlers.router import dispatch, error_reply
from bot.services.once import AlreadyDone
from bot.services.when import parse_when

Card = Callable[..., CardMessage]  # (reply, *, replaces=None) -> the message
FORMS = frozenset({RECAP_FORM, OBJECTION_FORM})
EXPIRED = "This form has expired; please start {what} again."
_RECAP_INPUTS = ("summary", "next_steps", "upsell_spotted", "meeting_when")
_OBJECTION_DATA = frozenset({"form", "objection_id", "step"})


def form_of(value: Mapping[str, Any] | None) -> str | None:
    """The form a card submit answers, if it is one we know."""
    form = (value or {}).get("form")
    return form if isinstance(form, str) and form in FORMS else None


async def submit_form(
    ctx: CommandContext, value: Mapping[str, Any], reply_to_id: str | None, card: Card
) -> list[CardMessage]:
    """The answer to a submitted form (``form_of(value)`` is not None)."""
    if value.get("form") == OBJECTION_FORM:
        return await _submit_objection(ctx, value, reply_to_id, card)
    return await _submit_recap(ctx, value, reply_to_id, card)


def _number(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def _submit_objection(
    ctx: CommandContext, value: Mapping[str, Any], reply_to_id: str | None, card: Card
) -> list[CardMessage]:
    """A step of the objection walkthrough: the next step (or the closed objection), or the
    same step with what to fix."""
    objection_id, step = _number(value.get("objection_id")), value.get("step")
    if objection_id is None or not isinstance(step, str):
        return [card(_error(EXPIRED.format(what="the objection")))]
    typed = {k: v for k, v in value.items() if k not in _OBJECTION_DATA}
    try:
        answer = await submit_step(ctx, objection_id, step, typed)
    except AlreadyDone:
        return []  # the same submit delivered again: it was answered the first time
    except UserError as error:
        return [card(error_reply(error))]
    return [card(answer, replaces=reply_to_id)]


async def _submit_recap(
    ctx: CommandContext, value: Mapping[str, Any], reply_to_id: str | None, card: Card
) -> list[CardMessage]:
    """The recap card was submitted: the confirmation replaces the form, or the form comes
    back with what to fix and what was typed."""
    fields = RecapFields.from_form({k: _text(value.get(k)) for k in _RECAP_INPUTS})
    account_id = _number(value.get("account_id"))
    if account_id is None:
        return [card(_error(EXPIRED.format(what="the recap")))]
    asks_when = "meeting_when" in value
    problems = fields.problems()
    if not problems:
        try:
            if asks_when and fields.meeting_when:
                parse_when(fields.meeting_when, now=ctx.now, tz=ctx.actor.effective_timezone)
            meeting_id = _number(value.get("meeting_id"))
            saved = await submit_recap(ctx, account_id, fields, meeting_id)
            return [card(saved, replaces=reply_to_id)]
        except AlreadyDone:
            return []  # the same submit delivered again: it was answered the first time
        except UserError as error:
            problems = {("meeting_when" if asks_when else "summary"): error.message}
    meeting_at = _text(value.get("meeting_at"))  # the form of the same meeting comes back
    form = await dispatch(
        ctx, f"recap #{account_id} {meeting_at}" if meeting_at else f"recap #{account_id}"
    )
    if form.form != RECAP_FORM:  # the account is gone or no longer yours, the meeting recapped
        return [card(form)]
    again = {**form.data, "errors": problems, "values": _values(fields)}
    return [card(Reply("recap_form", again), replaces=reply_to_id)]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _values(fields: RecapFields) -> dict[str, str]:
    return {
        "summary": fields.summary,
        "next_steps": fields.next_steps or "",
        "upsell_spotted": fields.upsell_spotted or "",
        "meeting_when": fields.meeting_when or "",
    }


def _error(text: str) -> Reply:
    return Reply("error", {"message": text, "hint": None, "suggestions": [], "command": ""})
