"""Where the search package does what Whoosh does in its own way, it does the same: proven on the whole library."""

from __future__ import annotations

import pytest
from whoosh.analysis import StemmingAnalyzer
from whoosh import collectors
from whoosh.highlight import Highlighter
from whoosh.query import Phrase

from coe.library.search import analysis, parsing, snippets
from coe.library.services import search_index
from tests.conftest import CONTENT

PROBES = ["risk", "probability", "making decisions", "closing the project", "stakeholder register", "escalate",
          "critical path float", "raci", "sprint review", "earned value", "how do I write a project charter",
          "vendor statement of work", "lessons learned", "baseline", "tier", "change request approval"]


@pytest.mark.parametrize("mode", ["index", "query"])
def test_the_fused_analyser_yields_whoosh_stemming_analysers_tokens(mode):
    reference, fused = StemmingAnalyzer(stoplist=analysis.STOP), analysis.StemTokenizer(joins=False)
    texts = [path.read_text() for path in sorted((CONTENT / "library").rglob("*.md"))]
    texts += ["The Risk Registers of projects", "a an the", "", "x.y.z 3.14 under_score Ünïcode", "How do I vs"]
    for text in texts:
        for removestops in (True, False):
            expected = [(t.text, t.pos, t.stopped, t.startchar, t.endchar)
                        for t in reference(text, positions=True, chars=True, mode=mode, removestops=removestops)]
            got = [(t.text, t.pos, t.stopped, t.startchar, t.endchar)
                   for t in fused(text, positions=True, chars=True, mode=mode, removestops=removestops)]
            assert got == expected


def test_the_index_analyser_adds_the_joined_word_of_a_hyphenated_pair_and_nothing_else():
    index = [(t.text, t.pos, t.startchar, t.endchar)
             for t in analysis.ANALYZER("Run the kick-off, then a sign-off", positions=True, chars=True, mode="index")]
    assert index == [("run", 0, 0, 3), ("kick", 1, 8, 12), ("kickoff", 1, 8, 16), ("off", 2, 13, 16),
                     ("sign", 3, 25, 29), ("signoff", 3, 25, 33), ("off", 4, 30, 33)]
    query = [t.text for t in analysis.ANALYZER("the kick-off", mode="query")]
    assert query == ["kick", "off"]


def test_snippets_mark_what_whooshs_pinpoint_highlighter_marks(app):
    """Our snippets equal Highlighter.highlight_hit (with terms=True) hit by hit, but for one documented case.

    Whoosh also marks the words of a phrase in an item where the phrase itself did not match
    (its term matchers stand on the item); ours marks only what matched. So: the same words,
    or fewer by exactly such phrase words; and the same HTML whenever the words are the same.
    """
    highlighter = Highlighter(fragmenter=snippets.FRAGMENTER, formatter=snippets.FORMATTER,
                              scorer=snippets.SCORER, order=snippets.ORDER)
    compared = differing = 0
    with app.test_request_context():
        generation = search_index().current()
        with generation.searcher() as searcher:
            field = searcher.schema["content"]
            for probe in PROBES:
                parsed = parsing.parse(generation.parsers, searcher.reader(), probe)
                leaves = snippets.body_leaves(parsed.query)
                # Whoosh's terms=True with matcher replacement off: its TermsCollector keeps the term
                # matchers it found at the start, which a replaced matcher tree leaves behind.
                collector = collectors.TermsCollector(collectors.TopCollector(limit=100_000, usequality=False, replace=0))
                searcher.search_with_collector(parsed.query, collector)
                results = collector.results()
                docnums = [hit.docnum for hit in results]
                words, tokens = snippets.page_words(searcher, leaves, docnums), snippets.page_tokens(searcher, leaves, docnums)
                for hit in results:
                    ours_words = words[hit.docnum]
                    whoosh_words = {text for name, text in hit.matched_terms() if name == "content"}
                    unmatched_phrase_words = {
                        field.to_bytes(word) for leaf in leaves if isinstance(leaf, Phrase)
                        and hit.docnum not in set(searcher.docs_for_query(leaf)) for word in leaf.words}
                    assert ours_words <= whoosh_words, (probe, hit["ref"])
                    assert whoosh_words - ours_words <= unmatched_phrase_words, (probe, hit["ref"])
                    if ours_words != whoosh_words:
                        differing += 1
                        continue
                    ours = snippets.fragments_html(hit["content"], tokens[hit.docnum])
                    theirs = highlighter.highlight_hit(hit, "content", top=snippets.TOP_FRAGMENTS)
                    assert ours == theirs, (probe, hit["ref"])
                    compared += 1
    assert compared > 200 and differing < compared / 10
