"""Corrections found among the kept spelling words are exactly the ones Whoosh finds on disk."""

from __future__ import annotations

import random
from itertools import product
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.support.levenshtein import distance as edit_distance

from index import suggest
from index.documents import whoosh_documents
from index.storage import live_build
from index.suggest import SpellingWords, corrections
from tests.index.conftest import LIBRARY
from tests.index.test_pinned_results import build


def typos(words: list[str], count: int, seed: int = 5) -> list[str]:
    """Return misspellings of the words: a letter dropped, doubled, swapped or changed."""
    rng = random.Random(seed)
    found = []
    for word in rng.sample([w for w in words if len(w) > 3 and w.isalpha()], count):
        at = rng.randrange(1, len(word) - 1)
        change = rng.choice(("drop", "double", "swap", "other"))
        if change == "drop":
            found.append(word[:at] + word[at + 1 :])
        elif change == "double":
            found.append(word[:at] + word[at] + word[at:])
        elif change == "swap":
            found.append(word[:at] + word[at + 1] + word[at] + word[at + 2 :])
        else:
            found.append(word[:at] + rng.choice("aeioustz") + word[at + 1 :])
    return [*found, "zzyzzx", "qwrtp", "xylophonic"]


@pytest.fixture(scope="module")
def demo_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("suggest") / "index"
    build(folder)
    return folder


@pytest.mark.parametrize("segments", ["one", "several"])
def test_the_same_corrections_as_whoosh(demo_index: Path, segments: str) -> None:
    ix = whoosh_index.open_dir(str(live_build(demo_index)))
    if segments == "several":
        writer = ix.writer()
        for document in whoosh_documents(LIBRARY[0]):
            writer.add_document(**document)
        writer.commit(merge=False)
    with ix.searcher() as searcher:
        assert searcher.reader().is_atomic() == (segments == "one")
        words = SpellingWords().of(("v",), searcher.reader())
        assert len(words) > 1000 and words == sorted(words)
        wrong = typos(words, 90)
        fixed = 0
        for start in range(0, len(wrong), 3):  # three words a query, as corrections takes them
            asked = (*wrong[start : start + 3], words[start * 11])  # and one word it has
            ours = corrections(searcher, asked, lambda: words)
            assert ours == corrections(searcher, asked), asked
            assert asked[-1] not in ours
            fixed += len(ours)
        assert fixed > 60


def test_the_words_are_read_again_for_a_new_version(demo_index: Path) -> None:
    ix = whoosh_index.open_dir(str(live_build(demo_index)))
    spelling = SpellingWords()
    with ix.searcher() as searcher:
        first = spelling.of(("v1",), searcher.reader())
        assert spelling.of(("v1",), searcher.reader()) is first
        assert spelling.of(("v2",), searcher.reader()) is not first


def test_the_nearness_test_is_whoosh_s_edit_distance() -> None:
    """Every pair of words of up to four letters from three, both ways, at distances 0 to 2."""
    words = ["".join(letters) for n in range(5) for letters in product("abc", repeat=n)]
    for word in words:
        for text in words:
            for maxdist in (0, 1, 2):
                expected = edit_distance(word, text, limit=maxdist) <= maxdist
                assert suggest._near(word, text, maxdist) == expected, (word, text, maxdist)
