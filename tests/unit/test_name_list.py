"""A head's name search runs over the whole book at once (one regex pass over the keys joined):
it finds exactly the names a plain scan finds, in the same order, whatever the query holds; its
fuzzy scores are exactly those of rapidfuzz's scorers, name by name; and the best few of a big
list, found by scoring only the names whose bound could reach them, are exactly the best few
scoring every name finds."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from bot.services.fuzzy import SUGGESTION_MIN, CharCounts, best_scores, fuzzy_scores
from bot.services.name_index import BIG_LIST_FROM, NameList
from storage.keys import name_key

WORDS = [
    "acme",
    "a.c",
    "(c)",
    "corp",
    "n+1",
    "ltd",
    "café",
    "o'neil",
    "[x]",
    "*",
    "nordic",
    "no. 24",
]


def book(size: int, seed: int = 7) -> NameList:
    pick = random.Random(seed)
    names = []
    for n in range(size):
        name = " ".join(pick.choices(WORDS, k=pick.randint(1, 4))) + f" {n % 97}"
        names.append((n + 1, name, name_key(name), 1, None))
    return NameList(names)


BIG = book(BIG_LIST_FROM + 1500)
SMALL = book(400, seed=3)
NAMES = list(BIG)
PARTS = st.sampled_from(WORDS) | st.text(alphabet="acmeno. +*()[]'24", min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(part=PARTS)
def test_the_one_pass_search_finds_what_a_scan_finds(part: str) -> None:
    key = name_key(part) or part
    assert BIG.containing(key) == [n for n in NAMES if key in n.key]


@settings(max_examples=60, deadline=None)
@given(part=PARTS, count=st.integers(1, 6))
def test_the_first_few_containing_a_text_are_those_of_the_sorted_scan(
    part: str, count: int
) -> None:
    """What `find_account` shows for a partial name: the first few by key then id, on a big
    list (searched in one pass) as on a small one."""
    key = name_key(part) or part
    for names in (BIG, SMALL):
        scanned = sorted((n for n in names if key in n.key), key=lambda n: (n.key, n.id))
        assert names.first_containing(key, count) == scanned[:count]


def test_a_text_at_the_edges_of_keys_matches_once_and_never_across_two() -> None:
    first, last = NAMES[0], NAMES[-1]
    assert first in BIG.containing(first.key[:3]) and last in BIG.containing(last.key[-3:])
    across = NAMES[0].key[-2:] + NAMES[1].key[:2]  # the end of one and start of the next
    assert BIG.containing(across) == [n for n in NAMES if across in n.key]
    hits = BIG.containing("acme")
    assert len(hits) == len({n.id for n in hits})  # a key holding it twice is listed once


QUERIES = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join) | st.text(
    alphabet="acmeno. +*()[]'24ßé", min_size=1, max_size=12
)


def typo(name: str, pick: random.Random) -> str:
    """``name`` with a letter dropped, doubled or swapped with the next, or its words swapped."""
    at = pick.randrange(len(name))
    kind = pick.choice(["drop", "double", "swap", "words"])
    if kind == "drop":
        return name[:at] + name[at + 1 :]
    if kind == "double":
        return name[: at + 1] + name[at:]
    if kind == "swap" and at + 1 < len(name):
        return name[:at] + name[at + 1] + name[at] + name[at + 2 :]
    return " ".join(reversed(name.split()))


@settings(max_examples=40, deadline=None)
@given(query=QUERIES)
def test_every_score_is_rapidfuzzs_own(query: str) -> None:
    """Each name's score is the better of rapidfuzz's ratio and token_sort_ratio."""
    key = name_key(query) or query
    scores = fuzzy_scores(key, BIG.keys)
    expected = {
        index: best
        for index, name in enumerate(NAMES)
        if (best := max(fuzz.ratio(key, name.key), fuzz.token_sort_ratio(key, name.key)))
        >= SUGGESTION_MIN
    }
    assert scores.keys() == expected.keys()
    assert all(abs(scores[i] - expected[i]) < 1e-9 for i in expected)


@settings(max_examples=40, deadline=None)
@given(query=QUERIES)
def test_no_name_scores_above_its_bound(query: str) -> None:
    """The bound that spares scoring most of a big list is never below a name's score."""
    key = name_key(query) or query
    bounds = BIG.char_counts.bounds(key)
    for index, score in fuzzy_scores(key, BIG.keys).items():
        assert bounds[index] >= score - 1e-3, (NAMES[index].key, score, bounds[index])


@settings(max_examples=60, deadline=None)
@given(query=QUERIES, best=st.integers(1, 5))
def test_the_best_of_a_big_list_are_those_scoring_every_name_finds(query: str, best: int) -> None:
    key = name_key(query) or query
    assert best_scores(key, BIG.keys, BIG.char_counts, best=best) == fuzzy_scores(
        key, BIG.keys, best=best
    )


def test_a_typo_of_any_name_finds_what_scoring_every_name_finds() -> None:
    """Misspelt names, as people type them, of names across the list: the same best few, scores
    and ties, as rapidfuzz over every name."""
    pick = random.Random(11)
    for named in pick.sample(NAMES, 150):
        query = name_key(typo(named.name, pick)) or named.key
        found = best_scores(query, BIG.keys, BIG.char_counts, best=3)
        assert found == fuzzy_scores(query, BIG.keys, best=3), query


def test_names_beyond_ascii_are_bounded_too() -> None:
    """Accents, other scripts, emoji and even lone surrogates fall in groups of their own:
    bounds still hold."""
    names = ["Café Noir", "Cafe Noir", "Müller & Söhne", "Straße 9", "東京 Trading", "🚀 Rockets"]
    keys = [name_key(n) for n in names] * 40
    keys.append("broken \udc80 half")  # a lone surrogate, as JSON's "\udc80" decodes to
    counts = CharCounts(keys)
    for query in (
        "cafe noir",
        "muller & sohne",
        "strasse 9",
        "東京 trading",
        "rockets 🚀",
        "\ud800",
    ):
        scores = fuzzy_scores(query, keys)
        bounds = counts.bounds(query)
        assert all(bounds[i] >= s - 1e-3 for i, s in scores.items())
        assert best_scores(query, keys, counts, best=3) == fuzzy_scores(query, keys, best=3)
