"""The reading stage: fold, score relevance, tag companies and extract facts from one article.

Irrelevant articles stop after one regex pass over the folded text (no tagging, no
extraction) and are counted in :attr:`NewsReader.dropped`.

Usage::

    reader = NewsReader(Registry.load())
    reading = reader.read(article)        # ArticleReading(mentions=..., relevance=..., facts=...)
    reader.folded(article)                # the same Folded the reader used (cached per article)
"""

from __future__ import annotations

from collections import OrderedDict

from agents.news.extract import FactExtractor
from agents.news.normalise import Folded, detect_language, fold
from agents.news.relevance import DEFAULT_MIN_RELEVANCE, RelevanceScorer
from agents.news.tagging import Tagger
from schemas.article import Article
from schemas.company import Registry
from schemas.news import ArticleReading

_FOLD_CACHE_SIZE = 256


class NewsReader:
    """One reader per worker; holds compiled patterns and a small fold cache."""

    def __init__(self, registry: Registry, *, min_relevance: float = DEFAULT_MIN_RELEVANCE) -> None:
        self._tagger = Tagger(registry)
        self._scorer = RelevanceScorer(min_relevance=min_relevance)
        self._extractor = FactExtractor(registry)
        # Keyed by id() with the article kept alive next to its Folded, so an id is never reused
        # while its entry exists; bounded so a long-running worker does not grow.
        self._folds: OrderedDict[int, tuple[Article, Folded]] = OrderedDict()
        self.read_count = 0
        self.dropped = 0

    def folded(self, article: Article) -> Folded:
        """The folded text of ``article`` (computed once per article object)."""
        entry = self._folds.get(id(article))
        if entry is not None and entry[0] is article:
            self._folds.move_to_end(id(article))
            return entry[1]
        folded = fold(article.text)
        self._folds[id(article)] = (article, folded)
        if len(self._folds) > _FOLD_CACHE_SIZE:
            self._folds.popitem(last=False)
        return folded

    def read(self, article: Article) -> ArticleReading:
        self.read_count += 1
        if not self._scorer.may_be_relevant(article.text):
            # The cheap path: most of a feed stops here, without folding (microseconds).
            self.dropped += 1
            language = article.language or detect_language(article.text)
            return self._reading(article, language, (), self._scorer.irrelevant(), ())
        folded = self.folded(article)
        language = article.language or detect_language(article.text)
        terms = self._scorer.terms(folded.text)
        if not terms:
            self.dropped += 1
            return self._reading(article, language, (), self._scorer.irrelevant(), ())
        tagged = self._tagger.tag(folded, title_length=len(article.title), hint=article.companies)
        relevance = self._scorer.score(folded.text, tagged.mentions, terms)
        if not relevance.relevant:
            self.dropped += 1
            return self._reading(article, language, tagged.mentions, relevance, ())
        facts = self._extractor.extract(article, folded, tagged)
        return self._reading(article, language, tagged.mentions, relevance, facts)

    @staticmethod
    def _reading(article: Article, language: str, mentions: tuple, relevance: object, facts: tuple) -> ArticleReading:
        return ArticleReading(
            article_id=article.article_id, source=article.source, url=article.url,
            published_at=article.published_at, language=language,  # type: ignore[arg-type]
            mentions=mentions, relevance=relevance, facts=facts,  # type: ignore[arg-type]
        )
