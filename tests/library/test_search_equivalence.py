"""Where the search package does what Whoosh does in its own way, it does the same: proven on the whole library."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import yaml
from whoosh import collectors
from whoosh.analysis import StemmingAnalyzer
from whoosh.highlight import Highlighter
from whoosh.matching import CoordMatcher
from whoosh.query import Or, Phrase, Query, Term

from coe.content.pipeline import run_sync
from coe.library.search import analysis, parsing, scoring, snippets, vectors
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


# --- questions ranked with arrays ------------------------------------------------------------

# Questions without acronyms (an acronym adds a phrase, which Whoosh's matchers run): single words,
# two to four words, a compound ("kick off"), a spelled-out acronym and a wildcard, the last three
# of which add nested ORs.
QUESTIONS = ["risk", "probability", "escalate", "baseline", "tier", "sponsor", "budget", "retrospective",
             "dependency", "governance", "closure", "making decisions", "closing the project", "stakeholder register",
             "critical path float", "sprint review", "earned value", "how do I write a project charter",
             "vendor statement of work", "lessons learned", "change request approval", "weekly status report",
             "risk owner and mitigation", "scope creep", "estimate the schedule", "benefits realisation",
             "review a deliverable before sign-off", "kick off", "retro*", "plan-driven lifecycle with phases",
             "supplier misses deliveries", "resource conflicts between projects", "handover to operations",
             "work breakdown structure", "portfolio board terms of reference", "quality plan", "issue log",
             "cutover checklist rollback", "team norms for remote meetings", "cost baseline variance"]


def synonyms() -> list[tuple[str, str]]:
    return list(yaml.safe_load((CONTENT / "synonyms.yml").read_text()).items())


def questions(generation, searcher, with_synonyms: bool) -> list[tuple[str, Query]]:
    """The questions parsed as the app parses them (with the synonyms) or without synonyms; either way
    the top OR keeps its coordination scale. Each is checked to be one that the arrays rank."""
    found = []
    for text in QUESTIONS:
        query = parsing.parse(generation.parsers, searcher.reader(), text, synonyms() if with_synonyms else ()).query
        assert vectors.is_question(query), (text, query)
        found.append((text, query))
    assert sum(query.scale == parsing.COORDINATION for _, query in found) >= 30
    return found


def whoosh_top(searcher, query: Query, limit: int, allow: Query | None = None, replace: int = 10):
    """Whoosh's TopCollector; with ``replace=0`` it keeps the matcher tree it starts with (see ``vectors``)."""
    collector = collectors.TopCollector(limit=limit, replace=replace)
    if allow is not None:
        collector = collectors.FilterCollector(collector, allow=allow)
    searcher.search_with_collector(query, collector)
    return collector.results().top_n


def assert_same_ranking(ours: list, theirs: list, text: str) -> None:
    """The same items in the same order, scores equal within 1e-9 relative, and in fact to the last bit."""
    assert [docnum for _, docnum in ours] == [docnum for _, docnum in theirs], text
    assert [score for score, _ in ours] == pytest.approx([score for score, _ in theirs], rel=1e-9), text
    assert ours == theirs, f"{text}: scores equal within 1e-9 but not to the last bit"


@pytest.fixture(params=["one segment", "two segments"])
def library(request, app, content_copy):
    """The real library's index: as synced (one segment), or after a few documents changed, which the
    incremental update writes to a second segment, marking their old versions deleted in the first."""
    with app.test_request_context():
        if request.param == "two segments":
            for slug in ("risk-register", "kanban", "running-a-kickoff", "status-report", "escalation"):
                path = next(content_copy.glob(f"library/*/{slug}.md"))
                path.write_text(path.read_text() + "\nA closing note on the risk owner, the schedule baseline and "
                                                   "the sponsor's budget approval.\n")
            run_sync(str(content_copy))
        generation = search_index().current()
        with generation.searcher() as searcher:
            segments = len(searcher.leaf_searchers())
            assert segments == (2 if request.param == "two segments" else 1)
            assert searcher.reader().has_deletions() == (segments == 2)
        yield generation


@pytest.fixture(params=["auto", "union trees"])
def or_matchers(request, monkeypatch):
    """Whoosh's choice of OR matchers, or the one it makes in segments of more than 5,000 items.

    An OR without scale of more than two parts is an ArrayUnionMatcher in a small segment and a
    tree of unions in a large one (where its terms count as matching): forcing the trees covers that.
    """
    if request.param == "union trees":
        monkeypatch.setattr(Or, "matcher_type", Or.DEFAULT_MATCHER)


@pytest.mark.parametrize("with_synonyms", [True, False], ids=["as the app parses", "without synonyms"])
def test_questions_rank_as_whoosh_ranks_them_without_replacing_its_matcher(library, or_matchers, with_synonyms):
    """Whoosh's top 10, and its order of every match, with the same scores, when its collector keeps the
    matcher tree it starts with. Its default collector differs where a term's postings run out before
    an item: see the last test."""
    with library.searcher() as searcher:
        for text, query in questions(library, searcher, with_synonyms):
            for limit in (10, searcher.doc_count_all()):
                ours = scoring._top(library, searcher, query, None, limit)
                assert ours, text
                assert_same_ranking(ours, whoosh_top(searcher, query, limit, replace=0), text)


def test_filtered_questions_rank_as_whooshs_filter_collector_ranks_them(library):
    with library.searcher() as searcher:
        for with_synonyms in (True, False):
            for text, query in questions(library, searcher, with_synonyms)[:15]:
                for allow in (Term("kind", "templates"), Term("tag", "risk")):
                    assert_same_ranking(scoring._top(library, searcher, query, allow, 10),
                                        whoosh_top(searcher, query, 10, allow, replace=0), text)


def test_whooshs_default_collector_scores_coordinated_questions_with_fewer_terms_where_some_have_run_out(library):
    """What ``vectors`` documents as its one difference from Whoosh.

    Whoosh's TopCollector replaces its matcher tree as it goes (replace=10), dropping the terms whose
    postings have ended, and the CoordMatcher it rebuilds counts fewer terms: every score it gives is
    ours, or CoordMatcher's formula on our sum and matching count with a smaller term count.
    """
    differing = 0
    with library.searcher() as searcher:
        for text, query in questions(library, searcher, with_synonyms=False):
            found = vectors.scored(library, searcher, query)
            index = {int(docnum): n for n, docnum in enumerate(found.docnums)}
            for score, docnum in whoosh_top(searcher, query, 10):
                n = index[docnum]
                if score == found.scores[n]:
                    continue
                differing += 1
                # Whoosh's own _sqr, called on a stand-in for a CoordMatcher that counts ``fewer`` terms.
                rescored = [CoordMatcher._sqr(SimpleNamespace(_termcount=fewer, _scale=query.scale),
                                              found.sums[n], found.matching[n])
                            for fewer in range(1, found.termcounts[n])]
                assert any(score == pytest.approx(value, rel=1e-9) for value in rescored), (text, docnum)
    assert differing, "Whoosh's collector now scores as the arrays do: update the docstring of vectors"
