"""The demo archive's word bank: enough real words that posting lists have realistic lengths.

Words are drawn with Zipf-like weights (a few common, most rare), as in real prose, so a
search over the demo archive costs what it would over the real one.
"""

from __future__ import annotations

import random
from functools import cache
from itertools import accumulate
from pathlib import Path

NOUNS = """
roadmap strategy stakeholder platform marketplace customer user interview prototype experiment
metric retention churn funnel onboarding pricing packaging tier subscription revenue margin
backlog sprint release launch feature outcome output objective result hypothesis assumption
persona journey segment cohort dashboard analytics signal insight opportunity problem solution
team squad engineer designer researcher manager leader executive founder investor board sponsor
budget forecast estimate deadline milestone dependency risk issue incident outage regression
api integration ecosystem partner developer community network effect moat competitor market
vision mission principle value culture trust feedback review retrospective ritual habit cadence
decision tradeoff priority bet portfolio initiative program project scope requirement specification
story ticket epic theme narrative memo document template framework model canvas map diagram
interface workflow automation tool stack infrastructure architecture debt refactor rewrite migration
support sales marketing growth acquisition activation referral loyalty advocacy brand positioning
message story headline landing page conversion trial freemium contract enterprise procurement
security privacy compliance regulation policy audit governance ethics accessibility inclusion
hiring interviewing onboarding coaching mentoring career promotion feedback performance burnout
agency client consultancy vendor supplier outsourcing offshore contractor freelancer partnership
""".split()
VERBS = """
shapes undermines accelerates reveals hides compounds simplifies complicates rewards punishes
exposes distorts clarifies aligns divides connects measures tracks predicts explains replaces
unlocks blocks delays ships launches tests validates challenges questions supports funds scales
breaks fixes improves reduces increases protects weakens strengthens frames anchors guides drives
""".split()
ADJECTIVES = """
quiet loud hidden obvious fragile robust early late small large internal external remote hybrid
honest vague precise shared scattered continuous quarterly weekly annual strategic tactical lean
costly cheap risky safe modest ambitious pragmatic durable brittle invisible visible noisy calm
subtle bold gradual sudden humble confident curious skeptical generous stubborn patient hasty
""".split()
LINKERS = (
    "for",
    "with",
    "across",
    "inside",
    "beyond",
    "without",
    "around",
    "behind",
    "through",
    "despite",
)
# Content words follow Zipf's law offset by the stop words ahead of them (about 100 ranks):
# the commonest content word is about 0.3% of words, not the 5% that "the" is.
TAIL_OFFSET = 100
BANK_OFFSET = 20


@cache
def tail_words() -> list[str]:
    """Return the long-tail vocabulary: 5,000 real English words, most frequent first."""
    text = (Path(__file__).with_name("vocabulary.txt")).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def _cumulative(count: int, offset: int) -> list[float]:
    return list(accumulate(1 / (rank + offset) for rank in range(count)))


class WordBank:
    """Draws words with Zipf-like frequencies from a seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._weights = {
            name: _cumulative(len(words), BANK_OFFSET) for name, words in self._lists().items()
        }
        self._tail = tail_words()
        self._tail_weights = _cumulative(len(self._tail), TAIL_OFFSET)

    @staticmethod
    def _lists() -> dict[str, list[str]]:
        return {"noun": NOUNS, "verb": VERBS, "adjective": ADJECTIVES}

    def word(self, kind: str) -> str:
        """Return one word of a kind ("noun", "verb" or "adjective")."""
        return self.rng.choices(self._lists()[kind], cum_weights=self._weights[kind])[0]

    def common(self) -> str:
        """Return one word of everyday English, with its real frequency rank."""
        return self.rng.choices(self._tail, cum_weights=self._tail_weights)[0]

    def sentence(self) -> str:
        """Return a sentence: a product-management skeleton filled with everyday words."""
        subject = f"{self.word('adjective')} {self.word('noun')}"
        tail = f"{self.rng.choice(LINKERS)} {self.common()} {self.common()}"
        text = f"{subject} {self.word('verb')} the {self.common()} {self.word('noun')} {tail}"
        return text[0].upper() + text[1:] + "."

    def title(self) -> str:
        """Return a headline-like phrase."""
        forms = (
            "Why {a} {n} {v} the {m}",
            "How {a} {n} {v} {b} {m}",
            "The {a} {n}",
            "{A} {n} and the {m}",
            "What {n} teaches us about {m}",
        )
        adjective, other = self.word("adjective"), self.word("adjective")
        text = self.rng.choice(forms).format(
            a=adjective,
            A=adjective.capitalize(),
            b=other,
            n=self.word("noun"),
            m=self.word("noun"),
            v=self.word("verb"),
        )
        return text[0].upper() + text[1:]
