"""`talk [TRACK]`: the talk tracks and templates playbook steps point to."""

from __future__ import annotations

from rapidfuzz import process

from bot.errors import InvalidInput
from bot.handlers.base import CommandContext, Handler, Reply


async def talk(ctx: CommandContext, args: str) -> Reply:
    """Without an id, every talk track; with one, that track's script."""
    library = ctx.services.playbooks
    tracks = sorted(library.talk_tracks.values(), key=lambda t: t.id)
    wanted = args.strip().casefold()
    if not wanted:
        return Reply("talk_tracks", {"tracks": tracks})
    if wanted in library.talk_tracks:
        return Reply("talk_track", {"track": library.talk_track(wanted)})
    close = process.extract(wanted, [t.id for t in tracks], limit=3, score_cutoff=50)
    suggestion = f" Did you mean {', '.join(f'`{m}`' for m, _, _ in close)}?" if close else ""
    raise InvalidInput(
        f"There is no talk track “{args.strip()}”.{suggestion}",
        hint="`/account talk` lists them all.",
    )


COMMANDS: dict[str, Handler] = {"talk": talk, "script": talk}
