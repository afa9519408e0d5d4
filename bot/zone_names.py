"""Time zones as spreadsheets name them: IANA names in any case, a city alone ("London",
"new york"), or Windows names as Outlook and Azure AD export them ("W. Europe Standard Time").

A fixed offset ("UTC+2") is refused with advice: it would ignore daylight saving time.
"""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import available_timezones

from rapidfuzz import fuzz, process
from tzlocal.windows_tz import win_tz

EXAMPLE = "an IANA name like Europe/Berlin, or a city like Berlin"
# Old spellings and fixed offsets, never a city's own zone.
_NOT_CITIES = ("Etc/", "SystemV/", "US/", "Canada/", "Mexico/", "Brazil/", "Chile/")
# In tzdata but no place: the server's own zone, and a placeholder that reads "Local time
# zone must be set".
_NOT_ZONES = frozenset({"localtime", "Factory"})
_OFFSET = re.compile(r"(?:utc|gmt)? ?[+\-−] ?[0-9]{1,2}(?::?[0-9]{2})?", re.IGNORECASE)


@cache
def _by_name() -> dict[str, str]:
    """Every IANA name and Windows name, casefolded, to its IANA spelling. Windows' fixed
    offsets ("UTC-11") are left to be refused as any other offset."""
    names = {
        windows.casefold(): zone
        for windows, zone in win_tz.items()
        if not _OFFSET.fullmatch(windows)
    }
    names.update(
        {zone.casefold(): zone for zone in available_timezones() if zone not in _NOT_ZONES}
    )
    return names


@cache
def _by_city() -> dict[str, str]:
    """A zone's city ("buenos aires"), casefolded, to its zone. Where old and new names share a
    city (America/Buenos_Aires, America/Argentina/Buenos_Aires) they are one zone: the longer,
    more specific name is kept."""
    cities: dict[str, str] = {}
    for zone in sorted(available_timezones(), key=lambda z: (len(z), z)):
        if "/" in zone and not zone.startswith(_NOT_CITIES):
            cities[zone.rsplit("/", 1)[-1].replace("_", " ").casefold()] = zone
    return cities


def read_zone(text: str) -> str:
    """The IANA zone ``text`` names; a ValueError that says what to write otherwise."""
    cleaned = " ".join(text.split())
    key = cleaned.casefold()
    zone = _by_name().get(key) or _by_city().get(key.replace("_", " "))
    if zone is not None:
        return zone
    if _OFFSET.fullmatch(cleaned):
        raise ValueError(
            f"{text!r} is a fixed offset, which ignores daylight saving time: write the zone "
            f"of a city, e.g. Europe/Berlin or Berlin"
        )
    cities = _by_city()
    city = key.rsplit("/", 1)[-1].replace("_", " ")
    near = process.extractOne(city, list(cities), scorer=fuzz.ratio, score_cutoff=80)
    hint = f"; did you mean {cities[near[0]]}?" if near else f" (expected {EXAMPLE})"
    raise ValueError(f"unknown timezone {text!r}{hint}")
