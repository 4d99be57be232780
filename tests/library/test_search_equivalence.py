"""Where the search package does what Whoosh does in its own way, it does the same: proven on the whole library."""

from __future__ import annotations

import pytest
from whoosh.analysis import StemmingAnalyzer
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
    reference, fused = StemmingAnalyzer(stoplist=analysis.STOP), analysis.StemTokenizer()
    texts = [path.read_text() for path in sorted((CONTENT / "library").rglob("*.md"))]
    texts += ["The Risk Registers of projects", "a an the", "", "x.y.z 3.14 under_score Ünïcode", "How do I vs"]
    for text in texts:
        for removestops in (True, False):
            expected = [(t.text, t.pos, t.stopped, t.startchar, t.endchar)
                        for t in reference(text, positions=True, chars=True, mode=mode, removestops=removestops)]
            got = [(t.text, t.pos, t.stopped, t.startchar, t.endchar)
                   for t in fused(text, positions=True, chars=True, mode=mode, removestops=removestops)]
            assert got == expected


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
            for probe in PROBES:
                parsed = parsing.parse(generation.parsers, searcher.reader(), probe)
                leaves = snippets.body_leaves(parsed.query)
                results = searcher.search(parsed.query, limit=None, terms=True)
                for hit in results:
                    terms = snippets.matched_terms(searcher, leaves, hit.docnum)
                    whoosh_terms = sorted({text for name, text in hit.matched_terms() if name == "body"})
                    unmatched_phrase_words = {
                        searcher.schema["body"].to_bytes(word) for leaf in leaves if isinstance(leaf, Phrase)
                        and not snippets._matches(searcher, leaf, hit.docnum) for word in leaf.words}
                    assert set(terms) <= set(whoosh_terms), (probe, hit["ref"])
                    assert set(whoosh_terms) - set(terms) <= unmatched_phrase_words, (probe, hit["ref"])
                    if terms != whoosh_terms:
                        differing += 1
                        continue
                    ours = snippets.fragments_html(hit["body"], snippets.matched_tokens(searcher, hit.docnum, terms))
                    theirs = highlighter.highlight_hit(hit, "body", top=snippets.TOP_FRAGMENTS)
                    assert ours == theirs, (probe, hit["ref"])
                    compared += 1
    assert compared > 200 and differing < compared / 10
