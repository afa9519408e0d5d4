"""What the Teams surface does with a message, after the SDK has authenticated and parsed it.

No botbuilder import here: `teams.py` turns an Activity into a `TeamsMessage` and sends back
the `CardMessage`s this returns. The rules match Slack's: the person always gets an answer,
unknown people get how to be added, user errors a friendly explanation, anything unexpected is
logged and apologised for; a change is made once even if Teams delivers a message twice.
What a card form sends (the recap, the objection walkthrough) is answered in `teams_forms`.
"""

from __future__ import annotations

import html
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.channels.teams_cards import CardMessage, card_message
from bot.channels.teams_forms import form_of, submit_form
from bot.handlers.base import CommandContext, Reply
from bot.handlers.meetings import RECAP_FORM
from bot.handlers.objections import OBJECTION_FORM
from bot.handlers.router import REPLAYED, apology_reply, dispatch
from bot.logs import add_log_fields
from bot.rendering import Renderer
from bot.services.container import Services
from bot.services.conversations import Conversation, personal_chat, remember
from bot.services.identity import person_for
from storage.models import User

log = logging.getLogger(__name__)

EmailOf = Callable[[], Awaitable[str | None]]
# Answers that update the card the button was on (the checklist ticks in place).
REPLACING_COMMANDS = frozenset({"tick", "untick", "advance", "stage"})
ERROR_TEMPLATES = frozenset({"error", "apology", "choose_account", "unknown_user"})
_PREFIX = re.compile(r"^/?account\b\s*", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class TeamsMessage:
    """A message activity reduced to what answering it needs."""

    activity_id: str
    text: str | None
    value: Mapping[str, Any] | None  # what a card's Action.Submit sent
    reply_to_id: str | None  # the card message a submit came from
    aad_object_id: str
    conversation: Conversation

    @property
    def command_word(self) -> str:
        typed = (self.value or {}).get("cmd") if self.value else self.text
        words = str(typed or "").split(maxsplit=1)
        return words[0].casefold()[:40] if words else ("form" if self.value else "help")


def command_text(text: str | None, bot_mentions: Sequence[str] = ()) -> str:
    """What the person asked for: the bot's leading @mentions, HTML and an `account` or
    `/account` prefix removed, entities decoded, spaces collapsed."""
    cleaned = text or ""
    stripped = True
    while stripped:  # "<at>accountbot</at> <at>accountbot</at> status" happens on replies
        stripped = False
        cleaned = cleaned.lstrip()
        for mention in bot_mentions:
            if mention and cleaned.startswith(mention):
                cleaned, stripped = cleaned[len(mention) :], True
    cleaned = " ".join(html.unescape(_TAGS.sub(" ", cleaned)).split())
    cleaned = _PREFIX.sub("", cleaned).strip()
    return cleaned


class TeamsSurface:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.renderer = Renderer("teams", clock=services.clock)

    def card(self, reply: Reply, *, replaces: str | None = None) -> CardMessage:
        return card_message(self.renderer, reply, replaces=replaces)

    async def answer(self, message: TeamsMessage, email_of: EmailOf) -> list[CardMessage]:
        """The cards to send (or update) for one message; never raises."""
        add_log_fields(
            platform="teams", user_id=message.aad_object_id, command=message.command_word
        )
        started = time.monotonic()
        outcome = "apology"
        try:
            actor = await person_for(self.services.db, "teams", message.aad_object_id, email_of)
            if actor is None:
                outcome = "unknown_user"
                return [self.card(Reply("unknown_user", {}))]
            await self._remember_personal_chat(actor, message.conversation)
            ctx = CommandContext(
                services=self.services,
                actor=actor,
                now=self.services.clock(),
                once_key=f"teams:{message.activity_id}"[:100] if message.activity_id else None,
                conversation=message.conversation,
            )
            form = form_of(message.value)
            if form is not None and message.value is not None:
                cards = await submit_form(ctx, message.value, message.reply_to_id, self.card)
                outcome = form
                return cards
            cards, outcome = await self._command(ctx, message)
            return cards
        except Exception as error:
            log.exception("Teams message failed: command %r", message.command_word)
            return [self.card(apology_reply(error))]
        finally:
            elapsed = int((time.monotonic() - started) * 1000)
            log.info("answered a Teams message", extra={"outcome": outcome, "duration_ms": elapsed})

    async def _command(
        self, ctx: CommandContext, message: TeamsMessage
    ) -> tuple[list[CardMessage], str]:
        clicked = message.value is not None
        text = str((message.value or {}).get("cmd") or "") if clicked else message.text or ""
        reply = await dispatch(ctx, text)
        if reply is REPLAYED:
            return [], "replay"
        if reply.form == RECAP_FORM:
            return [self.card(Reply("recap_form", reply.data))], "recap_form"
        if reply.form == OBJECTION_FORM:  # a new card, even from a button: the old one stays
            return [self.card(reply)], reply.template
        replace = (
            clicked
            and message.command_word in REPLACING_COMMANDS
            and reply.template not in ERROR_TEMPLATES
        )
        replaces = message.reply_to_id if replace else None
        return [self.card(reply, replaces=replaces)], reply.template

    async def _remember_personal_chat(self, actor: User, conversation: Conversation) -> None:
        """Keep the person's 1:1 chat, so nudges can reach them there (once it changes)."""
        if conversation.kind != "personal" or not conversation.storable:
            return
        async with self.services.db.read_only() as session:
            known = await personal_chat(session, platform="teams", user_id=actor.id)
        same = (
            known is not None
            and known.conversation_id == conversation.conversation_id
            and known.service_url == conversation.service_url
        )
        if same:
            return
        async with self.services.db.unit_of_work() as session:
            await remember(session, conversation, now=self.services.clock(), user_id=actor.id)

    async def installed(
        self, conversation: Conversation, aad_object_id: str, email_of: EmailOf
    ) -> list[CardMessage]:
        """The app was added to a personal chat, a team or a group chat: remember where, and
        say hello in a personal chat."""
        add_log_fields(platform="teams", user_id=aad_object_id, command="install")
        try:
            if conversation.kind == "personal":
                actor = await person_for(self.services.db, "teams", aad_object_id, email_of)
                if actor is None:
                    return [self.card(Reply("unknown_user", {}))]
                await self._remember_personal_chat(actor, conversation)
                ctx = CommandContext(services=self.services, actor=actor, now=self.services.clock())
                return [self.card(await dispatch(ctx, "help"))]
            if conversation.storable:
                async with self.services.db.unit_of_work() as session:
                    await remember(session, conversation, now=self.services.clock())
        except Exception:
            log.exception("could not handle the Teams installation")
        return []
