"""Tests for the plain-text edition importer (portal.importing.formats.plaintext)."""

# The typography of real editions (curly quotes, en dashes) is what these strings test.
# ruff: noqa: RUF001

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from portal.editions.records import EditionFileError, EditionRecord, LinkRecord, Problem
from portal.importing.formats.plaintext import parse_plaintext
from tests.conftest import FIXTURES as FIXTURES_ROOT
from tests.conftest import SEED

FIXTURES = FIXTURES_ROOT / "plaintext"
PATH = Path("edition.txt")


def read(path: Path) -> str:
    """Return a file's text exactly as written (read_text would translate CRLF)."""
    return path.read_bytes().decode("utf-8")


def parse(text: str, date: dt.date | None = None) -> EditionRecord:
    return parse_plaintext(text, PATH, date).record


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(EditionFileError) as caught:
        parse_plaintext(text, PATH)
    assert caught.value.problems, "an EditionFileError must carry at least one problem"
    return caught.value.problems


def assert_problem(text: str, line: int, fragment: str) -> None:
    found = problems_of(text)
    assert any(p.line == line and fragment in p.message for p in found), found


# A small, complete edition: one block per line, a blank line between blocks, so
# block k stands on line 2k + 1. Replacing a block with "" blanks its line and keeps
# every other line number where it was.
MINIMAL = (
    "PRODUCTHEAD: Roadmaps are not release plans",  # 1
    "PRODUCTHEAD is a regular newsletter of product management goodness.",  # 3
    "A roadmap communicates intent, not dates",  # 5
    "a favour: please share this with other product people",  # 7
    "every PRODUCTHEAD edition is online for you to refer back to",  # 9
    "Most roadmaps I review are release plans in disguise.",  # 11
    "Speak to you soon,",  # 13
    "what to think about this week",  # 15
    "Outcome-based roadmaps",  # 17
    "Teams that plan around outcomes spend less time renegotiating dates.",  # 19
    "From features to outcomes",  # 21
    "[Dana Whitfield / Roadmap Weekly]",  # 23
    "Why your roadmap needs a horizon",  # 25
    "Now, next, later: three horizons, each less certain than the last.",  # 27
    "Three horizons",  # 29
    "[Roadmap Weekly]",  # 31
    "recent posts",  # 33
    "The agency trap",  # 35
    "Product company or agency?",  # 37
    "[I Manage Products]",  # 39
    "can we help you?",  # 41
    "Leave a Reply",  # 43
)


def edition(changes: dict[int, str] | None = None) -> str:
    """Return MINIMAL as text, with some blocks (by index) replaced."""
    blocks = [(changes or {}).get(index, block) for index, block in enumerate(MINIMAL)]
    return "\n\n".join(blocks) + "\n"


MINIMAL_RECORD = EditionRecord(
    slug="roadmaps-are-not-release-plans",
    title="Roadmaps are not release plans",
    date=None,
    highlights=("A roadmap communicates intent, not dates",),
    intro=("Most roadmaps I review are release plans in disguise.",),
    curated=(
        LinkRecord(
            headline="Outcome-based roadmaps",
            blurb=("Teams that plan around outcomes spend less time renegotiating dates.",),
            link_text="From features to outcomes",
            source="Roadmap Weekly",
            author="Dana Whitfield",
        ),
        LinkRecord(
            headline="Why your roadmap needs a horizon",
            blurb=("Now, next, later: three horizons, each less certain than the last.",),
            link_text="Three horizons",
            source="Roadmap Weekly",
        ),
    ),
    recent_posts=(
        LinkRecord(
            headline="The agency trap",
            blurb=(),
            link_text="Product company or agency?",
            source="I Manage Products",
        ),
    ),
)


def test_minimal_edition_parses_to_the_expected_record() -> None:
    parsed = parse_plaintext(edition(), PATH)
    assert parsed.path == PATH
    assert parsed.record == MINIMAL_RECORD


# --- the seed edition ----------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> EditionRecord:
    return parse_plaintext(read(SEED), SEED).record


def test_seed_title_slug_and_date(seed: EditionRecord) -> None:
    assert seed.title == "Will platforms conquer the world?"
    assert seed.slug == "will-platforms-conquer-the-world"
    assert seed.date is None
    assert seed.themes == ()


def test_seed_highlights(seed: EditionRecord) -> None:
    assert seed.highlights == (
        "In solving their own internal scaling problem, Amazon inadvertently created the "
        "building blocks for the AWS platform",
        "Stripe’s founders didn’t shy away from tackling an unattractively difficult problem",
        "Platforms connect different sides of a market, even if they have dramatically "
        "different needs and capabilities",
        "Twilio’s founder prioritised the developers who’d implement his API, not the "
        "managers who’d pay for it",
    )


def test_seed_intro(seed: EditionRecord) -> None:
    assert len(seed.intro) == 5
    assert seed.intro[0] == (
        "I recently participated in a lively panel discussion for, which posed the question "
        "“Will platforms conquer the world?” (I’ll post up the video when it’s available.)"
    )
    assert seed.intro[1] == "My view? They already have."
    assert seed.intro[2].startswith("Almost every aspect of our lives relies on")
    assert "marques — Hyundai, Kia and Genesis — don’t" in seed.intro[3]
    assert seed.intro[4].startswith("In preparation for a longer article I’ll publish soon")
    assert seed.intro[4].endswith("Don’t forget to subscribe to be the first to read it.")
    assert not any("Speak to you soon" in paragraph for paragraph in seed.intro)


# The seed README's tables: (section, position, headline, link text, author, publication).
# fmt: off
SEED_LINKS = [
    ("curated", 0, "How AWS came to be",
     "A struggle with internal scaling", "Ron Miller", "TechCrunch"),
    ("curated", 1,
     "The untold story of Stripe, the secretive $20bn startup driving Apple, Amazon and Facebook",
     "402 Payment Required", "Stephen Armstrong", "WIRED"),
    ("curated", 2, "Stripe: platform of platforms",
     "The power of platforms", "Ben Thompson", "Stratechery"),
    ("curated", 3, "The insider story of Twilio",
     "Summary article / Full podcast episode", "Pete Flint", "NfX"),
    ("recent_posts", 0, "An exercise in stakeholder alignment",
     "A practical exercise you can run", None, "I Manage Products"),
    ("recent_posts", 1, "The 4 unintended side-effects of risk aversion and what to do about them",
     "It’s all about the safety net", None, "I Manage Products"),
    ("recent_posts", 2, "The agency trap",
     "Product company or agency?", None, "I Manage Products"),
]
# fmt: on


@pytest.mark.parametrize(
    ("section", "index", "headline", "link_text", "author", "source"), SEED_LINKS
)
def test_seed_links_match_the_readme(
    seed: EditionRecord,
    section: str,
    index: int,
    headline: str,
    link_text: str,
    author: str | None,
    source: str,
) -> None:
    links: tuple[LinkRecord, ...] = getattr(seed, section)
    link = links[index]
    assert (link.headline, link.link_text, link.author, link.source) == (
        headline,
        link_text,
        author,
        source,
    )
    assert link.url is None
    assert link.themes == ()
    assert link.blurb, "every seed link has a blurb"


def test_seed_link_counts(seed: EditionRecord) -> None:
    assert len(seed.curated) == 4
    assert len(seed.recent_posts) == 3


def test_seed_twilio_blurb_has_three_paragraphs_starting_with_the_quotation(
    seed: EditionRecord,
) -> None:
    blurb = seed.curated[3].blurb
    assert len(blurb) == 3
    assert blurb[0] == (
        "“The dirty secret of every startup ever is that when you look at companies with these "
        "big, world-changing missions … those are usually retroactively put in place.”"
    )
    assert blurb[1].startswith("Jeff Lawson took Twilio from an idea")
    assert blurb[2] == "This is the insider story of Twilio."


def test_seed_single_paragraph_blurbs(seed: EditionRecord) -> None:
    assert seed.curated[1].blurb == (
        "Patrick and John Collison have democratised online payments – and reshaped the "
        "digital economy in the process.",
    )
    assert seed.recent_posts[2].blurb[0].endswith("Spoiler alert: not easily")


def test_seed_with_a_date_argument() -> None:
    record = parse_plaintext(read(SEED), SEED, dt.date(2021, 6, 7)).record
    assert record.date == dt.date(2021, 6, 7)


# --- realistic variants ------------------------------------------------------------

# (file, title, highlights, intro paragraphs, curated headlines, recent post headlines)
# fmt: off
FIXTURE_EXPECTATIONS = [
    ("six_curated_links.txt", "Why your roadmap is not a release plan", 3, 3,
     ["Roadmaps are not release plans", "The case for outcome-based roadmaps", "Now, next, later",
      "How to say no to the HiPPO", "Why dates on roadmaps are a trap",
      "Roadmapping at scale: lessons from a 400-engineer organisation"],
     ["Why your product strategy needs a point of view",
      "Stop writing requirements, start writing problems"]),
    ("no_recent_posts.txt", "Talking to customers is a habit, not a project", 2, 2,
     ["Continuous discovery habits", "Automate your interview recruiting",
      "The mom test, revisited", "Synthesising interviews without drowning in sticky notes"],
     []),
    ("two_paragraph_blurb.txt", "Pricing is a product decision", 2, 2,
     ["Who should own pricing?", "Researching willingness to pay", "Packaging is pricing",
      "The pricing page teardown"],
     ["Pricing experiments you can run this quarter"]),
    ("source_without_author.txt", "OKRs without the theatre", 2, 2,
     ["Writing objectives that inspire", "Why your key results are really tasks",
      "Experiments as key results"],
     ["The OKR health check"]),
    ("typography.txt", "Onboarding – the first five minutes", 2, 2,
     ["The first five minutes", "Time to value, not time on site", "Empty states are onboarding"],
     ["Why your welcome tour isn’t working"]),
    ("crlf.txt", "Technical debt is a product problem", 2, 2,
     ["Technical debt is a product decision", "Making debt visible", "The 20 percent rule"],
     ["When to rewrite, and when to refactor"]),
    ("dated.txt", "Discovery is never done", 2, 2,
     ["Dual-track agile in practice", "Post-launch discovery"],
     ["Assumptions have a shelf life"]),
    ("hard_wrapped.txt", "Hiring your first product manager, and what to expect from them", 2, 2,
     ["What your first product manager should actually do in their first ninety days at a "
      "growing startup", "Interviewing product managers"],
     ["Do you need a product manager yet?"]),
]
# fmt: on


def fixture(name: str) -> EditionRecord:
    path = FIXTURES / name
    return parse_plaintext(read(path), path).record


@pytest.mark.parametrize(
    ("name", "title", "highlights", "intro", "curated", "recent"), FIXTURE_EXPECTATIONS
)
def test_fixture_shape(
    name: str, title: str, highlights: int, intro: int, curated: list[str], recent: list[str]
) -> None:
    record = fixture(name)
    assert record.title == title
    assert (len(record.highlights), len(record.intro)) == (highlights, intro)
    assert [link.headline for link in record.curated] == curated
    assert [link.headline for link in record.recent_posts] == recent
    assert all(link.source == "I Manage Products" for link in record.recent_posts)
    assert all(link.author is None for link in record.recent_posts)
    assert all(link.url is None and link.themes == () for _, _, link in record.links())


def test_six_curated_links_authors_and_sources() -> None:
    record = fixture("six_curated_links.txt")
    assert [(link.author, link.source) for link in record.curated] == [
        ("Maya Lindqvist", "Product Field Notes"),
        ("Tomás Herrera", "The Outcome Letter"),
        ("Priya Natarajan", "Roadmap Weekly"),
        ("Grace Okafor", "Stakeholder Craft"),
        ("Daniel Moreau", "Build Measure Ship"),
        ("Hannah Berg", "Scaling Product"),
    ]
    assert record.curated[2].link_text == "A roadmap format that admits uncertainty"
    assert record.highlights[2] == (
        "The Now / Next / Later format makes uncertainty visible instead of hiding it"
    )


def test_no_recent_posts_section() -> None:
    record = fixture("no_recent_posts.txt")
    assert record.recent_posts == ()
    last = record.curated[-1]
    assert (last.link_text, last.author, last.source) == (
        "Lightweight synthesis",
        "Clara Nguyen",
        "Discovery Matters",
    )


def test_two_paragraph_blurb_and_a_link_without_blurb() -> None:
    record = fixture("two_paragraph_blurb.txt")
    pricing = record.curated[1]
    assert pricing.blurb == (
        "Asking customers what they would pay is the least reliable way to find out what they "
        "would pay.",
        "Instead, use techniques such as Van Westendorp or conjoint analysis, and validate "
        "with real purchase behaviour.",
    )
    assert pricing.link_text == "Beyond “what would you pay?”"
    assert (pricing.author, pricing.source) == ("Marcus Feld", "Pricing Lab")
    teardown = record.curated[3]
    assert teardown.blurb == ()
    assert (teardown.link_text, teardown.author) == (
        "Twelve pricing pages, annotated",
        "Jon Whitaker",
    )


def test_source_without_author() -> None:
    record = fixture("source_without_author.txt")
    assert [(link.author, link.source) for link in record.curated] == [
        ("Lena Vogel", "Goals & Outcomes"),
        (None, "Product Field Notes"),
        # Only a slash with spaces around it separates author from publication.
        ("Ines Duarte", "A/B Testing Quarterly"),
    ]


def test_typography_is_kept_and_spaces_normalised() -> None:
    raw = read(FIXTURES / "typography.txt")
    assert raw.startswith("\ufeff")
    assert all(char in raw for char in "\u00a0\u202f\u2007\u200b–—“”’…")
    record = fixture("typography.txt")
    texts = [record.title, *record.highlights, *record.intro]
    for _, _, link in record.links():
        texts += [link.headline, *link.blurb, link.link_text, link.source, link.author or ""]
    for unwanted in ("\u00a0", "\u202f", "\u2007", "\u200b", "\ufeff", "  "):
        assert not any(unwanted in text for text in texts), repr(unwanted)
    assert record.slug == "onboarding-the-first-five-minutes"
    assert record.highlights == (
        "New users decide whether your product is worth learning within minutes – "
        "sometimes seconds",
        "“Time to value” is the onboarding metric that matters most",
    )
    assert record.intro[1] == (
        "Onboarding isn’t a tour – it’s the shortest path to the moment a new user thinks "
        "“oh, this is useful”…"
    )
    first, second, third = record.curated
    assert first.blurb[0].startswith("“Most users never come back after their first session. The")
    assert (first.link_text, first.author, first.source) == (
        "Onboarding teardowns",
        "Léa Fontaine",
        "Onboarding Digest",
    )
    assert second.author == "Kwame Mensah – Product Analyst"
    assert "you’ve lost them — whatever" in second.blurb[0]
    assert third.author == "Ruth O’Connell"


def test_crlf_fixture_really_has_crlf_and_parses_like_lf() -> None:
    raw = (FIXTURES / "crlf.txt").read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") > 50
    text = raw.decode("utf-8")
    assert parse(text) == parse(text.replace("\r\n", "\n"))
    assert parse(text) == parse(text.replace("\r\n", "\r"))
    record = parse(text)
    assert [(link.author, link.source) for link in record.curated] == [
        ("Nadia Petrova", "Engineering for Product People"),
        ("Sam Okoro", "Delivery Notes"),
        (None, "Delivery Notes"),
    ]


def test_fixture_gitattributes_keeps_line_endings() -> None:
    assert "*.txt -text" in (FIXTURES / ".gitattributes").read_text().splitlines()


def test_date_in_the_header() -> None:
    record = fixture("dated.txt")
    assert record.date == dt.date(2021, 6, 14)
    assert "Monday 14 June 2021" not in record.highlights
    assert record.highlights[0].startswith("Discovery continues after launch")


def test_hard_wrapped_blocks_are_joined() -> None:
    record = fixture("hard_wrapped.txt")
    assert record.highlights[0] == (
        "Your first product manager should be a generalist who is comfortable with ambiguity "
        "and can work without a playbook"
    )
    assert record.intro[0] == (
        "Founders often ask me when they should hire their first product manager, and what "
        "that person should actually do all day."
    )
    first = record.curated[0]
    assert first.blurb == (
        "The first product manager inherits a product that lives mostly in the founders’ "
        "heads. Their first job is to get it onto paper and into the team’s hands.",
    )
    assert (first.link_text, first.author, first.source) == (
        "The first ninety days",
        "Samira Haddad",
        "The Hiring Loop",
    )


# --- dates -------------------------------------------------------------------------

DATE_FORMS = [
    "2021-06-07",
    "7 June 2021",
    "7th June 2021",
    "June 7, 2021",
    "Monday 7 June 2021",
    "Monday, June 7, 2021",
    "7 Jun 2021",
    "Mon 7 Jun 2021",
    "MONDAY 7 JUNE 2021",
    "june 7th, 2021",
]


@pytest.mark.parametrize("form", DATE_FORMS)
def test_date_forms(form: str) -> None:
    record = parse(edition({1: form}))
    assert record.date == dt.date(2021, 6, 7)
    assert record.highlights == MINIMAL_RECORD.highlights


@pytest.mark.parametrize("form", ["7 June 2021", "2021-06-07"])
def test_date_after_the_boilerplate_but_before_the_intro(form: str) -> None:
    record = parse(edition({4: f"every PRODUCTHEAD edition is online\n\n{form}"}))
    assert record.date == dt.date(2021, 6, 7)
    assert record.intro == MINIMAL_RECORD.intro


@pytest.mark.parametrize("text", ["Chapter 7 June 2021", "7 Juneteenth 2021", "Top 10 of 2021"])
def test_date_lookalikes_stay_highlights(text: str) -> None:
    record = parse(edition({1: text}))
    assert record.date is None
    assert record.highlights == (text, *MINIMAL_RECORD.highlights)


def test_date_argument_used_when_the_text_has_none() -> None:
    assert parse(edition(), dt.date(2020, 1, 2)).date == dt.date(2020, 1, 2)
    assert parse(edition()).date is None


def test_date_argument_ignored_when_the_text_has_one() -> None:
    assert parse(edition({1: "7 June 2021"}), dt.date(2020, 1, 2)).date == dt.date(2021, 6, 7)
    path = FIXTURES / "dated.txt"
    dated = parse_plaintext(read(path), path, dt.date(2020, 1, 2)).record
    assert dated.date == dt.date(2021, 6, 14)


# --- variations the rules allow ----------------------------------------------------


@pytest.mark.parametrize(
    "title_line",
    [
        "\ufeffPRODUCTHEAD: Roadmaps are not release plans",
        "PRODUCTHEAD:\u00a0Roadmaps  are\u202fnot\u2007release\tplans",
        "PRODUCTHEAD – Roadmaps are not\u200b release plans",
        "PRODUCTHEAD — Roadmaps are not release plans",
        "PRODUCTHEAD - Roadmaps are not release plans",
        "PRODUCTHEAD: Roadmaps are not\nrelease plans",
    ],
)
def test_title_prefix_and_normalisation(title_line: str) -> None:
    assert parse(edition({0: title_line})) == MINIMAL_RECORD


def test_repeated_title_and_page_chrome_before_it_are_dropped() -> None:
    text = "Skip to content\n\n" + edition({0: f"{MINIMAL[0]}\n\n{MINIMAL[0]}"})
    assert parse(text) == MINIMAL_RECORD


@pytest.mark.parametrize(
    ("index", "variant"),
    [
        (1, "producthead is a weekly newsletter, curated by Jock Busuttil."),
        (3, "A favor: please share this with other product people"),
        (6, "Talk to you soon"),
        (6, "Until next time!"),
        (6, "speak soon."),
        (6, "SPEAK TO YOU SOON"),
        (7, "What to think about this week:"),
        (16, "Recent Posts:"),
        (20, "Read more from Jock"),
        (20, "Leave a Reply"),
        (20, "Product People is a product management services company. We can help."),
    ],
)
def test_boilerplate_sign_off_heading_and_footer_variants(index: int, variant: str) -> None:
    assert parse(edition({index: variant})) == MINIMAL_RECORD


def test_missing_sign_off_ends_the_intro_at_the_heading() -> None:
    assert parse(edition({6: ""})) == MINIMAL_RECORD


def test_missing_footer_is_allowed() -> None:
    assert parse(edition({20: "", 21: ""})) == MINIMAL_RECORD


def test_missing_recent_posts_section_is_allowed() -> None:
    record = parse(edition({16: "", 17: "", 18: "", 19: ""}))
    assert record.recent_posts == ()
    assert record.curated == MINIMAL_RECORD.curated


def test_zero_highlights_are_allowed() -> None:
    assert parse(edition({2: ""})).highlights == ()


def test_footer_content_is_dropped() -> None:
    extra = "can we help you?\n\nSome footer text\n\n[Not a source]\n\nrecent posts"
    assert parse(edition({20: extra})) == MINIMAL_RECORD


# --- malformed texts ---------------------------------------------------------------

# (id, text, line the problem is reported on, fragment of its message)
# fmt: off
MALFORMED = [
    ("no-title", edition({0: ""}), 1, "no title"),
    ("empty-title", edition({0: "PRODUCTHEAD: ???"}), 1, "no usable title"),
    ("no-boilerplate", edition({3: "", 4: ""}), 5,
     "no 'a favour: …' or 'every PRODUCTHEAD edition is online …' line"),
    ("no-intro", edition({5: ""}), 13, "no intro"),
    ("no-intro-no-sign-off", edition({5: "", 6: ""}), 15, "no intro"),
    # The heading belongs where the text after the sign-off starts.
    ("no-curated-heading", edition({7: ""}), 17, "no 'what to think about this week' heading line"),
    ("source-missing-mid-section", edition({11: ""}), 17,
     "link 'Outcome-based roadmaps' has no source line like [Author / Publication] before "
     "the next headline 'Why your roadmap needs a horizon'"),
    ("source-missing-mid-section-no-blurbs", edition({9: "", 11: "", 13: ""}), 17,
     "link 'Outcome-based roadmaps' has no source line"),
    ("source-missing-end-of-curated", edition({15: ""}), 25,
     "link 'Why your roadmap needs a horizon' has no source line like [Author / Publication] "
     "before the 'recent posts' heading"),
    ("source-missing-end-of-recent", edition({19: ""}), 35,
     "link 'The agency trap' has no source line like [Author / Publication] before the footer"),
    ("source-missing-end-of-text", edition({19: "", 20: "", 21: ""}), 35,
     "before the end of the text"),
    ("source-slash-only", edition({11: "[ / ]"}), 23, "no publication in '[ / ]'"),
    ("source-empty", edition({11: "[]"}), 23, "no publication in '[]'"),
    ("source-author-only", edition({11: "[Dana Whitfield /]"}), 23, "no publication"),
    ("source-unclosed", edition({11: "[Dana Whitfield / Roadmap Weekly"}), 23,
     "does not end with ']'"),
    ("blurb-but-no-link-text", edition({10: ""}), 17,
     "link 'Outcome-based roadmaps' has no link text"),
    ("headline-then-source", edition({9: "", 10: ""}), 17, "has no link text"),
    ("no-headline", edition({8: ""}), 19, "no headline"),
    ("two-sources", edition({12: "[Roadmap Weekly]"}), 25, "has no headline before it"),
    ("impossible-date", edition({1: "31 February 2021"}), 3, "impossible date"),
    ("impossible-month", edition({1: "2021-13-01"}), 3, "impossible date"),
    ("wrong-weekday", edition({1: "Tuesday 7 June 2021"}), 3, "wrong weekday"),
    ("two-dates", edition({1: "7 June 2021", 2: "8 June 2021"}), 5, "second date"),
    ("two-titles", edition({1: "PRODUCTHEAD: Something else"}), 3, "second title"),
    ("empty-recent", edition({17: "", 18: "", 19: ""}), 33, "no links under 'recent posts'"),
    ("empty-curated", edition(dict.fromkeys(range(8, 16), "")), 15,
     "no links under 'what to think about this week'"),
    ("text-after-sign-off", edition({6: "Speak to you soon,\n\nJock"}), 15,
     "unexpected text 'Jock' after the sign-off"),
    ("empty-text", "", 1, "no title"),
    ("whitespace-only", " \n\t\n\u00a0\n\u200b\n", 1, "no title"),
    ("only-a-title", "PRODUCTHEAD: Only a title\n", 1, "every PRODUCTHEAD edition"),
    ("binary-junk-latin-1", bytes(range(256)).decode("latin-1") * 3, 1, "no title"),
    ("binary-junk", "\x00\x01\x02\ufffd\x7f\n\n\x1b[31m\udcff\n\n[\n]\n\n/", 1, "no title"),
]
# fmt: on


@pytest.mark.parametrize(
    ("text", "line", "fragment"), [pytest.param(*case[1:], id=case[0]) for case in MALFORMED]
)
def test_malformed_texts_are_reported(text: str, line: int, fragment: str) -> None:
    assert_problem(text, line, fragment)


def test_every_problem_is_reported_not_only_the_first() -> None:
    found = problems_of(edition({0: "", 11: "", 19: ""}))
    assert [problem.line for problem in found] == [1, 17, 35]
    assert all(problem.path == PATH for problem in found)


def test_missing_curated_heading_is_one_problem_not_one_per_link() -> None:
    found = problems_of(edition({7: ""}))
    assert [(p.line, p.message) for p in found] == [
        (17, "no 'what to think about this week' heading line")
    ]


def test_missing_curated_heading_and_sign_off_is_reported_where_the_front_ends() -> None:
    # Without a sign-off the links read as intro, up to the recent posts heading.
    assert_problem(edition({6: "", 7: ""}), 33, "no 'what to think about this week' heading")


def test_problems_name_the_file() -> None:
    with pytest.raises(EditionFileError) as caught:
        parse_plaintext("", Path("archive/2021/broken.txt"))
    assert str(caught.value).startswith("archive/2021/broken.txt:1: no title")


def test_bytes_are_reported_not_raised_as_type_errors() -> None:
    with pytest.raises(EditionFileError):
        parse_plaintext(b"PRODUCTHEAD: bytes", PATH)  # type: ignore[arg-type]


# --- line numbers refer to the original text ----------------------------------------


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_numbers_with_any_line_ending(newline: str) -> None:
    text = edition({11: ""}).replace("\n", newline)
    assert_problem(text, 17, "link 'Outcome-based roadmaps' has no source line")


def test_line_numbers_after_wrapped_lines() -> None:
    wrapped = "Most roadmaps I review\nare release plans\nin disguise."
    text = edition({5: wrapped, 11: ""}).replace("\n", "\r\n")
    assert_problem(text, 19, "link 'Outcome-based roadmaps' has no source line")
    assert parse(edition({5: wrapped})).intro == MINIMAL_RECORD.intro


def test_line_numbers_in_the_crlf_fixture() -> None:
    lines = read(FIXTURES / "crlf.txt").split("\r\n")
    assert lines[41] == "[Sam Okoro / Delivery Notes]"
    lines[41] = ""
    assert_problem("\r\n".join(lines), 36, "link 'Making debt visible' has no source line")


def test_line_numbers_in_the_hard_wrapped_fixture() -> None:
    lines = read(FIXTURES / "hard_wrapped.txt").split("\n")
    assert lines[42:44] == ["[Samira Haddad /", "The Hiring Loop]"]
    lines[42:44] = ["", ""]
    assert_problem("\n".join(lines), 34, "link 'What your first product manager")


# --- robustness --------------------------------------------------------------------

JUNK_PIECES = [
    "\n", "\r", "\r\n", " ", "[", "]", " / ", "a", "\x00", "\ufeff", "\u200b", "\u00a0",
    MINIMAL[0], MINIMAL[3], MINIMAL[6], MINIMAL[7], MINIMAL[16], MINIMAL[20],
    "31 February 2021", "Monday 7 June 2021", "[I Manage Products]", "[ / ]",
]  # fmt: skip


def mutations(count: int) -> list[str]:
    """Return seeded random texts: junk, and the seed edition with lines cut or repeated."""
    rng = random.Random(20210607)
    seed_lines = read(SEED).split("\n")
    texts = []
    for _ in range(count):
        texts.append("".join(rng.choice(JUNK_PIECES) for _ in range(rng.randint(0, 40))))
        texts.append("".join(chr(rng.randint(0, 0x2FFF)) for _ in range(rng.randint(0, 200))))
        lines = seed_lines[:]
        for _ in range(rng.randint(1, 4)):
            where = rng.randrange(len(lines))
            if rng.random() < 0.5:
                del lines[where]
            else:
                lines.insert(where, rng.choice(lines))
        texts.append("\n".join(lines))
    return texts


def test_any_text_parses_or_raises_edition_file_error_with_lines_in_range() -> None:
    for text in mutations(150):
        last_line = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
        try:
            parse_plaintext(text, PATH)
        except EditionFileError as error:
            assert error.problems
            assert all(1 <= problem.line <= last_line for problem in error.problems), text
