"""A head's name search runs over the whole book at once (one regex pass over the keys joined):
it finds exactly the names a plain scan finds, in the same order, whatever the query holds; and
its fuzzy scores are exactly those of rapidfuzz's scorers, name by name."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from bot.services.lookup import SUGGESTION_MIN, fuzzy_scores
from bot.services.name_index import SEARCH_IN_C_FROM, Named, NameList
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
        names.append(Named(n + 1, name, name_key(name), 1, None))
    return NameList(names)


BIG = book(SEARCH_IN_C_FROM + 1500)
PARTS = st.sampled_from(WORDS) | st.text(alphabet="acmeno. +*()[]'24", min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(part=PARTS)
def test_the_one_pass_search_finds_what_a_scan_finds(part: str) -> None:
    key = name_key(part) or part
    assert BIG.containing(key) == [n for n in BIG.names if key in n.key]


def test_a_text_at_the_edges_of_keys_matches_once_and_never_across_two() -> None:
    first, last = BIG.names[0], BIG.names[-1]
    assert first in BIG.containing(first.key[:3]) and last in BIG.containing(last.key[-3:])
    across = BIG.names[0].key[-2:] + BIG.names[1].key[:2]  # the end of one and start of the next
    assert BIG.containing(across) == [n for n in BIG.names if across in n.key]
    hits = BIG.containing("acme")
    assert len(hits) == len({n.id for n in hits})  # a key holding it twice is listed once


QUERIES = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join) | st.text(
    alphabet="acmeno. +*()[]'24", min_size=1, max_size=12
)


@settings(max_examples=40, deadline=None)
@given(query=QUERIES)
def test_a_big_lists_fuzzy_scores_are_rapidfuzzs_own(query: str) -> None:
    """A big list scores swapped words on its keys' words sorted once; every score is still
    the better of rapidfuzz's ratio and token_sort_ratio, name by name."""
    key = name_key(query) or query
    scores = fuzzy_scores(key, BIG.keys, sorted_keys=BIG.sorted_keys)
    expected = {
        index: best
        for index, name in enumerate(BIG.names)
        if (best := max(fuzz.ratio(key, name.key), fuzz.token_sort_ratio(key, name.key)))
        >= SUGGESTION_MIN
    }
    assert scores.keys() == expected.keys()
    assert all(abs(scores[i] - expected[i]) < 1e-9 for i in expected)
    assert scores == fuzzy_scores(key, BIG.keys)
