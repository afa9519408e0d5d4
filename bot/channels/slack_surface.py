"""What the Slack surface does with a request, after Bolt has verified and acknowledged it.

One rule throughout: the person always gets an answer. Unknown people get how to be added,
user errors a friendly explanation (from the handlers), and anything unexpected is logged
with context and apologised for.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.channels.slack_home import home_data
from bot.channels.slack_identity import actor_for
from bot.channels.slack_messages import (
    REPLACING_COMMANDS,
    RecapOrigin,
    form_error,
    home_from_message,
    message,
    recap_fields,
    view,
)
from bot.errors import UserError
from bot.handlers.base import CommandContext, Reply
from bot.handlers.meetings import RECAP_FORM, SUMMARY_MAX, submit_recap
from bot.handlers.router import apology_reply, dispatch
from bot.rendering import Renderer
from bot.services.container import Services
from bot.services.when import parse_when

log = logging.getLogger(__name__)

ERROR_TEMPLATES = frozenset({"error", "apology", "choose_account", "unknown_user"})


@dataclass(frozen=True)
class Interaction:
    """A slash command or a button press, reduced to what answering it needs."""

    client: AsyncWebClient
    slack_user_id: str
    text: str
    trigger_id: str | None
    response_url: str | None
    respond: AsyncRespond | None
    source: Literal["command", "button"]

    @property
    def command_word(self) -> str:
        words = self.text.split(maxsplit=1)
        return words[0].casefold()[:40] if words else "help"


class SlackSurface:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.renderer = Renderer("slack")

    async def answer(self, it: Interaction) -> None:
        """Answer a command or a button; never raises."""
        try:
            actor = await actor_for(self.services, it.client, it.slack_user_id)
            if actor is None:
                await self._send(it, Reply("unknown_user", {}))
                return
            ctx = CommandContext(services=self.services, actor=actor, now=self.services.clock())
            reply = await dispatch(ctx, it.text)
            if reply.form == RECAP_FORM:
                await self._open_recap(it, reply)
            else:
                await self._send(it, reply)
        except Exception:
            log.exception(
                "Slack %s failed: slack user %s, command %r",
                it.source,
                it.slack_user_id,
                it.command_word,
            )
            await self._send_quietly(it, apology_reply())

    async def _send(self, it: Interaction, reply: Reply) -> None:
        payload = message(self.renderer, reply)
        # A tick updates the checklist in place; a refusal must not wipe the checklist out.
        replace = (
            it.source == "button"
            and it.command_word in REPLACING_COMMANDS
            and reply.template not in ERROR_TEMPLATES
        )
        if it.respond is not None:
            await it.respond(**payload, response_type=reply.visibility, replace_original=replace)
        else:  # a button on the Home tab: there is no response_url, so answer in a DM
            await it.client.chat_postMessage(channel=it.slack_user_id, **payload)

    async def _send_quietly(self, it: Interaction, reply: Reply) -> None:
        try:
            await self._send(it, reply)
        except Exception:
            log.exception("could not deliver an answer to slack user %s", it.slack_user_id)

    async def _open_recap(self, it: Interaction, reply: Reply) -> None:
        """Open the recap modal with the trigger_id (valid for 3 seconds after the click)."""
        if not it.trigger_id:
            await self._send(it, _error("I can only open the recap form from Slack itself."))
            return
        origin = RecapOrigin(account_id=int(reply.data["account_id"]), response_url=it.response_url)
        modal = view(
            self.renderer, "recap_form", {**reply.data, "private_metadata": origin.encode()}
        )
        try:
            await it.client.views_open(trigger_id=it.trigger_id, view=modal)
        except SlackApiError as exc:
            log.warning("views.open failed: %s", slack_error(exc))
            await self._send(
                it,
                _error(
                    "Slack did not let me open the recap form in time.",
                    hint="Please try `/account recap` again.",
                ),
            )

    async def submit_recap(
        self, *, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """The recap modal was submitted: save it, or show what to fix inside the modal."""
        user = body.get("user")
        slack_user_id = str(user.get("id") or "") if isinstance(user, dict) else ""
        saved = await self._save_recap(client, slack_user_id, body.get("view") or {})
        if isinstance(saved, dict):
            errors = {block: form_error(text) for block, text in saved.items()}
            await ack(response_action="errors", errors=errors)
            return
        await ack()  # closes the modal
        reply, response_url = saved
        await self._deliver(client, slack_user_id, response_url, reply)

    async def _save_recap(
        self, client: AsyncWebClient, slack_user_id: str, modal: dict[str, Any]
    ) -> dict[str, str] | tuple[Reply, str | None]:
        """The saved recap's confirmation and where to send it, or errors per input block.

        Saving happens before the ack so problems can be shown in the modal; it is one small
        write, well inside Slack's 3 seconds.
        """
        values = modal.get("state", {}).get("values", {})
        fields = recap_fields(values)
        asks_when = "meeting_when" in values
        if not fields.summary:
            return {"summary": "Write a short summary of the meeting."}
        if len(fields.summary) > SUMMARY_MAX:
            return {
                "summary": f"Keep the summary to {SUMMARY_MAX} characters or fewer "
                f"(it has {len(fields.summary)})."
            }
        try:
            origin = RecapOrigin.decode(modal.get("private_metadata") or "")
            actor = await actor_for(self.services, client, slack_user_id)
            if actor is None:
                return {
                    "summary": "I don't know you yet: ask ops to add your email to the "
                    "users sheet and re-import it."
                }
            ctx = CommandContext(services=self.services, actor=actor, now=self.services.clock())
            if asks_when and fields.meeting_when:
                parse_when(fields.meeting_when, now=ctx.now, tz=actor.effective_timezone)
            reply = await submit_recap(ctx, origin.account_id, fields)
        except UserError as error:  # a bad time, a meeting in the future, an account gone…
            return {"meeting_when" if asks_when else "summary": error.message}
        except Exception:
            log.exception("recap submission failed: slack user %s", slack_user_id)
            return {
                "summary": "Sorry, something went wrong and nothing was saved. Please try again."
            }
        return reply, origin.response_url

    async def _deliver(
        self, client: AsyncWebClient, slack_user_id: str, response_url: str | None, reply: Reply
    ) -> None:
        """Where the recap was asked for (response_url), else a DM."""
        payload = message(self.renderer, reply)
        if response_url and await _posted(response_url, payload):
            return
        try:
            await client.chat_postMessage(channel=slack_user_id, **payload)
        except Exception:
            log.exception("could not confirm a recap to slack user %s", slack_user_id)

    async def publish_home(self, client: AsyncWebClient, slack_user_id: str) -> None:
        """App Home: the person's accounts by urgency and their pending nudges."""
        try:
            actor = await actor_for(self.services, client, slack_user_id)
            if actor is None:
                home = home_from_message(message(self.renderer, Reply("unknown_user", {})))
            else:
                data = await home_data(self.services, actor)
                home = view(self.renderer, "home", data)
            await client.views_publish(user_id=slack_user_id, view=home)
        except Exception:
            log.exception("App Home failed: slack user %s", slack_user_id)

    async def apologise_via(self, respond: AsyncRespond) -> None:
        try:
            await respond(**message(self.renderer, apology_reply()), response_type="ephemeral")
        except Exception:
            log.exception("could not deliver an apology")


async def _posted(response_url: str, payload: dict[str, Any]) -> bool:
    """Whether Slack took the message at response_url (they expire after 30 minutes)."""
    try:
        sent = await AsyncWebhookClient(response_url).send_dict(
            {**payload, "response_type": "ephemeral"}
        )
    except Exception as exc:  # a dropped connection, a timeout: fall back to a DM
        log.warning("response_url failed (%s); answering by DM instead", type(exc).__name__)
        return False
    return sent.status_code == 200


def _error(text: str, *, hint: str | None = None) -> Reply:
    return Reply("error", {"message": text, "hint": hint, "suggestions": [], "command": ""})


def slack_error(exc: SlackApiError) -> str:
    """The `error` code of a failed Web API call (or its HTTP status when there is none)."""
    data = exc.response.data
    error = data.get("error") if isinstance(data, dict) else None
    return str(error) if error else f"HTTP {exc.response.status_code}"
