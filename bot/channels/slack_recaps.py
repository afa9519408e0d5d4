"""The recap form in Slack: a modal opened from `recap NAME [when]` or a *Log recap* button.

The modal carries where it was asked for and the meeting it names (`RecapOrigin`, in
`private_metadata`), so the recap is saved on that meeting and confirmed there. A submission is
answered within Slack's 3 seconds whatever happens: problems visible in the form are shown in
it at once; the save runs with a deadline, and a slower one (a busy database) closes the form
and follows by message, the person's own text included if it could not be saved. A second
submission of the same form (its view id) saves nothing.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack_identity import actor_for
from bot.channels.slack_messages import RecapOrigin, form_errors, message, recap_fields, view
from bot.channels.slack_replies import ResponseUrls, answer, open_modal
from bot.errors import UserError
from bot.handlers.base import CommandContext, Reply
from bot.handlers.meetings import RecapFields, submit_recap
from bot.logs import add_log_fields
from bot.rendering import Renderer
from bot.services.container import Services
from bot.services.once import AlreadyDone
from bot.services.when import parse_when

log = logging.getLogger(__name__)

# Slack closes a form that is not answered within 3 seconds; a slower save finishes after.
FORM_ACK_DEADLINE_SECONDS = 2.0
FORM_EXPIRED = "This form has expired; please start the recap again."
UNKNOWN_IN_FORM = (
    "I don't know you yet: ask ops to add your email to the users sheet and re-import it."
)


@dataclass(frozen=True)
class RecapSubmission:
    """A submitted recap form."""

    client: AsyncWebClient
    slack_user_id: str
    fields: RecapFields
    asks_when: bool
    origin: RecapOrigin
    once_key: str


class SlackRecaps:
    def __init__(self, services: Services, renderer: Renderer, response_urls: ResponseUrls):
        self.services = services
        self.renderer = renderer
        self.response_urls = response_urls

    async def open(
        self, client: AsyncWebClient, trigger_id: str, reply: Reply, response_url: str | None
    ) -> str | None:
        """Open the form the reply describes; the reason when Slack did not let us."""
        origin = RecapOrigin(
            account_id=int(reply.data["account_id"]),
            response_url=response_url,
            meeting_id=reply.data["meeting_id"],
        )
        modal = view(
            self.renderer, "recap_form", {**reply.data, "private_metadata": origin.encode()}
        )
        return await open_modal(client, trigger_id, modal, "a recap")

    async def submitted(
        self, *, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """The recap modal was submitted: answered within Slack's 3 seconds whatever happens."""
        user = body["user"]["id"]
        add_log_fields(user_id=user, command="recap")
        modal = body["view"]
        values = modal["state"]["values"]
        fields = recap_fields(values)
        problems = fields.problems()
        if problems:
            await ack(response_action="errors", errors=form_errors(problems))
            return
        try:
            origin = RecapOrigin.decode(modal.get("private_metadata") or "")
        except (ValueError, KeyError, TypeError):
            await ack(response_action="errors", errors=form_errors({"summary": FORM_EXPIRED}))
            return
        submission = RecapSubmission(
            client, user, fields, "meeting_when" in values, origin, f"slack:recap:{modal['id']}"
        )
        saving = asyncio.ensure_future(self._save(submission))
        done, _ = await asyncio.wait({saving}, timeout=FORM_ACK_DEADLINE_SECONDS)
        early = saving.result() if saving in done else None
        if isinstance(early, dict):
            await ack(response_action="errors", errors=form_errors(early))
            return
        await ack()  # closes the form; the answer follows as a message
        result = await saving
        if isinstance(result, dict):
            result = Reply("recap_unsaved", {"reason": " ".join(result.values()), "fields": fields})
        if result is not None:
            await self._deliver(submission, result)

    async def _save(self, sub: RecapSubmission) -> dict[str, str] | Reply | None:
        """The saved recap's confirmation, what to fix by form field, or None for a form
        already saved (its first submission confirms it)."""
        blame = "meeting_when" if sub.asks_when else "summary"
        try:
            actor = await actor_for(self.services, sub.client, sub.slack_user_id)
            if actor is None:
                return {"summary": UNKNOWN_IN_FORM}
            ctx = CommandContext(
                services=self.services,
                actor=actor,
                now=self.services.clock(),
                once_key=sub.once_key,
            )
            if sub.asks_when and sub.fields.meeting_when:
                parse_when(sub.fields.meeting_when, now=ctx.now, tz=actor.effective_timezone)
            return await submit_recap(ctx, sub.origin.account_id, sub.fields, sub.origin.meeting_id)
        except AlreadyDone:
            log.info("ignored a recap form submitted again")
            return None
        except UserError as error:  # a bad time, a meeting in the future, an account gone…
            return {blame: error.message}
        except Exception:
            log.exception("recap submission failed")
            return {"summary": "Sorry, something went wrong and nothing was saved. Try again."}

    async def _deliver(self, sub: RecapSubmission, reply: Reply) -> None:
        """Where the recap was asked for (response_url), else a DM."""
        await answer(
            self.response_urls,
            sub.client,
            slack_user_id=sub.slack_user_id,
            response_url=sub.origin.response_url,
            payload=message(self.renderer, reply),
            response_options={"response_type": "ephemeral"},
        )
