"""The Teams app package a person sideloads: manifest.json, color.png and outline.png in a zip.

The manifest follows schema 1.30 (the newest numbered one Microsoft publishes in the
@microsoft/app-manifest package). Its bot is the Azure Bot whose app id is given; the app's own
id is derived from that app id, so rebuilding the package updates the same app in Teams. The
icons are drawn here (a white "A" for accountbot), so the package needs nothing but the stdlib.
"""

from __future__ import annotations

import io
import json
import re
import struct
import uuid
import zipfile
import zlib
from collections.abc import Iterable
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from bot.handlers.help import COMMAND_HELP

MANIFEST_VERSION = "1.30"
MANIFEST_SCHEMA = (
    "https://developer.microsoft.com/en-us/json-schemas/teams/"
    f"v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
)
# Teams app ids are derived from the bot's app id in this namespace (uuid5).
APP_ID_NAMESPACE = uuid.UUID("1b0c5f0e-8a3d-5a57-9d0e-6f1f3c2a7b40")
ACCENT = (0x2B, 0x5C, 0xAB)  # the color icon's background and the manifest's accentColor
COLOR_SIZE, OUTLINE_SIZE = 192, 32
MAX_COMMANDS_PER_SCOPE = 12  # the manifest schema's limit per command list
# Commands on their way into COMMAND_HELP; an entry there replaces the one here.
COMING_COMMANDS: tuple[tuple[str, str], ...] = (
    ("settings", "your time zone and which nudges you get"),
)
# What each scope's command menu offers (Teams shows at most 12); `help` lists everything.
SCOPE_COMMANDS: dict[str, tuple[str, ...]] = {
    "personal": (
        "status", "list", "home", "playbook", "tick", "meeting",
        "recap", "renewals", "kpi", "objection", "settings", "help",
    ),
    "team": (
        "status", "list", "playbook", "stage", "advance", "renewals",
        "kpi", "digest", "objections", "link-team", "talk", "help",
    ),
    "groupChat": (
        "status", "list", "playbook", "meeting", "recap", "renewals",
        "kpi", "digest", "objection", "objections", "talk", "help",
    ),
}  # fmt: skip
SHORT_DESCRIPTION = "Your accounts, playbooks, renewals and KPIs, right in Teams."
FULL_DESCRIPTION = (
    "accountbot is the assistant for account managers and their leads. Ask it about an "
    "account (status Acme) and see the stage and days in it, the owner and exec sponsor, the "
    "renewal date, MRR, the last meeting, missed recaps, open objections and playbook progress, "
    "with buttons for the next step. Work through each stage's playbook from chat (playbook "
    "Acme), log meetings and their recaps (meeting Acme yesterday 15:00, recap Acme), see the "
    "renewals coming up (renewals 30) and this week's KPIs against your targets (kpi). Leads "
    "preview the weekly digest for their team. accountbot nudges you about missed recaps, "
    "renewal windows and overdue steps. Names can be partial or misspelt; type help for every "
    "command. Your company runs accountbot on its own server: your data stays there."
)
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class PackageError(ValueError):
    """A bad --app-id or --host, with a message for the person who typed it."""


def check_app_id(value: str) -> str:
    """The bot's Microsoft App ID, lower-cased; a GUID such as 5e2ef8a1-0c5b-4a8e-9a53-…"""
    candidate = value.strip()
    if not _GUID.match(candidate):
        raise PackageError(
            f"The app id must be the Azure Bot's Microsoft App ID, a GUID like "
            f"5e2ef8a1-0c5b-4a8e-9a53-2b6f2f0d6c11 (got {value!r}); find it on the bot's "
            "Configuration page in the Azure portal."
        )
    return candidate.lower()


def check_host(value: str) -> str:
    """The public host name that reaches `accountbot serve`, as validDomains wants it."""
    host = value.strip().lower().rstrip(".")
    example = "e.g. bot.example.com for https://bot.example.com/api/messages"
    if "://" in host:
        raise PackageError(f"The host is a name without a scheme ({example}; got {value!r}).")
    if any(c in host for c in "/?#"):
        raise PackageError(f"The host is a name without a path ({example}; got {value!r}).")
    if ":" in host or "@" in host:
        raise PackageError(
            f"The host is a name without a port or user ({example}; got {value!r}); "
            "Teams reaches bots on port 443."
        )
    labels = host.split(".")
    if len(labels) < 2 or not all(_HOST_LABEL.match(label) for label in labels):
        raise PackageError(
            f"{value!r} is not a public host name ({example}; write international names "
            "in their xn-- form)."
        )
    return host


def commands() -> dict[str, tuple[str, str]]:
    """Every command by its first word: (usage, what it does)."""
    found = {usage.split()[0]: (usage, summary) for usage, summary in COMMAND_HELP}
    for usage, summary in COMING_COMMANDS:
        found.setdefault(usage.split()[0], (usage, summary))
    return found


def command_lists() -> list[dict[str, Any]]:
    every = commands()
    return [
        {
            "scopes": [scope],
            "commands": [
                {"title": word, "description": f"{every[word][0]}: {every[word][1]}"}
                for word in words
            ],
        }
        for scope, words in SCOPE_COMMANDS.items()
    ]


def app_version() -> str:
    try:
        return version("accountbot")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0"


def manifest(app_id: str, host: str | None = None) -> dict[str, Any]:
    """manifest.json for the bot `app_id`, served at https://`host`/api/messages."""
    bot_id = check_app_id(app_id)
    domain = check_host(host) if host else None
    website = f"https://{domain}/" if domain else "https://localhost/"
    return {
        "$schema": MANIFEST_SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": app_version(),
        "id": str(uuid.uuid5(APP_ID_NAMESPACE, bot_id)),
        "developer": {
            "name": "accountbot",
            "websiteUrl": website,
            "privacyUrl": website,
            "termsOfUseUrl": website,
        },
        "name": {"short": "accountbot", "full": "accountbot for account managers"},
        "description": {"short": SHORT_DESCRIPTION, "full": FULL_DESCRIPTION},
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": bot_id,
                "scopes": list(SCOPE_COMMANDS),
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": command_lists(),
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [domain] if domain else [],
    }


def package(app_id: str, host: str | None = None) -> bytes:
    """The zip to upload in Teams: manifest.json, color.png and outline.png at its root."""
    files = {
        "manifest.json": json.dumps(manifest(app_id, host), indent=2, ensure_ascii=False).encode(),
        "color.png": color_icon(),
        "outline.png": outline_icon(),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


# The letter A in a unit square: two legs and a bar, each a stroke of the given half-width.
_LETTER_A = (((0.5, 0.2), (0.27, 0.8)), ((0.5, 0.2), (0.73, 0.8)), ((0.36, 0.58), (0.64, 0.58)))


@cache
def color_icon() -> bytes:
    """192×192: a white A on the accent color, corners rounded."""
    return _draw(COLOR_SIZE, background=ACCENT, stroke=0.075, corner=0.18)


@cache
def outline_icon() -> bytes:
    """32×32: the white A alone on transparency, as Teams wants outline icons."""
    return _draw(OUTLINE_SIZE, background=None, stroke=0.09, corner=0.0)


def _draw(
    size: int, *, background: tuple[int, int, int] | None, stroke: float, corner: float
) -> bytes:
    samples = 3  # 3×3 samples a pixel smooth the edges
    rows = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            ink = card = 0
            for sy in range(samples):
                for sx in range(samples):
                    px = (x + (sx + 0.5) / samples) / size
                    py = (y + (sy + 0.5) / samples) / size
                    ink += any(_near(px, py, a, b, stroke) for a, b in _LETTER_A)
                    card += _inside_rounded(px, py, corner)
            total = samples * samples
            if background is None:
                row += bytes((255, 255, 255, round(255 * ink / total)))
            else:
                mix = ink / total
                rgb = (round(c + (255 - c) * mix) for c in background)
                row += bytes((*rgb, round(255 * card / total)))
        rows.append(bytes(row))
    return _png(size, size, rows)


def _near(x: float, y: float, a: tuple[float, float], b: tuple[float, float], width: float) -> bool:
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    return (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= width * width


def _inside_rounded(x: float, y: float, radius: float) -> bool:
    cx = min(max(x, radius), 1 - radius)
    cy = min(max(y, radius), 1 - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius


def _png(width: int, height: int, rows: Iterable[bytes]) -> bytes:
    """An 8-bit RGBA PNG, each row unfiltered."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
