"""Word lists and name makers for the generated demo book (see :mod:`bot.demo.book`).

Everything here is invented. Generators take a seeded ``random.Random`` so the same seed
always gives the same names.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

TEAM_WORDS = (
    "Atlas", "Beacon", "Compass", "Delta", "Ember", "Falcon", "Glacier", "Harbor", "Ion",
    "Juniper", "Keystone", "Lumen", "Meridian", "Nimbus", "Orbit", "Pioneer", "Quartz",
    "Radiant", "Summit", "Tundra", "Umber", "Vertex", "Willow", "Zenith",
)  # fmt: skip
TIMEZONES = (
    "Europe/London", "America/New_York", "Asia/Singapore", "Europe/Berlin",
    "America/Los_Angeles", "Australia/Sydney", "Asia/Kolkata", "America/Sao_Paulo",
    "Africa/Johannesburg", "Asia/Tokyo",
)  # fmt: skip
FIRST_NAMES = (
    "Amara", "Ben", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Imani", "Jonas",
    "Kavya", "Liam", "Mei", "Nadia", "Oscar", "Priya", "Quentin", "Rosa", "Samir", "Tess",
    "Umar", "Vera", "Wes", "Ximena", "Yusuf", "Zoe", "Aiden", "Bianca", "Carlos", "Daria",
    "Emeka", "Freya", "Gabriel", "Hana", "Ivan", "Julia", "Kofi", "Lena", "Mateo", "Nora",
    "Olu", "Paula", "Rafael", "Sofia", "Tomas", "Uma", "Viktor", "Wen", "Yara", "Zainab",
)  # fmt: skip
LAST_NAMES = (
    "Adeyemi", "Bergstrom", "Castillo", "Dubois", "Eriksen", "Fontaine", "Gupta", "Haddad",
    "Ishikawa", "Jovanovic", "Kowalski", "Lindqvist", "Mensah", "Nakamura", "Okafor",
    "Petrova", "Quinn", "Rossi", "Schmidt", "Tanaka", "Ueda", "Varga", "Whitaker", "Xu",
    "Yilmaz", "Zhang", "Abbott", "Brennan", "Chen", "Delgado", "Ellison", "Farrell", "Garcia",
    "Hughes", "Iyer", "Jensen", "Kim", "Larsen", "Moreau", "Novak", "Oliveira", "Park",
    "Reyes", "Sato", "Torres", "Underwood", "Vasquez", "Walsh", "Young", "Zimmerman",
)  # fmt: skip
COMPANY_WORDS = (
    "Acme", "Northwind", "Bluefin", "Cobalt", "Driftwood", "Evergreen", "Foxglove", "Granite",
    "Halcyon", "Ironbark", "Jetstream", "Kestrel", "Lighthouse", "Maple", "Nova", "Oakridge",
    "Pinnacle", "Quill", "Redwood", "Silverline", "Tidewater", "Uplift", "Vantage",
    "Westbrook", "Yellowstone", "Zephyr", "Amber", "Brightpath", "Cedar", "Dune", "Echo",
    "Fjord", "Golden Gate", "Hollow Pine", "Indigo", "Juno", "Kite", "Lakeshore", "Mosaic",
    "Nimble", "Orchid", "Pebble", "Riverstone", "Sable", "Trident", "Urban Roots", "Velvet",
    "Wildflower", "Copperleaf", "Starling",
)  # fmt: skip
COMPANY_KINDS = (
    "Logistics", "Robotics", "Analytics", "Foods", "Health", "Labs", "Systems", "Energy",
    "Media", "Capital", "Studios", "Outfitters", "Dynamics", "Freight", "Bakery", "Clinics",
    "Software", "Interiors", "Aerospace", "Biotech", "Consulting", "Dental", "Fitness",
    "Insurance", "Legal", "Marine", "Networks", "Pharma", "Realty", "Security", "Solar",
    "Textiles", "Travel", "Ventures", "Wellness", "Coffee", "Brewing", "Apparel", "Games",
    "Learning",
)  # fmt: skip
COMPANY_QUALIFIERS = ("Group", "International", "Holdings", "Partners", "Europe", "Americas")
# Hand-picked names first: shared words make fuzzy search interesting; the others need
# escaping in chat markup or in SQL LIKE patterns.
CURATED_ACCOUNTS = (
    "Acme Robotics", "Acme Foods", "Northwind Logistics", "Bluefin Analytics",
    "Bits & Bytes <Labs>", "O'Brien & Daughters", "100% Organic Juice Co", "Café Lumière",
)  # fmt: skip
ESCAPING_EXAMPLE = "Bits & Bytes <Labs>"

CHURN_REASONS = (
    "Budget cut after a funding round fell through",
    "Moved lead generation in-house",
    "Results below target for three months in a row",
    "Acquired; the new parent uses another agency",
    "Champion left and the new VP chose a competitor",
    "Paused all outbound while they rebuild the product",
)
RECAPS = (
    "Reviewed last week's results; reply rate is up and the client is happy with lead quality.",
    "Walked through the campaign calendar and agreed on the messaging for the new segment.",
    "Client raised concerns about meeting show-up rate; we agreed to tighten qualification.",
    "Went through the SMART goals again and confirmed the targets for this quarter.",
    "Shared the monthly report; the sponsor asked for a split by industry next time.",
    "Discussed the new ICP and the list of target accounts for the next sprint.",
)
NEXT_STEPS = (
    "Send the updated target list by Friday.",
    "Draft two new email sequences for review.",
    "Book the quarterly review with the exec sponsor.",
    "Share the meeting show-up analysis with the client.",
    "Confirm the new contact for invoicing.",
    "Prepare the renewal numbers and the case for next year.",
)
UPSELL_SPOTTED = (
    "They asked whether we also run LinkedIn outreach.",
    "Marketing lead mentioned they need help with paid social.",
    "Expanding to Germany next quarter; might want a DACH campaign.",
)
UPSELL_SERVICES = (
    "LinkedIn outreach add-on", "Paid social campaign", "Extra SDR seat",
    "Email deliverability audit", "Quarterly content pack", "DACH market expansion",
    "Webinar promotion", "CRM clean-up project",
)  # fmt: skip
DELIVERABLES = (
    "Ideal customer profile document", "Campaign copy v1", "Prospect list (500 contacts)",
    "Monthly performance report", "Landing page draft", "Onboarding questionnaire",
    "A/B test results summary", "Sales handover playbook", "Competitor messaging review",
    "Domain warm-up plan",
)  # fmt: skip
# (kind, summary, who raised it, channel, notes for classify, validate, clarify, ask)
OBJECTIONS = (
    (
        "legitimate",
        "Pricing feels high compared to results so far",
        "Marta Kowalski", "call",
        ("Decision maker, quoting the cost per meeting", "Fair: CPM is 20% above plan",
         "They compare with the first month only", "Which months would they call a success?"),
    ),
    (
        "phantom",
        "New VP of Sales doubts outbound works in their market",
        "Owen Fletcher", "email",
        ("Vague, not backed by numbers", "Understandable after a bad past agency",
         "Worried about brand reputation more than results", "Who else should see the data?"),
    ),
    (
        "legitimate",
        "Lead quality dropped after the ICP change",
        "Aisha Rahman", "meeting",
        ("Backed by their CRM data", "Confirmed: 30% of leads outside the new ICP",
         "Filters were not updated for two sub-industries", "Can we rebuild the list together?"),
    ),
)  # fmt: skip


def team_names(count: int) -> list[str]:
    """``Atlas``, ``Beacon``, … then ``Atlas 2``, ``Beacon 2``, … when the words run out."""
    names = []
    for index in range(count):
        lap, word = divmod(index, len(TEAM_WORDS))
        names.append(f"{TEAM_WORDS[word]} {lap + 1}" if lap else TEAM_WORDS[word])
    return names


def person_names(rng: random.Random) -> Iterator[tuple[str, str]]:
    """Endless ``(full name, email)`` pairs with unique emails (a digit is added if needed)."""
    used: set[str] = set()
    while True:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = f"{first}.{last}".lower()
        email, n = f"{base}@example.com", 1
        while email in used:
            n += 1
            email = f"{base}{n}@example.com"
        used.add(email)
        yield f"{first} {last}", email


def company_names(rng: random.Random, count: int) -> list[str]:
    """``count`` names, unique ignoring case: the curated ones, then shuffled word pairs.

    Pairs run out after a few thousand; then qualified names ("Acme Robotics Group") and,
    past those, numbered ones follow, so any scale gets unique names.
    """
    names = list(CURATED_ACCOUNTS[:count])
    seen = {name.casefold() for name in names}
    pairs = [f"{word} {kind}" for word in COMPANY_WORDS for kind in COMPANY_KINDS]
    rng.shuffle(pairs)
    rounds = ["", *COMPANY_QUALIFIERS]
    round_no = 0
    while len(names) < count:
        suffix = rounds[round_no] if round_no < len(rounds) else f"No. {round_no}"
        for pair in pairs:
            name = f"{pair} {suffix}" if suffix else pair
            if name.casefold() not in seen:
                seen.add(name.casefold())
                names.append(name)
                if len(names) == count:
                    break
        round_no += 1
    return names
