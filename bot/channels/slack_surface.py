"""What the Slack surface does with a request, after it has been verified and acknowledged.

One rule throughout: the person always gets an answer. Unknown people get how to be added,
user errors a friendly explanation (from the handlers), anything unexpected is logged with
context and apologised for. A request that changes something carries its Slack trigger id (or
form id) into the change's transaction, so a replay of it changes nothing and gets no answer.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal

from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack_identity import actor_for
from bot.channels.slack_messages import (
    REPLACING_COMMANDS,
    home_from_message,
    message,
    view,
)
from bot.channels.slack_objections import SlackObjections
from bot.channels.slack_recaps import SlackRecaps
from bot.channels.slack_replies import ResponseUrls, answer
from bot.command_syntax import cmd
from bot.handlers.base import CommandContext, Reply
from bot.handlers.home import home as home_for
from bot.handlers.meetings import RECAP_FORM
from bot.handlers.objections import OBJECTION_FORM
from bot.handlers.router import REPLAYED, apology_reply, dispatch
from bot.logs import add_log_fields
from bot.rendering import Renderer
from bot.services.container import Services
from bot.services.conversations import Conversation

log = logging.getLogger(__name__)

ERROR_TEMPLATES = frozenset({"error", "apology", "choose_account", "unknown_user"})
SLACK_RESPONSE_TYPES = {"private": "ephemeral", "shared": "in_channel"}


@dataclass(frozen=True)
class Interaction:
    """A slash command or a button press, reduced to what answering it needs."""

    client: AsyncWebClient
    slack_user_id: str
    text: str
    trigger_id: str | None
    response_url: str | None
    source: Literal["command", "button"]
    once_key: str | None = None
    conversation: Conversation | None = None

    @property
    def command_word(self) -> str:
        words = self.text.split(maxsplit=1)
        return words[0].casefold()[:40] if words else "help"


class SlackSurface:
    def __init__(self, services: Services, response_urls: ResponseUrls) -> None:
        self.services = services
        self.renderer = Renderer("slack", clock=services.clock)
        self.response_urls = response_urls
        self.objections = SlackObjections(services, self.renderer, response_urls)
        self.recaps = SlackRecaps(services, self.renderer, response_urls)

    async def answer(self, it: Interaction) -> None:
        """Answer a command or a button once; never raises."""
        add_log_fields(user_id=it.slack_user_id, command=it.command_word)
        started = time.monotonic()
        outcome = "apology"
        try:
            actor = await actor_for(self.services, it.client, it.slack_user_id)
            if actor is None:
                reply = Reply("unknown_user", {})
            else:
                ctx = CommandContext(
                    services=self.services,
                    actor=actor,
                    now=self.services.clock(),
                    once_key=it.once_key,
                    conversation=it.conversation,
                )
                reply = await dispatch(ctx, it.text)
            outcome = reply.template
            if reply is REPLAYED:
                return  # its first delivery was answered; a replay gets nothing
            if reply.form == RECAP_FORM:
                await self._open_recap(it, reply)
            elif reply.form == OBJECTION_FORM:
                await self._open_objection(it, reply)
            else:
                await self._send(it, reply)
        except Exception as error:
            log.exception(
                "Slack %s failed: slack user %s, command %r",
                it.source,
                it.slack_user_id,
                it.command_word,
            )
            await self._send_quietly(it, apology_reply(error))
        finally:
            log.info(
                "answered a Slack %s",
                it.source,
                extra={"outcome": outcome, "duration_ms": _ms_since(started)},
            )

    async def _send(self, it: Interaction, reply: Reply) -> None:
        # A tick updates the checklist in place; a refusal must not wipe the checklist out.
        replace = (
            it.source == "button"
            and it.command_word in REPLACING_COMMANDS
            and reply.template not in ERROR_TEMPLATES
        )
        await answer(
            self.response_urls,
            it.client,
            slack_user_id=it.slack_user_id,
            response_url=it.response_url,
            payload=message(self.renderer, reply),
            response_options={
                "response_type": SLACK_RESPONSE_TYPES[reply.audience],
                "replace_original": replace,
            },
        )

    async def _send_quietly(self, it: Interaction, reply: Reply) -> None:
        try:
            await self._send(it, reply)
        except Exception:
            log.exception("could not deliver an answer")

    async def _open_recap(self, it: Interaction, reply: Reply) -> None:
        """The recap modal (the trigger_id is valid for 3 seconds after the click)."""
        if not it.trigger_id:
            await self._send(it, _error("I can only open the recap form from Slack itself."))
        elif await self.recaps.open(it.client, it.trigger_id, reply, it.response_url):
            again = f"Please try {cmd('recap')} again."
            await self._send(
                it, _error("Slack did not let me open the recap form in time.", hint=again)
            )

    async def _open_objection(self, it: Interaction, reply: Reply) -> None:
        """The walkthrough's modal, at the step due (the trigger_id is valid for 3 seconds)."""
        objection_id = reply.data["screen"].objection.id
        again = f"Please try {cmd(f'objection resume {objection_id}')} again."
        if not it.trigger_id:
            await self._send(it, _error("I can only open the objection form from Slack itself."))
        elif await self.objections.open(it.client, it.trigger_id, reply) is not None:
            await self._send(it, _error("Slack did not let me open the form in time.", hint=again))

    async def publish_home(self, client: AsyncWebClient, slack_user_id: str) -> None:
        """App Home: the person's accounts by urgency and their pending nudges."""
        add_log_fields(user_id=slack_user_id, command="home")
        try:
            actor = await actor_for(self.services, client, slack_user_id)
            if actor is None:
                home = home_from_message(message(self.renderer, Reply("unknown_user", {})))
            else:
                ctx = CommandContext(services=self.services, actor=actor, now=self.services.clock())
                home = view(self.renderer, "home", (await home_for(ctx, "")).data)
            await client.views_publish(user_id=slack_user_id, view=home)
        except Exception:
            log.exception("App Home failed")


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _error(text: str, *, hint: str | None = None) -> Reply:
    return Reply("error", {"message": text, "hint": hint, "suggestions": [], "command": ""})
