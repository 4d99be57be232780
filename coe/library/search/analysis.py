"""How text becomes index terms: the analyser and the schema."""

from __future__ import annotations

import functools

from whoosh.analysis import STOP_WORDS, Token, Tokenizer
from whoosh.analysis.tokenizers import default_pattern
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, TEXT, Schema
from whoosh.lang import porter

# Whoosh's English stop words, and the words a question is built of: a PM types "how do I write
# a project charter", and only "write", "project" and "charter" say what they want.
QUESTION_WORDS = frozenset({
    "how", "what", "why", "where", "which", "who", "whom", "whose", "do", "does", "did", "done", "doing",
    "i", "me", "my", "mine", "our", "ours", "vs", "versus", "should", "would", "could", "shall", "must",
    "need", "needs", "want", "there", "these", "those", "its", "was", "were", "been", "being", "has", "had",
    "am", "than", "then", "so", "some", "any", "into", "about", "between", "use", "using", "way", "ways",
    "best", "good", "get", "example", "examples",
})
STOP = frozenset(STOP_WORDS) | QUESTION_WORDS

stem = functools.lru_cache(maxsize=50_000)(porter.stem)


class StemTokenizer(Tokenizer):
    """Whoosh's StemmingAnalyzer(stoplist=STOP) (tokenise, lower-case, drop stop words, Porter stem) in one generator.

    It yields the same tokens, positions and character offsets as the chain of four (a test
    compares them on the whole library) and indexes about 15% faster, which a first sync of a
    large library feels. With ``joins`` it adds one thing when indexing: after the first part of
    a hyphenated pair ("kick-off"), the two parts joined ("kickoff"), at the same position, so
    that a search for either spelling finds both.
    """

    def __init__(self, joins: bool = False):
        super().__init__()
        self.joins = joins

    def __eq__(self, other):
        return isinstance(other, StemTokenizer) and other.joins == self.joins

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.boost = 1.0
        if tokenize:
            matches = [(m.group(), m.start(), m.end()) for m in default_pattern.finditer(value)]
        else:
            matches = [(value, 0, len(value))]
        joins = self.joins and mode == "index"
        pos = None  # as StopFilter renumbers: the first kept token keeps its place, the rest follow on
        for index_, (text, start, end) in enumerate(matches):
            lowered = text.lower()
            if keeporiginal:
                token.original = text
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            if len(lowered) < 2 or lowered in STOP:
                if removestops:
                    continue
                token.stopped, token.text = True, lowered
                if positions:
                    token.pos = start_pos + index_
                yield token
                continue
            pos = start_pos + index_ if pos is None else pos + 1
            token.stopped, token.text = False, stem(lowered)
            if positions:
                token.pos = pos
            yield token
            if joins and index_ + 1 < len(matches):
                following, next_start, next_end = matches[index_ + 1]
                if next_start == end + 1 and value[end] == "-" and lowered.isalpha() and following.isalpha() \
                        and following.lower() not in STOP and len(following) > 1:
                    token.text = stem(lowered + following.lower())
                    if chars:
                        token.endchar = start_char + next_end
                    yield token


ANALYZER = StemTokenizer(joins=True)

# Words are searched in the title (boosted three times), the summary (one and a half) and the
# text ("content"), each field scored by BM25 on its own length, as Whoosh's BM25F does.
CONTENT = "content"
TITLE_REPEATS, SUMMARY_REPEATS = 0, 0
TEXT_FIELDS = ("title", "summary", CONTENT)
FIELD_BOOSTS = {"title": 3.0, "summary": 1.5, CONTENT: 1.0}
# Fields a query may name (``title:kanban``, ``tag:risk``); other names are plain words in a query.
QUERY_FIELDS = ("title", "summary", CONTENT, "kind", "tag", "competency")


def content_prefix(title: str, summary: str) -> str:
    """What comes before an item's text in its content field."""
    return f"{title}\n" * TITLE_REPEATS + f"{summary}\n" * SUMMARY_REPEATS


def content_of(title: str, summary: str, text: str) -> str:
    return content_prefix(title, summary) + text


def make_schema() -> Schema:
    return Schema(
        ref=ID(unique=True, stored=True),
        kind=ID(stored=True),
        # A typed word the analyser splits ("kick-off") matches any of its parts (multitoken_query);
        # the parser adds the joined form, which the index holds for hyphenated pairs.
        title=TEXT(analyzer=ANALYZER, stored=True, multitoken_query="or"),
        summary=TEXT(analyzer=ANALYZER, stored=True, multitoken_query="or"),
        # Character offsets are stored so that snippets mark exactly the words that matched,
        # read from the postings rather than by analysing the text again.
        content=TEXT(analyzer=ANALYZER, stored=True, chars=True, multitoken_query="or"),
        tag=KEYWORD(stored=True, commas=True, lowercase=True),
        competency=KEYWORD(commas=True, lowercase=True),
        # "kind|tag,tag": read for facet counts without loading the stored bodies.
        facets=COLUMN(VarBytesColumn()),
    )


def make_vocabulary_schema() -> Schema:
    """One document per generation holding every distinct word of the content, for "did you mean"."""
    return Schema(word=KEYWORD(lowercase=True, scorable=True))


__all__ = ["ANALYZER", "CONTENT", "FIELD_BOOSTS", "QUERY_FIELDS", "STOP", "TEXT_FIELDS", "StemTokenizer", "content_of",
           "content_prefix", "make_schema", "make_vocabulary_schema", "stem"]
