"""Snippets: the passages of an item's text around the words that matched, those words marked.

The character offsets come from the index itself (the body field stores them), as Whoosh's
Highlighter reads them for "pinpoint" highlighting; Whoosh's PinpointFragmenter, fragment scorer
and HtmlFormatter then cut and mark the text. What differs from ``Highlighter.highlight_hit`` is
where the matched words and their offsets are read: Whoosh needs ``terms=True`` (a term list
recorded for every matching item during the search) and reads offsets for all top N hits; this
reads both for the hits shown on the page only. And where a phrase's words occur in an item
but not as the phrase, Whoosh marks them too; this marks only the words that matched. A test
checks, hit by hit over a set of queries on the whole library, that the two mark the same
passages but for that difference.
"""

from __future__ import annotations

from itertools import groupby

from whoosh import highlight
from whoosh.query import AndNot, Not, Phrase, Term

FIELD = "body"
TOP_FRAGMENTS = 2
FRAGMENTER = highlight.PinpointFragmenter(maxchars=220, surround=80, autotrim=True)
FORMATTER = highlight.HtmlFormatter(tagname="mark", between=" … ")
SCORER = highlight.BasicFragmentScorer()
ORDER = highlight.FIRST


def body_leaves(query) -> list:
    """The body-field leaves of ``query`` (terms and phrases), outside NOT: excluded words are not marked."""
    return [leaf for leaf in _wanted_leaves(query) if leaf.field() == FIELD and isinstance(leaf, (Term, Phrase))]


def _wanted_leaves(query):
    if isinstance(query, Not):
        return
    if isinstance(query, AndNot):
        yield from _wanted_leaves(query.a)
    elif query.is_leaf():
        yield query
    else:
        for child in query.children():
            yield from _wanted_leaves(child)


def _matches(searcher, leaf, docnum: int) -> bool:
    matcher = leaf.matcher(searcher)
    if not matcher.is_active():
        return False
    matcher.skip_to(docnum)
    return matcher.is_active() and matcher.id() == docnum


def matched_terms(searcher, leaves: list, docnum: int) -> list[bytes]:
    """The words that matched in item ``docnum``: those of each term or phrase of the query found in it.

    This is what Whoosh records per matching item when asked for ``terms=True`` (less the words
    of phrases that did not match), computed here for the hits shown only.
    """
    field = searcher.schema[FIELD]
    terms: set[bytes] = set()
    for leaf in leaves:
        if _matches(searcher, leaf, docnum):
            terms.update(field.to_bytes(text) for _name, text in leaf.terms(phrases=True))
    return sorted(terms)


def matched_tokens(searcher, docnum: int, terms: list[bytes]) -> list[highlight.Token]:
    """Read from the postings where each term occurs in item ``docnum``: (start, end) characters."""
    tokens = []
    for term in terms:
        matcher = searcher.postings(FIELD, term)
        matcher.skip_to(docnum)
        if not matcher.is_active() or matcher.id() != docnum:
            continue
        word = term.decode("utf-8")
        for pos, start, end in matcher.value_as("characters"):
            tokens.append(highlight.Token(text=word, pos=pos, startchar=start, endchar=end))
    tokens.sort(key=lambda token: token.startchar)
    # Where two terms start at one character, keep the longer, as Whoosh does.
    return [max(group, key=lambda t: t.endchar - t.startchar) for _, group in groupby(tokens, lambda t: t.startchar)]


def fragments_html(text: str, tokens: list[highlight.Token]) -> str:
    """Cut ``text`` into the best fragments around ``tokens`` and mark them, as Whoosh's Highlighter does."""
    if not tokens:
        return ""
    fragments = FRAGMENTER.fragment_matches(text, tokens)
    return FORMATTER.format(highlight.top_fragments(fragments, TOP_FRAGMENTS, SCORER, ORDER))


def snippet(searcher, docnum: int, text: str, leaves: list) -> str:
    """The snippet shown under a hit: its marked fragments, block boundaries shown as " · "."""
    marked = fragments_html(text, matched_tokens(searcher, docnum, matched_terms(searcher, leaves, docnum)))
    return " · ".join(part.strip() for part in marked.split("\n") if part.strip())
