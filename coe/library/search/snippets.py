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

from coe.library.search.analysis import CONTENT

FIELD = CONTENT
TOP_FRAGMENTS = 2
FRAGMENTER = highlight.PinpointFragmenter(maxchars=220, surround=80, autotrim=True)
FORMATTER = highlight.HtmlFormatter(tagname="mark", between=" … ")
SCORER = highlight.BasicFragmentScorer()
ORDER = highlight.FIRST


def body_leaves(query) -> list:
    """The content-field leaves of ``query`` (terms and phrases), outside NOT: excluded words are not marked."""
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


def _walk(matcher, docnums: list[int]):
    """Yield the docnums (ascending) at which ``matcher`` stands, skipping forward once through them."""
    for docnum in docnums:
        if not matcher.is_active():
            return
        if matcher.id() < docnum:
            matcher.skip_to(docnum)
            if not matcher.is_active():
                return
        if matcher.id() == docnum:
            yield docnum


def page_words(searcher, leaves: list, docnums: list[int]) -> dict[int, set[bytes]]:
    """For each item of a page, the query's words that matched in it.

    A word counts where its term, or the phrase it belongs to, matched in the item: what Whoosh
    records per matching item when asked for ``terms=True``, less the words of phrases that did
    not match. Each term's postings are read once for the whole page, walking forward through it.
    """
    order = sorted(set(docnums))
    field = searcher.schema[FIELD]
    words: dict[int, set[bytes]] = {docnum: set() for docnum in order}
    for leaf in leaves:
        if isinstance(leaf, Term):
            btext = field.to_bytes(leaf.text)
            if not searcher.reader().frequency(FIELD, btext):
                continue
            for docnum in _walk(searcher.postings(FIELD, btext), order):
                words[docnum].add(btext)
        else:
            for docnum in _walk(leaf.matcher(searcher), order):
                words[docnum].update(field.to_bytes(word) for word in leaf.words)
    return words


def page_tokens(searcher, leaves: list, docnums: list[int]) -> dict[int, list[highlight.Token]]:
    """For each item of a page, where its matched words stand: Tokens with start and end characters."""
    words = page_words(searcher, leaves, docnums)
    order = sorted(words)
    wanted = sorted({term for found in words.values() for term in found})
    tokens: dict[int, list[highlight.Token]] = {docnum: [] for docnum in order}
    for btext in wanted:
        word = btext.decode("utf-8")
        matcher = searcher.postings(FIELD, btext)
        for docnum in _walk(matcher, [d for d in order if btext in words[d]]):
            tokens[docnum].extend(highlight.Token(text=word, pos=pos, startchar=start, endchar=end)
                                  for pos, start, end in matcher.value_as("characters"))
    return {docnum: _dedupe(found) for docnum, found in tokens.items()}


def _dedupe(tokens: list[highlight.Token]) -> list[highlight.Token]:
    tokens.sort(key=lambda token: token.startchar)
    # Where two terms start at one character, keep the longer, as Whoosh does.
    return [max(group, key=lambda t: t.endchar - t.startchar) for _, group in groupby(tokens, lambda t: t.startchar)]


def fragments_html(text: str, tokens: list[highlight.Token]) -> str:
    """Cut ``text`` into the best fragments around ``tokens`` and mark them, as Whoosh's Highlighter does."""
    if not tokens:
        return ""
    fragments = FRAGMENTER.fragment_matches(text, tokens)
    return FORMATTER.format(highlight.top_fragments(fragments, TOP_FRAGMENTS, SCORER, ORDER))


def snippet(content: str, prefix_length: int, tokens: list[highlight.Token]) -> str:
    """The snippet shown under a hit: fragments of its text (not the title and summary that start
    its content field), matched words marked, block boundaries shown as " · "."""
    shifted = []
    for token in tokens:
        if token.startchar >= prefix_length:
            shifted.append(highlight.Token(text=token.text, pos=token.pos, startchar=token.startchar - prefix_length,
                                           endchar=token.endchar - prefix_length))
    marked = fragments_html(content[prefix_length:], shifted)
    return " · ".join(part.strip() for part in marked.split("\n") if part.strip())
