"""The objection walkthrough in Slack: a modal, one view per step.

`/account objection ACCOUNT` (or a Resume button) opens the first view with the command's
trigger_id. Each submission is answered within Slack's 3 seconds: the next step's view
(`response_action: update`), what to fix next to the inputs (`errors`), or the closed objection.
`private_metadata` is only the objection id and the step is in the callback id; the objection,
who may work on it and the step due are loaded and checked again on every submission, so a
forged id is refused and a stale view is answered with the step due now. Closing the modal keeps
what was saved; an objection closed before anything was saved is forgotten.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack_identity import actor_for
from bot.channels.slack_messages import fit_blocks, form_errors, message, view
from bot.channels.slack_replies import ResponseUrls, answer, open_modal
from bot.errors import UserError
from bot.handlers.base import CommandContext, Reply
from bot.handlers.objections import OBJECTION_FORM, discard, objection_id_of, submit_step
from bot.handlers.router import apology_reply, error_reply
from bot.logs import add_log_fields
from bot.rendering import Renderer
from bot.services.container import Services
from bot.services.once import AlreadyDone

log = logging.getLogger(__name__)

OBJECTION_CALLBACK = "objection"
CALLBACK_PATTERN = r"^objection(:[a-z_]+)?$"
ACK_DEADLINE_SECONDS = 2.0  # Slack closes a modal not answered within 3 seconds
MAX_VIEW_BLOCKS = 100


@dataclass(frozen=True)
class Submission:
    client: AsyncWebClient
    slack_user_id: str
    objection_id: int
    step: str
    values: dict[str, str | None]
    once_key: str


def submitted_values(state_values: dict[str, Any]) -> dict[str, str | None]:
    """`{block: {action: element}}` → input id → text typed or value chosen."""
    values: dict[str, str | None] = {}
    for block_id, actions in state_values.items():
        element = actions.get(block_id) if isinstance(actions, dict) else None
        if not isinstance(element, dict):
            continue
        selected = element.get("selected_option")
        raw = selected.get("value") if isinstance(selected, dict) else element.get("value")
        values[str(block_id)] = raw if isinstance(raw, str) else None
    return values


class SlackObjections:
    def __init__(self, services: Services, renderer: Renderer, response_urls: ResponseUrls):
        self.services = services
        self.renderer = renderer
        self.response_urls = response_urls

    def modal(self, reply: Reply) -> dict[str, Any]:
        """The view for a reply: a step's form, or any other answer shown in a closing modal."""
        if reply.form == OBJECTION_FORM:
            return view(self.renderer, "objection_form", reply.data)
        blocks = message(self.renderer, reply)["blocks"]
        return {
            "type": "modal",
            "callback_id": OBJECTION_CALLBACK,
            "title": {"type": "plain_text", "text": "Objection"},
            "close": {"type": "plain_text", "text": "Done"},
            "blocks": fit_blocks(blocks, MAX_VIEW_BLOCKS),
        }

    async def open(self, client: AsyncWebClient, trigger_id: str, reply: Reply) -> str | None:
        """Open the step's modal; the reason when Slack did not let us."""
        return await open_modal(client, trigger_id, self.modal(reply), "an objection")

    async def submitted(
        self, *, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """A step was submitted: answered within Slack's 3 seconds whatever happens."""
        user = str((body.get("user") or {}).get("id") or "")
        add_log_fields(user_id=user, command="objection")
        modal = body.get("view") or {}
        objection_id = objection_id_of(str(modal.get("private_metadata") or ""))
        step = str(modal.get("callback_id") or "").partition(":")[2]
        if objection_id is None or not step:
            await ack(response_action="update", view=self.modal(_expired()))
            return
        state = (modal.get("state") or {}).get("values") or {}
        once_key = f"slack:objection:{modal.get('id')}:{modal.get('hash')}"[:100]
        sub = Submission(client, user, objection_id, step, submitted_values(state), once_key)
        saving = asyncio.ensure_future(self._save(sub))
        done, _ = await asyncio.wait({saving}, timeout=ACK_DEADLINE_SECONDS)
        if saving not in done:
            await ack()  # the modal closes; the outcome follows by DM
            reply = await saving
            if reply is not None:
                await self._tell_later(sub, reply)
            return
        reply = saving.result()
        if reply is None:  # the same submission again: its first delivery was answered
            await ack()
            return
        screen = reply.data.get("screen") if reply.form == OBJECTION_FORM else None
        if screen is not None and screen.errors:
            await ack(response_action="errors", errors=form_errors(screen.errors))
            return
        await ack(response_action="update", view=self.modal(reply))

    async def _save(self, sub: Submission) -> Reply | None:
        """The answer to a submission (None for one already answered); never raises."""
        try:
            actor = await actor_for(self.services, sub.client, sub.slack_user_id)
            if actor is None:
                return Reply("unknown_user", {})
            ctx = CommandContext(
                services=self.services,
                actor=actor,
                now=self.services.clock(),
                once_key=sub.once_key,
            )
            return await submit_step(ctx, sub.objection_id, sub.step, sub.values)
        except AlreadyDone:
            log.info("ignored an objection step submitted again")
            return None
        except UserError as error:  # a forged id, someone else's objection, a lost permission
            return error_reply(error, command="objection")
        except Exception as error:
            log.exception("objection step submission failed")
            return apology_reply(error)

    async def _tell_later(self, sub: Submission, reply: Reply) -> None:
        """Slack closed the modal before the save finished: say how it went, with Resume."""
        if reply.form == OBJECTION_FORM:
            screen = reply.data["screen"]
            reply = Reply(
                "objection_summary",
                {
                    "objection": screen.objection,
                    "facts": screen.facts,
                    "tz": reply.data.get("tz", "UTC"),
                    "escalation": reply.data.get("escalation"),
                    "notice": SLOW_SAVE if not screen.errors else UNSAVED,
                },
            )
        await answer(
            self.response_urls,
            sub.client,
            slack_user_id=sub.slack_user_id,
            response_url=None,
            payload=message(self.renderer, reply),
        )

    async def closed(self, *, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """The modal was closed: forget the objection if nothing was saved in it."""
        await ack()
        user = str((body.get("user") or {}).get("id") or "")
        objection_id = objection_id_of(str((body.get("view") or {}).get("private_metadata") or ""))
        if objection_id is None:
            return
        try:
            actor = await actor_for(self.services, client, user)
            if actor is not None:
                ctx = CommandContext(services=self.services, actor=actor, now=self.services.clock())
                await discard(ctx, objection_id)
        except Exception:
            log.exception("could not tidy up a closed objection form")


SLOW_SAVE = "Slack closed the form before I had saved this step; it is saved now."
UNSAVED = "Slack closed the form before I could check this step, and it was not saved."


def _expired() -> Reply:
    return Reply(
        "error",
        {
            "message": "This form has expired.",
            "hint": "Start again from the objections list.",
            "suggestions": [],
            "command": "objection",
        },
    )
