"""The weekly digest in a Teams channel: the card shows the chart as an image accountbot
serves at PUBLIC_URL/charts/…, which nobody can guess; without PUBLIC_URL, the chart in words."""

from __future__ import annotations

from typing import Any

import pytest

from bot.delivery.runs import Renderers, queue_digests
from bot.services.kpis import IsoWeek
from tests.channels.conftest import NOW
from tests.channels.teams_helpers import buttons, card_of, seen
from tests.channels.teams_world import LENA_T, TeamsWorld

pytestmark = pytest.mark.asyncio(loop_scope="module")
PNG = b"\x89PNG\r\n\x1a\n"


async def post_digest(world: TeamsWorld, week: IsoWeek) -> dict[str, Any]:
    world.connector.reset()
    report = await queue_digests(
        world.app.services,
        now=NOW,
        platforms={"teams"},
        renderers=Renderers(),
        on_schedule=False,
        team_name="Atlas",
        week=week,
    )
    assert report.queued, report
    assert world.app.delivery is not None
    drained = await world.app.delivery.sender.drain(ids=set(report.queued))
    assert set(drained.sent) == set(report.queued)
    [sent] = world.connector.calls_to("send", "reply")
    return sent.body  # type: ignore[no-any-return]


async def test_the_card_shows_the_chart_served_by_accountbot_and_only_to_its_link(
    teams_world: TeamsWorld,
) -> None:
    await teams_world.say(teams_world.send.channel_message("link-team Atlas", LENA_T))
    settings = teams_world.app.services.settings
    settings.public_url = teams_world.base_url
    try:
        activity = await post_digest(teams_world, IsoWeek(2026, 9))
    finally:
        settings.public_url = None
    card = card_of(activity)
    [image] = [element for element in card["body"] if element["type"] == "Image"]
    assert image["url"].startswith(f"{teams_world.base_url}/charts/")
    assert "Recaps within 24 h:" in image["altText"]
    text = seen(activity)
    assert "Weekly digest:" in text and "2026-W09" in text and "Needs attention" in text
    assert all(command.startswith("status #") for command in buttons(activity).values())

    async with teams_world.http.get(image["url"]) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/png"
        assert (await response.read()).startswith(PNG)
    name = image["url"].rsplit("/", 1)[1]
    forged = name[:-12] + ("A" if name[-12] != "A" else "B") + name[-11:]
    for wrong in (forged, name.replace("2026-W09", "2026-W08"), "1.png", name[:-4]):
        async with teams_world.http.get(f"{teams_world.base_url}/charts/{wrong}") as response:
            assert response.status == 404, wrong


async def test_without_a_public_url_the_card_says_the_chart_in_words(
    teams_world: TeamsWorld,
) -> None:
    await teams_world.say(teams_world.send.channel_message("link-team Atlas", LENA_T))
    activity = await post_digest(teams_world, IsoWeek(2026, 8))
    card = card_of(activity)
    assert not [element for element in card["body"] if element["type"] == "Image"]
    text = seen(activity)
    assert "Last 8 weeks" in text and "Recaps within 24 h:" in text
