"""The demo console answers `/account …` commands from the text templates, scripted on stdin.

The book and the `run` fixture are in console_fixtures.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from storage.db import Database
from storage.models import AuditEntry, Meeting, StepCompletion, User
from tests.integration.builders import (
    make_account,
    make_contract,
    make_team,
)
from tests.integration.console_fixtures import NOW, Run


async def renewing(db: Database, owner_id: int, days_left: dict[str, int]) -> None:
    """Accounts of the owner by name, each with a contract ending that many days from NOW."""
    async with db.unit_of_work() as session:
        owner = await session.get(User, owner_id)
        assert owner is not None
        for name, days in days_left.items():
            account = await make_account(session, owner=owner, name=name)
            await make_contract(session, account=account, end_on=NOW.date() + timedelta(days=days))


async def test_status_is_answered_from_the_book_in_plain_text(run: Run) -> None:
    out = await run("ann", "status acme rob")
    assert "/account status acme rob" in out  # the script is echoed, like a terminal would
    assert "Acme Robotics: onboarding stage, 2 days in it" in out
    assert "Owner           Ann Smith <ann@example.com>" in out
    assert "Missed recaps   1" in out


async def test_ticking_a_step_from_the_console_is_saved_and_audited(
    sqlite_db: Database, run: Run
) -> None:
    out = await run("ann", "tick acme robotics kickoff-call\nquit")
    assert "[x] Hold the kick-off" in out
    async with sqlite_db.read_only() as session:
        ticked = (await session.scalars(select(StepCompletion.step_id))).all()
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert ticked == ["kickoff-call"]
    assert actions == ["step.tick"]


async def test_recap_prompts_for_each_field_and_saves_the_answers(
    sqlite_db: Database, run: Run
) -> None:
    script = "recap acme robotics\nAgreed the goals <!here>\nSend the plan Friday\n\n"
    out = await run("ann", script)
    assert "Summary (required): Agreed the goals" in out
    assert "Recap saved for Acme Robotics" in out
    async with sqlite_db.read_only() as session:
        meeting = await session.scalar(select(Meeting))
    assert meeting is not None
    assert (meeting.recap, meeting.next_steps, meeting.upsell_spotted) == (
        "Agreed the goals <!here>",
        "Send the plan Friday",
        None,
    )
    assert meeting.recap_logged_at == NOW


async def test_a_recap_names_its_meeting_by_time_and_a_wrong_time_is_explained(
    sqlite_db: Database, run: Run
) -> None:
    waiting = "`recap Acme Robotics 2026-03-02 15:00`"  # the book's meeting, two days ago
    script = [
        "meeting acme robotics 2026-03-01 10:00",
        "recap acme robotics 2026-02-28 10:00",
        "recap acme robotics 2026-03-01 10:00",
        "The Sunday call",
        "",
        "",
        "recap acme robotics 2026-03-01 10:00",
        "recap acme zzz",
        "meeting acme robotics 2026-03-04 14:00",
    ]
    out = await run("ann", "\n".join(script))
    assert "Add the recap now: `recap Acme Robotics 2026-03-01 10:00`" in out
    assert "No meeting with Acme Robotics is logged at 2026-02-28 10:00." in out
    assert f"Waiting for a recap: {waiting}, `recap Acme Robotics 2026-03-01 10:00`." in out
    assert "Recap of the sync meeting with Acme Robotics on Sun 01 Mar 10:00" in out
    assert "Recap saved for Acme Robotics" in out
    assert "The meeting with Acme Robotics at 2026-03-01 10:00 has its recap already." in out
    assert f"Waiting for a recap: {waiting}." in out
    assert "No account matches “acme zzz”" in out  # not a time: part of the name
    assert out.rstrip().endswith("Add the recap now: `recap Acme Robotics`")  # the latest
    async with sqlite_db.read_only() as session:
        recaps = dict((await session.execute(select(Meeting.occurred_at, Meeting.recap))).all())
    assert recaps == {
        NOW - timedelta(days=3, hours=5): "The Sunday call",
        NOW - timedelta(days=2): None,
        NOW - timedelta(hours=1): None,
    }


async def test_recap_cancelled_at_end_of_input_saves_nothing(sqlite_db: Database, run: Run) -> None:
    out = await run("ann", "recap acme robotics\nhalf a summary")
    assert "Recap cancelled; nothing was saved." in out
    async with sqlite_db.read_only() as session:
        meeting = await session.scalar(select(Meeting))
    assert meeting is not None and meeting.recap is None


async def test_switching_person_changes_what_the_console_may_do(run: Run) -> None:
    out = await run("ann", "digest\nas lea@example.com\ndigest")
    first, _, second = out.partition("as lea@example.com")
    assert "The digest preview is for team leads" in first
    assert "You are Lea Lead <lea@example.com>, lead, Atlas." in second
    assert "Atlas: weekly KPI digest, 2026-W09" in second


async def test_imported_names_are_printed_without_terminal_control_characters(run: Run) -> None:
    out = await run("ann", "list mine")
    assert "Evil[2J Co" in out
    assert "\x1b" not in out and "\u202e" not in out


async def test_nonsense_gets_the_command_list_and_changes_nothing(
    sqlite_db: Database, run: Run
) -> None:
    out = await run("ann", "frobnicate acme\nstage\ntick acme")
    assert "I don't know the command “frobnicate”" in out
    assert "Usage: `stage NAME STAGE [force]`." in out
    async with sqlite_db.read_only() as session:
        assert (await session.scalars(select(AuditEntry))).all() == []


async def test_long_renewal_lists_page_with_a_more_command(
    sqlite_db: Database, book: dict[str, int], run: Run
) -> None:
    await renewing(sqlite_db, book["ann"], {f"Renewing {n:02d}": n for n in range(12)})
    out = await run("ann", "renewals 30\nrenewals 30 page 2")
    first, _, second = out.partition("\n/account renewals 30 page 2\n")
    assert "Contracts ending in the next 30 days (1–10 of 12):" in first
    assert "Renewing 09" in first and "Renewing 10" not in first
    assert "More: `renewals 30 page 2`" in first
    assert "(11–12 of 12)" in second and "Renewing 11" in second
    assert "More:" not in second


async def test_a_head_names_the_team_and_a_wrong_name_suggests_the_closest(run: Run) -> None:
    out = await run("hana", "kpi team\ndigest atlas\ndigest atlsa")
    assert "You are not in a team; name one, e.g. `kpi team Atlas`." in out
    assert "Atlas: weekly KPI digest, 2026-W09" in out
    assert "No team matches “atlsa”." in out and "Did you mean: Atlas?" in out


async def test_a_lead_sees_only_their_own_teams_numbers(run: Run) -> None:
    out = await run("lea", "digest atlas\ndigest beacon")
    assert "Atlas: weekly KPI digest" in out  # a lead may name their own team
    assert "Only heads and ops can look at another team's numbers." in out


async def test_kpi_alone_is_an_ams_own_numbers_and_a_leads_teams(
    sqlite_db: Database, run: Run
) -> None:
    async with sqlite_db.unit_of_work() as session:
        await make_team(session, name="Beacon")
    assert "Your numbers, Ann Smith, week 2026-W10" in await run("ann", "kpi")
    lead = await run("lea", "kpi\nkpi me")
    assert "Atlas, week 2026-W10 so far (Mon 02 Mar 2026 – Wed 04 Mar 2026" in lead
    lead_own = lead.partition("/account kpi me")[2]
    assert "Your numbers, Lea Lead" in lead_own
    assert "nothing to measure yet: `kpi team` shows your team's." in lead_own  # owns none
    assert "On target everywhere" not in lead_own
    own_team = await run("lea", "kpi atlas\nkpi beacon\nkpi weekly")  # their own, another, none
    assert "Atlas, week 2026-W10 so far" in own_team
    assert "Only heads and ops can look at another team's numbers." in own_team
    assert "`kpi` takes `me` or `team`, e.g. `kpi team`." in own_team
    head = await run("hana", "kpi\nkpi atlas\nkpi atlantis")
    assert "You are not in a team; name one, e.g. `kpi team Atlas`." in head
    assert "Atlas, week 2026-W10 so far" in head  # `kpi TEAM`, as `digest TEAM`
    assert "No team matches “atlantis”" in head


async def test_times_are_shown_in_the_readers_time_zone(run: Run) -> None:
    # the meeting: Mon 2026-03-02 15:00 UTC, 23:00 in Singapore
    ann = await run("ann", "status acme robotics")
    hana = await run("hana", "status acme robotics")
    assert "Last meeting    Mon 02 Mar 15:00 (sync)" in ann  # London is on UTC in March
    assert "Last meeting    Mon 02 Mar 23:00 (sync)" in hana


async def test_nudges_say_whose_they_are_and_a_lead_sees_the_teams(
    sqlite_db: Database, book: dict[str, int], run: Run
) -> None:
    await renewing(sqlite_db, book["ann"], {"Ends Today": 0, "Ends Tomorrow": 1})
    ann = await run("ann", "nudges")
    assert "Renewal: Ends Today contract ends Wed 04 Mar 2026 (today; 7-day window)" in ann
    assert "Renewal: Ends Tomorrow contract ends Thu 05 Mar 2026 (in 1 day; 7-day window)" in ann
    home = await run("ann", "home")  # said "renews in 1 days" and "renews in 0 days"
    assert "Ends Tomorrow · growth · renews in 1 day\n" in home
    assert "Ends Today · growth · renews today\n" in home and "1 days" not in home
    one_day = await run("ann", "renewals 1")
    assert "Contracts ending in the next 1 day (1–2 of 2):" in one_day
    assert "Ends Tomorrow · ends Thu 05 Mar 2026 (in 1 day)" in one_day
    assert "nudges due for you (Ann Smith)" in ann or "nudge due for you (Ann Smith)" in ann
    assert "Recap missing: Acme Robotics, sync meeting 2 days ago" in ann
    lea = await run("lea", "nudges")
    assert "due for your team (Atlas)" in lea
    assert "ann@example.com" in lea and "Acme Robotics" in lea
    hana = await run("hana", "nudges")
    assert "due for everyone" in hana


async def test_home_counts_the_urgent_accounts_it_leaves_out_in_words(
    sqlite_db: Database, book: dict[str, int], run: Run
) -> None:
    await renewing(sqlite_db, book["ann"], {f"Renewing {n:02}": n % 7 for n in range(29)})
    home = await run("ann", "home")
    assert "Hi Ann Smith. 31 accounts need you" in home
    assert "…and 1 more account needs you: `list at-risk`." in home  # said "1 more accounts need"


async def test_days_counted_from_another_zones_today_name_that_zone(
    sqlite_db: Database, book: dict[str, int], run: Run
) -> None:
    async with sqlite_db.unit_of_work() as session:
        ann = await session.get(User, book["ann"])
        assert ann is not None
        ann.timezone = "Pacific/Auckland"  # 04:00 on Thursday 5 March there, at NOW
    await renewing(sqlite_db, book["ann"], {"Ends Thursday": 1, "Ends Friday": 2})
    script = "renewals 7\nstatus ends thursday\nlist renewals"
    hana = await run("hana", script)  # Wednesday 23:00 in Singapore
    assert "Ends Thursday · ends Thu 05 Mar 2026 (today, Auckland time)" in hana
    assert "Ends Friday · ends Fri 06 Mar 2026 (in 1 day, Auckland time)" in hana
    assert "Renewal         Thu 05 Mar 2026 (today, Auckland time)" in hana
    assert "renews 05 Mar (today, Auckland time)" in hana
    ann_reads = await run("ann", script)  # her own today: no zone to name
    assert "Ends Thursday · ends Thu 05 Mar 2026 (today) ·" in ann_reads
    assert "Renewal         Thu 05 Mar 2026 (today)\n" in ann_reads
    assert "renews 05 Mar (today)\n" in ann_reads


async def test_a_meeting_is_logged_on_a_weekday_at_a_time_of_day_as_people_say_it(
    sqlite_db: Database, book: dict[str, int], run: Run
) -> None:
    await renewing(sqlite_db, book["ann"], {"Acme Sun": 200})
    script = (  # Wednesday 4 March, 15:00 in London
        "meeting acme robotics last monday at 9:30 am\n"
        "meeting acme robotics wed 2pm\n"
        "meeting acme robotics tomorrow 10:00\n"
        "meeting acme sun"  # an account's whole name wins over a day
    )
    out = await run("ann", script)
    assert "Logged a meeting with Acme Robotics on Mon 02 Mar 09:30" in out
    assert "Logged a meeting with Acme Robotics on Wed 04 Mar 14:00" in out
    assert "tomorrow 10:00 is in the future; log a meeting once it has started." in out
    assert "Logged a meeting with Acme Sun on Wed 04 Mar 15:00" in out
    async with sqlite_db.read_only() as session:
        logged = (await session.scalars(select(Meeting.occurred_at))).all()
    assert {NOW.replace(day=2, hour=9, minute=30), NOW.replace(hour=14)} <= {
        at.replace(tzinfo=NOW.tzinfo) for at in logged
    }


async def test_a_person_sets_their_own_time_zone_and_everyone_counts_from_it_at_once(
    sqlite_db: Database, book: dict[str, int], run: Run
) -> None:
    await renewing(sqlite_db, book["ann"], {"Ends Thursday": 1})
    script = [  # one process: the zones it holds are read again once Ann's changes
        "renewals 7",  # as Hana: Wednesday 23:00 in Singapore; Ann in London
        "as ann@example.com",
        "settings zone auckland",
        "meeting acme robotics yesterday 9am",
        "settings zone berln",
        "as hana@example.com",
        "renewals 7",
    ]
    out = await run("hana", "\n".join(script))
    before, after = out.split("/account as hana@example.com")
    assert "Ends Thursday · ends Thu 05 Mar 2026 (in 1 day) ·" in before
    assert "Time zone       Pacific/Auckland\n" in before
    assert "Logged a meeting with Acme Robotics on Wed 04 Mar 09:00" in before  # Thu 04:00 there
    assert "unknown timezone 'berln'; did you mean Europe/Berlin?" in before
    assert "Ends Thursday · ends Thu 05 Mar 2026 (today, Auckland time)" in after
    back = await run("ann", "settings zone team")
    assert "Time zone       Europe/London, the team's" in back
    async with sqlite_db.read_only() as session:
        stored = await session.get(User, book["ann"])
        logged = await session.scalar(select(Meeting.occurred_at).order_by(Meeting.id.desc()))
    assert stored is not None and stored.timezone is None
    assert logged is not None and logged.replace(tzinfo=None) == datetime(2026, 3, 3, 20, 0)


async def test_home_shows_a_recap_command_as_it_is_typed_and_enter_logs_a_meeting_now(
    sqlite_db: Database, book: dict[str, int], run: Run
) -> None:
    await renewing(sqlite_db, book["ann"], {"Quiet Co": 200})  # no meeting waiting
    home = await run("ann", "home")
    typed = "`recap Acme Robotics 2026-03-02 15:00`"  # the meeting two days ago, London time
    assert f"Recap missing for the sync meeting 2 days ago  → {typed}" in home
    out = await run(
        "ann", f"{typed.strip('`')}\nKick-off went well\n\n\nrecap quiet co\nMet\n\n\n\n"
    )
    assert "Recap saved for Acme Robotics (sync meeting on Mon 02 Mar 15:00)" in out
    assert "When was the meeting (e.g. `friday 3pm`) [now]: " in out
    assert "Recap saved for Quiet Co" in out
    async with sqlite_db.read_only() as session:
        quiet = await session.scalar(select(Meeting).where(Meeting.recap == "Met"))
    assert quiet is not None and quiet.occurred_at.replace(tzinfo=None) == NOW.replace(tzinfo=None)


async def test_a_vacation_is_set_to_a_day_written_as_people_write_it(run: Run) -> None:
    script = [  # Wednesday 4 March 2026
        "settings vacation 24 mar",
        "settings vacation until March 27th",
        "settings vacation 2 mar",  # the nearest 2 March was two days ago
        "settings vacation 31 apr",
        "settings vacation 5 jan 2027",
    ]
    out = await run("ann", "\n".join(script))
    assert "Vacation        until Tue 24 Mar 2026" in out
    assert "Vacation        until Fri 27 Mar 2026" in out
    assert "2026-03-02 is in the past." in out
    assert "I can't read “31 apr” as a date; write it like 2026-12-24 or 24 Dec." in out
    assert "Vacation        until Tue 05 Jan 2027" in out


async def test_lists_and_renewals_read_their_scope_and_days_as_people_say_them(
    sqlite_db: Database, book: dict[str, int], run: Run
) -> None:
    await renewing(sqlite_db, book["ann"], {f"Renewing {n:02}": n for n in range(12)})
    script = [
        "list at risk",
        "list my accounts page 2",
        "list renewal",
        "renewals next 5 days",
        "renewals 3d",
        "list risk-ish",
    ]
    out = await run("ann", "\n".join(script))
    said = dict(part.split("\n", 1) for part in out.split("/account ")[1:])
    assert said["list at risk"].startswith("Accounts at risk")
    assert said["list my accounts page 2"].startswith("Your accounts (11–")
    assert "More: `list mine page 3`" not in said["list my accounts page 2"]
    assert said["list renewal"].startswith("Renewals in the next 90 days (1–10 of 12)")
    assert "More: `list renewals page 2`" in said["list renewal"]
    assert said["renewals next 5 days"].startswith("Contracts ending in the next 5 days (1–6 of 6)")
    assert said["renewals 3d"].startswith("Contracts ending in the next 3 days (1–4 of 4)")
    assert said["list risk-ish"].startswith("I can list mine, team, renewals, at-risk.")


async def test_a_stage_is_named_by_its_start(run: Run) -> None:
    out = await run("lea", "stage acme robotics gr\nstage acme robotics Adapt force")
    assert "Which stage? “gr” is not one: onboarding, adaptation, growth, renewal." in out
    assert "Acme Robotics moved from onboarding to adaptation" in out


async def test_ticking_twice_or_unticking_an_open_step_says_nothing_changed(
    sqlite_db: Database, run: Run
) -> None:
    twice_then_open = ["tick acme robotics kickoff-call"] * 2 + ["untick acme robotics handover"]
    out = await run("ann", "\n".join(twice_then_open))
    first, twice, open_step = out.split("/account ")[1:]
    assert "nothing changed" not in first
    assert 'success look like for you?"” was already ticked: nothing changed.' in twice
    assert (
        "“Read the contract, scope and sales handover notes” was not ticked: nothing changed."
        in open_step
    )
    async with sqlite_db.read_only() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert actions == ["step.tick"]  # one tick, audited once
