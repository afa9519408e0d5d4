"""`accountbot teams-package`: a zip Teams accepts, checked against the vendored manifest schema."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from bot.channels.teams_package import (
    MAX_COMMANDS_PER_SCOPE,
    SCOPE_COMMANDS,
    commands,
    manifest,
)
from bot.cli import app
from bot.handlers.help import COMMAND_HELP

SCHEMA = Path(__file__).parents[1] / "fixtures" / "schemas" / "teams-manifest-1.30.json"
APP_ID = "5E2EF8A1-0c5b-4a8e-9a53-2b6f2f0d6c11"


def build(tmp_path: Path, *args: str) -> tuple[int, str, Path]:
    out = tmp_path / "accountbot-teams.zip"
    result = CliRunner().invoke(app, ["teams-package", *args, "--out", str(out)])
    return result.exit_code, result.output, out


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    code, output, out = build(
        tmp_path_factory.mktemp("pkg"), "--app-id", APP_ID, "--host", "Bot.Example.com"
    )
    assert code == 0, output
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGBA pixels of an 8-bit RGBA PNG with unfiltered rows."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, color_type = struct.unpack(">IIBB", data[16:26])
    assert (depth, color_type) == (8, 6)
    idat = b"".join(
        data[i + 8 : i + 8 + length]
        for i in range(8, len(data))
        if data[i + 4 : i + 8] == b"IDAT"
        for length in [struct.unpack(">I", data[i : i + 4])[0]]
    )
    raw = zlib.decompress(idat)
    stride = width * 4 + 1
    pixels = [
        raw[r * stride + 1 + c * 4 : r * stride + 5 + c * 4]
        for r in range(height)
        for c in range(width)
    ]
    return width, height, pixels


def test_the_zip_holds_exactly_the_manifest_and_two_icons(package: dict[str, bytes]) -> None:
    assert sorted(package) == ["color.png", "manifest.json", "outline.png"]


def test_the_manifest_is_valid_against_the_teams_schema(package: dict[str, bytes]) -> None:
    schema = json.loads(SCHEMA.read_text())
    document = json.loads(package["manifest.json"])
    errors = list(jsonschema.Draft4Validator(schema).iter_errors(document))
    assert not errors, jsonschema.exceptions.best_match(errors).message
    assert document["$schema"].endswith("/v1.30/MicrosoftTeams.schema.json")
    assert document["manifestVersion"] == "1.30"


def test_the_manifest_names_the_bot_its_scopes_and_the_host(package: dict[str, bytes]) -> None:
    document: dict[str, Any] = json.loads(package["manifest.json"])
    [bot] = document["bots"]
    assert bot["botId"] == APP_ID.lower()
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    assert (bot["supportsFiles"], bot["isNotificationOnly"]) == (False, False)
    assert document["validDomains"] == ["bot.example.com"]
    assert document["developer"]["websiteUrl"] == "https://bot.example.com/"
    assert document["permissions"] == ["identity", "messageTeamMembers"]
    assert document["icons"] == {"color": "color.png", "outline": "outline.png"}
    menus = {tuple(m["scopes"]): [c["title"] for c in m["commands"]] for m in bot["commandLists"]}
    assert menus == {(scope,): list(words) for scope, words in SCOPE_COMMANDS.items()}


def test_the_teams_app_id_is_stable_per_bot_and_differs_between_bots() -> None:
    first = manifest(APP_ID)["id"]
    assert manifest(APP_ID.lower())["id"] == first
    assert manifest("00000000-0000-0000-0000-000000000001")["id"] != first
    assert manifest(APP_ID)["validDomains"] == []


def test_every_command_is_offered_somewhere_and_help_everywhere() -> None:
    offered = {word for words in SCOPE_COMMANDS.values() for word in words}
    assert {usage.split()[0] for usage, _ in COMMAND_HELP} <= offered
    assert {"objection", "objections", "settings", "link-team"} <= offered
    assert set(commands()) == offered
    for words in SCOPE_COMMANDS.values():
        assert "help" in words and len(words) <= MAX_COMMANDS_PER_SCOPE


def test_icons_have_teams_sizes_and_the_outline_is_white_on_transparent(
    package: dict[str, bytes],
) -> None:
    width, height, pixels = png(package["color.png"])
    assert (width, height) == (192, 192)
    assert pixels[96 * 192 + 10][3] == 255  # an opaque background
    assert len({p[:3] for p in pixels if p[3] == 255}) > 2  # background, letter and their blend
    width, height, pixels = png(package["outline.png"])
    assert (width, height) == (32, 32)
    assert all(p[:3] == b"\xff\xff\xff" for p in pixels)
    assert any(p[3] == 0 for p in pixels) and any(p[3] == 255 for p in pixels)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--app-id", "not-a-guid"], "must be the Azure Bot's Microsoft App ID"),
        (["--app-id", APP_ID, "--host", "https://bot.example.com"], "without a scheme"),
        (["--app-id", APP_ID, "--host", "bot.example.com/api/messages"], "without a path"),
        (["--app-id", APP_ID, "--host", "bot.example.com:8443"], "without a port"),
        (["--app-id", APP_ID, "--host", "localhost"], "not a public host name"),
        (["--app-id", APP_ID, "--host", "bad_name.example.com"], "not a public host name"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_written(
    tmp_path: Path, args: list[str], message: str
) -> None:
    code, output, out = build(tmp_path, *args)
    assert code != 0 and message in " ".join(output.split())
    assert not out.exists()


def test_an_unwritable_destination_is_reported(tmp_path: Path) -> None:
    code, output, _ = build(tmp_path / "missing-dir", "--app-id", APP_ID)
    assert code != 0 and "Could not write" in output


def test_the_zip_is_the_same_every_time(tmp_path: Path) -> None:
    _, _, out = build(tmp_path, "--app-id", APP_ID)
    first = out.read_bytes()
    _, _, out = build(tmp_path, "--app-id", APP_ID)
    assert out.read_bytes() == first and zipfile.ZipFile(io.BytesIO(first)).testzip() is None
