"""A Teams activity as accountbot's plain data, and a card as an activity to send.

One of the modules that import botbuilder (see `teams`): where a message came from (with the
reference needed to write there later), its text without the bot's own `<at>` mention, or the
form values of a card's button.
"""

from __future__ import annotations

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity, Attachment

from bot.channels.teams_cards import CARD_CONTENT_TYPE, CardMessage
from bot.channels.teams_surface import TeamsMessage, command_text
from bot.services.conversations import Conversation, Kind

_KINDS: dict[str, Kind] = {"personal": "personal", "channel": "channel", "groupChat": "group"}


def conversation_of(activity: Activity) -> Conversation:
    """Where an activity happened, with the reference needed to write there later."""
    conversation = activity.conversation
    kind = _KINDS.get(getattr(conversation, "conversation_type", None) or "personal", "personal")
    base_id = (conversation.id or "").split(";messageid=", 1)[0]
    reference = TurnContext.get_conversation_reference(activity)
    reference.conversation.id = base_id  # write to the channel, not into one thread of it
    reference.activity_id = None
    channel_data = activity.channel_data or {}
    tenant = (
        (channel_data.get("tenant") or {}).get("id") if isinstance(channel_data, dict) else None
    )
    return Conversation(
        platform="teams",
        kind=kind,
        conversation_id=base_id,
        reference=reference.serialize(),
        tenant_id=tenant or getattr(conversation, "tenant_id", None),
        service_url=activity.service_url or "",
    )


def _bot_mentions(activity: Activity) -> list[str]:
    """The `<at>…</at>` texts of the mentions of the bot itself."""
    recipient = activity.recipient.id if activity.recipient else ""
    entities = [
        {"type": e.type, **(getattr(e, "additional_properties", None) or {})}
        for e in (activity.entities or [])
    ]
    return [
        str(entity.get("text") or "")
        for entity in entities
        if entity.get("type") == "mention"
        and (entity.get("mentioned") or {}).get("id") == recipient
    ]


def teams_message(activity: Activity) -> TeamsMessage:
    mentions = _bot_mentions(activity)
    value = activity.value if isinstance(activity.value, dict) else None
    return TeamsMessage(
        activity_id=activity.id or "",
        text=None if value is not None else command_text(activity.text, mentions),
        value=value,
        reply_to_id=activity.reply_to_id,
        aad_object_id=getattr(activity.from_property, "aad_object_id", None) or "",
        conversation=conversation_of(activity),
    )


def card_activity(message: CardMessage) -> Activity:
    attachment = Attachment(content_type=CARD_CONTENT_TYPE, content=message.card)
    activity = MessageFactory.attachment(attachment, text=message.text)
    if message.replaces:
        activity.id = message.replaces
    return activity
