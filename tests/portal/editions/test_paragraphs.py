"""The stored form of inline links in intro and blurb paragraphs (portal/importing/inline.py)."""

from __future__ import annotations

import pytest

from portal.editions.paragraphs import Run, links, plain_text, runs, write_link, write_runs
from portal.html import paragraph_html


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("plain text", [Run("plain text")]),
        (
            "see [the post](https://a.example/x?y=1&z=2#f).",
            [Run("see "), Run("the post", "https://a.example/x?y=1&z=2#f"), Run(".")],
        ),
        ("[mail](mailto:a@b.example)", [Run("mail", "mailto:a@b.example")]),
        ("[bad](javascript:alert(1))", [Run("[bad](javascript:alert(1))")]),
        ("[data](data:text/html,x)", [Run("[data](data:text/html,x)")]),
        ("old [Ron / X] text (ok)", [Run("old [Ron / X] text (ok)")]),
        (r"escaped \[not](https://a.example) link", [Run("escaped [not](https://a.example) link")]),
        (r"[a \] b](https://w.example/A_\(B\))", [Run("a ] b", "https://w.example/A_(B)")]),
    ],
)
def test_a_paragraph_splits_into_text_and_link_runs(paragraph: str, expected: list[Run]) -> None:
    assert runs(paragraph) == expected


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("a [b] (c)", "https://x.example/p_(q)?r=[s]"),
        ("back\\slash", "http://x.example/"),
        ("m", "mailto:a@b.example"),
    ],
)
def test_a_written_link_reads_back_exactly(text: str, url: str) -> None:
    paragraph = "before " + write_link(text, url) + " after [x]"
    assert links(paragraph) == [(text, url)]
    assert plain_text(paragraph) == f"before {text} after [x]"
    assert write_runs(runs(paragraph)) == write_runs(runs(write_runs(runs(paragraph))))


def test_a_refused_address_is_written_as_its_text_alone() -> None:
    assert write_link("click", "javascript:alert(1)") == "click"


def test_paragraph_html_escapes_text_and_addresses() -> None:
    html = str(paragraph_html('<b>x</b> [a "q"](https://e.example/?a=1&b="2") [j](javascript:x)'))
    assert html == (
        '&lt;b&gt;x&lt;/b&gt; <a href="https://e.example/?a=1&amp;b=&#34;2&#34;">a &#34;q&#34;</a>'
        " [j](javascript:x)"
    )
