"""An interactive console that answers `/account …` commands from the text templates.

It reads standard input, so it can be scripted: `printf 'status Acme\n' | accountbot demo`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from sqlalchemy import func, or_, select

from bot.errors import UserError
from bot.handlers.base import CommandContext, Reply
from bot.handlers.meetings import RECAP_FORM, RecapFields, submit_recap
from bot.handlers.objections import OBJECTION_FORM, discard, submit_step
from bot.handlers.router import dispatch, error_reply
from bot.rendering import Renderer
from bot.services.container import Services
from bot.services.nudges import pending_nudges
from bot.services.objections.forms import FormInput
from bot.services.objections.views import ObjectionSummary
from storage.models import Role, User

PROMPT = "/account "
RECAP_QUESTIONS = (
    ("summary", "Summary (required)"),
    ("next_steps", "Next steps"),
    ("upsell_spotted", "Upsell opportunity spotted"),
)


class Console:
    """One person at the keyboard; `as EMAIL` switches who that is."""

    def __init__(
        self,
        services: Services,
        actor: User,
        *,
        read_line: Callable[[str], str | None],
        out: TextIO,
        echo_input: bool = False,
    ) -> None:
        self.services = services
        self.actor = actor
        self.read_line = read_line
        self.out = out
        self.echo_input = echo_input
        self.renderer = Renderer("text", clock=services.clock)

    def say(self, text: str) -> None:
        self.out.write(text.rstrip() + "\n\n")
        self.out.flush()

    def show(self, reply: Reply) -> None:
        self.say(self.renderer.render_text(reply.template, reply.data))

    def ask(self, prompt: str) -> str | None:
        line = self.read_line(prompt)
        if line is not None and self.echo_input:
            self.out.write(f"{prompt}{line}\n")
        return line

    async def run(self) -> None:
        while True:
            line = self.ask(PROMPT)
            if line is None:
                return
            text = line.strip().removeprefix("/account").strip()
            if text in ("quit", "exit", "q"):
                return
            await self.handle(text)

    async def handle(self, text: str) -> None:
        word, _, rest = text.partition(" ")
        local = {
            "as": self.switch,
            "whoami": self.whoami,
            "people": self.people,
            "nudges": self.nudges,
        }
        if word in local:
            await local[word](rest.strip())
            return
        async with self.services.db.read_only() as session:  # as chat does, on every command
            self.actor = await session.get(User, self.actor.id) or self.actor
        reply = await dispatch(self.context(), text)
        if reply.form == RECAP_FORM:
            self.show(reply)
            await self.fill_recap(reply)
            return
        if reply.form == OBJECTION_FORM:
            await self.walk_objection(reply)
            return
        self.show(reply)

    def context(self) -> CommandContext:
        return CommandContext(services=self.services, actor=self.actor, now=self.services.clock())

    async def fill_recap(self, form: Reply) -> None:
        answers: dict[str, str | None] = {}
        questions = list(RECAP_QUESTIONS)
        if form.data.get("meeting") is None:
            questions.append(("meeting_when", "When was the meeting (e.g. `friday 3pm`) [now]"))
        for key, label in questions:
            answer = self.ask(f"  {label}: ")
            if answer is None:
                self.say("Recap cancelled; nothing was saved.")
                return
            if key == "meeting_when" and not answer.strip():
                answer = "now"  # as the chat forms, whose "when" starts as "now"
            answers[key] = answer
        try:
            reply = await submit_recap(
                self.context(),
                int(form.data["account_id"]),
                RecapFields.from_form(answers),
                form.data["meeting_id"],
            )
        except UserError as error:
            reply = error_reply(error, command="recap")
        self.show(reply)

    async def walk_objection(self, reply: Reply) -> None:
        """One step at a time until it is closed; end of input stops, keeping saved steps."""
        while reply.form == OBJECTION_FORM:
            self.show(reply)
            self.show_escalation_preview(reply)
            screen = reply.data["screen"]
            answers: dict[str, str] = {}
            for item in screen.inputs:
                answer = self.ask_input(item)
                if answer is None:
                    await self.stop_objection(screen.objection)
                    return
                answers[item.id] = answer
            self.out.write("\n")
            reply = await submit_step(self.context(), screen.objection.id, screen.step.id, answers)
        self.show(reply)
        self.show_escalation_preview(reply)

    def ask_input(self, item: FormInput) -> str | None:
        """One input at the prompt: a choice by number, value or label; Enter keeps what the
        step already holds (a resumed step's, or the last try's), a choice only if it is one."""
        if item.type == "choice":
            for number, choice in enumerate(item.choices, start=1):
                self.out.write(f"    {number}) {choice.label}\n")
            label = item.choice_label(item.value)
            answer = self.ask(f"  {item.label}{f' [{label}]' if label else ''}: ")
            if answer is None:
                return None
            return _choice_value(item, answer) if answer.strip() else (item.value if label else "")
        if item.value:
            answer = self.ask(f"  {item.label} [{item.value}]: ")
            return answer if answer is None or answer.strip() else item.value
        optional = "" if item.required else " (optional, Enter to skip)"
        example = f" ({item.placeholder})" if item.placeholder else ""
        return self.ask(f"  {item.label}{optional}{example}: ")

    async def stop_objection(self, objection: ObjectionSummary) -> None:
        if objection.status == "draft" and await discard(self.context(), objection.id):
            self.say("Objection stopped; nothing was saved.")
            return
        self.say(
            f"Stopped at step {objection.step_number} of {objection.steps_total}. What you "
            f"saved is kept: `objection resume {objection.id}` picks it up again."
        )

    def show_escalation_preview(self, reply: Reply) -> None:
        """The console reaches nobody: show the DM the sponsor gets in Slack or Teams."""
        escalation = reply.data.get("escalation")
        if escalation is None or escalation.reached or escalation.recipient is None:
            return
        if escalation.yourself:
            return
        preview = self.renderer.render_text("objection_escalated", escalation.message)
        self.say(f"(In Slack or Teams, {escalation.recipient} gets this DM:)\n{preview}")

    async def switch(self, who: str) -> None:
        key = who.casefold()
        async with self.services.db.read_only() as session:
            user = await session.scalar(
                select(User).where(or_(User.email == key, func.lower(User.name) == key))
            )
        if user is None:
            self.say(f"Nobody called {who!r} here; `people` lists everyone.")
            return
        self.actor = user
        await self.whoami("")

    async def whoami(self, _: str) -> None:
        team = self.actor.team.name if self.actor.team else "no team"
        self.say(f"You are {self.actor.name} <{self.actor.email}>, {self.actor.role}, {team}.")

    async def people(self, _: str) -> None:
        async with self.services.db.read_only() as session:
            users = (
                await session.scalars(select(User).order_by(User.team_id, User.role, User.name))
            ).all()
        self.say(self.renderer.render_text("people", {"users": users}))

    async def nudges(self, _: str) -> None:
        """The nudges due for you; a lead's are their team's, head's and ops' everyone's."""
        now = self.services.clock()
        actor = self.actor
        async with self.services.db.read_only() as session:
            found = await pending_nudges(
                session,
                as_of=now,
                rules=self.services.nudge_rules,
                playbooks=self.services.playbooks,
                user_id=actor.id if actor.role is Role.AM else None,
            )
            if actor.role is Role.LEAD:
                team = set(
                    await session.scalars(select(User.id).where(User.team_id == actor.team_id))
                )
                found = [n for n in found if n.user_id in team or n.user_id == actor.id]
        if actor.role is Role.AM:
            whose = f"you ({actor.name})"
        elif actor.role is Role.LEAD:
            whose = f"your team ({actor.team.name if actor.team else 'no team'})"
        else:
            whose = "everyone"
        data = {"nudges": found, "as_of": now, "whose": whose}
        self.say(self.renderer.render_text("nudges", data))


def _choice_value(item: FormInput, answer: str) -> str:
    """`2`, `no` or `No, or not alone` all choose the second choice; anything else is passed on
    for the service to refuse."""
    typed = answer.strip()
    if typed.isdigit() and 1 <= int(typed) <= len(item.choices):
        return item.choices[int(typed) - 1].value
    for choice in item.choices:
        if typed.casefold() in (choice.value.casefold(), choice.label.casefold()):
            return choice.value
    return typed
