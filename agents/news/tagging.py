"""Which registry companies an article names, how often, and whether it is about them.

Aliases come from the registry (names and aliases, folded like the text). Latin aliases match
on word boundaries ("aws" in "laws" is not Amazon); Chinese aliases match anywhere, longest
first (阿里巴巴 before 阿里). A company is the *subject* when it is named in the title, or in
the lead with a fair share of the mentions, or holds most mentions; otherwise *mentioned*.

Usage::

    tagger = Tagger(Registry.load())
    tagged = tagger.tag(reader.folded(article), title_length=len(article.title), hint=article.companies)
    tagged.mentions        # (Mention(company='BABA', count=4, role='subject', ...), ...)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from agents.news.lexicon import compile_terms
from agents.news.normalise import Folded, fold
from schemas.company import Registry, RegistryError
from schemas.news import Mention

#: Characters of the body read as the lead paragraph.
LEAD_CHARS = 160
SUBJECT_SHARE = 0.5
LEAD_SHARE = 0.25


@dataclass(frozen=True, slots=True)
class Hit:
    """One alias match in the folded text."""

    start: int
    end: int
    company: str
    alias: str


@dataclass(frozen=True, slots=True)
class Tagged:
    mentions: tuple[Mention, ...]
    hits: tuple[Hit, ...]

    @property
    def subjects(self) -> tuple[str, ...]:
        return tuple(m.company for m in self.mentions if m.role == "subject")


class Tagger:
    """Finds registry companies in folded text; build once per registry."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        # folded alias -> (company id, alias as written in the registry)
        self._aliases: dict[str, tuple[str, str]] = {}
        for company in registry.companies.values():
            for alias in (company.name_zh, company.name_en, *company.aliases):
                key = fold(alias).text.strip()
                if len(key) >= 2:
                    self._aliases.setdefault(key, (company.id, alias))
        self._pattern = compile_terms(self._aliases)

    def tag(self, folded: Folded, *, title_length: int, hint: tuple[str, ...] = ()) -> Tagged:
        hits = tuple(
            Hit(m.start(), m.end(), *self._aliases[m.group()]) for m in self._pattern.finditer(folded.text)
        )
        counts = Counter(hit.company for hit in hits)
        total = sum(counts.values())
        title_end = self._folded_position(folded, title_length)
        lead_end = title_end + LEAD_CHARS
        mentions = []
        for company, count in counts.most_common():
            positions = [hit.start for hit in hits if hit.company == company]
            share = count / total
            in_title = positions[0] < title_end
            in_lead = positions[0] < lead_end
            subject = in_title or share >= SUBJECT_SHARE or (in_lead and share >= LEAD_SHARE)
            aliases = tuple(dict.fromkeys(hit.alias for hit in hits if hit.company == company))
            mentions.append(Mention(company=company, count=count, role="subject" if subject else "mentioned",
                                    aliases=aliases))
        mentions.extend(self._hinted(hint, set(counts)))
        return Tagged(mentions=tuple(mentions), hits=hits)

    def _hinted(self, hint: tuple[str, ...], found: set[str]) -> list[Mention]:
        """The producer's hint adds a company the text names in a way the registry misses."""
        added: dict[str, Mention] = {}
        for name in hint:
            try:
                company = self._registry.get(name).id
            except RegistryError:
                continue  # an unknown hint is the producer's business, not a reason to drop
            if company not in found and company not in added:
                added[company] = Mention(company=company, count=1, role="mentioned", aliases=(f"hint:{name}",))
        return list(added.values())

    @staticmethod
    def _folded_position(folded: Folded, original_position: int) -> int:
        # The title is short and folding barely changes lengths: walk back from the same index.
        position = min(original_position, len(folded.text))
        while position > 0 and folded.original_span(position - 1, position)[0] >= original_position:
            position -= 1
        return position
