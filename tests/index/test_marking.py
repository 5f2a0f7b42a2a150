"""Marking a search's words in text: which words count, and how they are matched and escaped."""

from __future__ import annotations

import pytest

from index import highlight_terms, highlight_words, mark


@pytest.mark.parametrize(
    ("q", "words"),
    [
        ("flywheel economics", ("flywheel", "economics")),
        ('"internal scaling"', ("internal", "scaling")),
        ("stripe OR twilio AND aws", ("stripe", "twilio", "aws")),
        ("stripe -wired", ("stripe",)),
        ("stripe NOT wired", ("stripe",)),
        ('stripe -"payment required"', ("stripe",)),
        ("NOT (wired OR nfx) stripe", ("stripe",)),
        ("-(wired nfx) (stripe OR twilio)", ("stripe", "twilio")),
        ("theme:platforms source:wired author:miller year:2021 in:intro scaling", ("scaling",)),
        ('source:"i manage products" stakeholder', ("stakeholder",)),
        ("author:(miller thompson) aws", ("aws",)),
        ("title:aws", ("title", "aws")),  # not a field of the language: two plain words
        ("dual-track", ("dual", "track")),
        ("Résumé résumé", ("Résumé", "résumé")),
        ("platform platform", ("platform",)),
        ("<script>alert(1)</script>", ("script", "alert", "1")),
        ("   ", ()),
    ],
)
def test_highlight_words_keeps_only_the_wanted_words(q: str, words: tuple[str, ...]) -> None:
    assert highlight_words(q) == words


def test_highlight_words_are_bounded() -> None:
    assert len(highlight_words(" ".join(f"word{n}" for n in range(100)))) == 16
    assert sum(map(len, highlight_words("x" * 5000))) <= 200


@pytest.mark.parametrize(
    ("hl", "text", "marked"),
    [
        ("platform", "Platforms connect sides", "<mark>Platforms</mark> connect sides"),
        ("resume", "Your résumé, rewritten", "Your <mark>résumé</mark>, rewritten"),
        ("RÉSUMÉ", "a resume", "a <mark>resume</mark>"),
        ("scaling", "internal scale problems", "internal <mark>scale</mark> problems"),
        ("the platform", "the platform", "the <mark>platform</mark>"),  # stop words: never
        ("stripe -amazon", "Stripe and Amazon", "<mark>Stripe</mark> and Amazon"),
        ("stripe", "Stripe\u2019s founders", "<mark>Stripe</mark>\u2019s founders"),
        (
            "script",
            'a <script>x("y")</script>',
            "a &lt;<mark>script</mark>&gt;x(&quot;y&quot;)&lt;/<mark>script</mark>&gt;",
        ),
        ("mark", "<mark>", "&lt;<mark>mark</mark>&gt;"),
        ("", "<b>bold</b> & co", "&lt;b&gt;bold&lt;/b&gt; &amp; co"),
    ],
)
def test_mark_matches_like_the_index_and_escapes_everything(
    hl: str, text: str, marked: str
) -> None:
    assert mark(text, highlight_terms(hl)) == marked


def test_an_unwanted_field_or_operator_marks_nothing() -> None:
    assert highlight_terms("theme:platforms OR NOT stripe") == frozenset()
