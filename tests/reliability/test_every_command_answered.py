"""Every signed slash command gets an answer, whatever words it carries.

Bolt reads any form body that contains the word "payload" as an interactivity payload; a
command like `/account status Payload Systems` used to get HTTP 404 and no answer.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.channels.block_kit import check_message, check_no_markup_injection
from tests.channels.helpers import seen
from tests.channels.slack_book import ALICE
from tests.reliability.book import PAYLOAD_ACCOUNT
from tests.reliability.conftest import Live

FORM = "application/x-www-form-urlencoded"


def command(live: Live, text: str, **fields: str) -> tuple[int, str]:
    response_url = live.slack.new_response_url()
    form = {
        "command": "/account",
        "text": text,
        "user_id": ALICE,
        "user_name": "alice",
        "channel_id": "C0000001",
        "channel_name": "general",
        "team_domain": "test",
        "response_url": response_url,
        "trigger_id": f"trigger-{text}-{sorted(fields.items())}",
        **fields,
    }
    status, _ = live.signed(urlencode(form), FORM)
    return status, response_url


@pytest.mark.parametrize(
    ("text", "fields", "expected"),
    [
        ("status payload", {}, f"*{PAYLOAD_ACCOUNT}*"),
        (f"status {PAYLOAD_ACCOUNT}", {}, f"*{PAYLOAD_ACCOUNT}*"),
        ("status acme robotics", {"channel_name": "payload-team"}, "*Acme Robotics*"),
        ("status acme robotics", {"user_name": "payload.bob"}, "*Acme Robotics*"),
        ("help", {"team_domain": "payloads"}, "here is what I can do"),
        ("status payload=1&payload=2", {}, "No account matches"),
    ],
    ids=["text", "account name", "channel name", "user name", "workspace", "form syntax"],
)
def test_slash_command_containing_the_word_payload_is_answered(
    live: Live, text: str, fields: dict[str, str], expected: str
) -> None:
    status, response_url = command(live, text, **fields)
    assert status == 200
    message = live.answer(response_url)
    check_message(message)
    check_no_markup_injection(message)
    assert expected in seen(message)
