"""`talk [TRACK]`: the talk tracks and templates playbook steps point to."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import process

from bot.command_syntax import cmd
from bot.errors import InvalidInput
from bot.handlers.base import CommandContext, Handler, Reply
from bot.playbooks import TalkTrack

TALK_HINT = f"{cmd('talk')} lists them all."


def _containing(tracks: Sequence[TalkTrack], text: str) -> list[TalkTrack]:
    """Tracks whose id or title contains ``text`` (or its singular: "objections")."""
    for needle in dict.fromkeys((text, text.removesuffix("s"))):
        found = [t for t in tracks if needle in f"{t.id} {t.title}".casefold()]
        if found:
            return found
    return []


async def talk(ctx: CommandContext, args: str) -> Reply:
    """Without an id, every talk track; with an id or a word of its title, that script."""
    library = ctx.services.playbooks
    tracks = sorted(library.talk_tracks.values(), key=lambda t: t.id)
    wanted = " ".join(args.split()).casefold()
    if not wanted:
        return Reply("talk_tracks", {"tracks": tracks})
    if wanted in library.talk_tracks:
        return Reply("talk_track", {"track": library.talk_track(wanted)})
    containing = _containing(tracks, wanted)
    if len(containing) == 1:
        return Reply("talk_track", {"track": containing[0]})
    shown = args.strip()
    if containing:
        names = ", ".join(f"`{t.id}`" for t in containing)
        raise InvalidInput(f"Several talk tracks fit “{shown}”: {names}.", hint=TALK_HINT)
    close = process.extract(wanted, [t.id for t in tracks], limit=3, score_cutoff=50)
    suggestion = f" Did you mean {', '.join(f'`{m}`' for m, _, _ in close)}?" if close else ""
    raise InvalidInput(f"There is no talk track “{shown}”.{suggestion}", hint=TALK_HINT)


COMMANDS: dict[str, Handler] = {"talk": talk, "script": talk}
