"""Searching the real library: relevance, syntax, synonyms, corrections, filters, pages, JSON, index swaps."""

from __future__ import annotations

import shutil

import pytest

from coe.library import search as engine
from coe.library.models import SearchMiss
from coe.extensions import db
from coe.library.services import SearchInput, refresh_index, search, search_index


@pytest.fixture
def library(app):
    with app.test_request_context():
        yield


def refs(q: str, **filters) -> list[str]:
    return [hit.ref for hit in search(SearchInput(q=q, **filters)).hits]


def test_risk_register_query_puts_the_risk_register_template_first(library):
    assert refs("risk register")[0] == "templates/risk-register"


def test_raci_finds_the_raci_matrix(library):
    assert refs("raci")[0] == "templates/raci-matrix"
    assert refs("RACI")[0] == "templates/raci-matrix"


@pytest.mark.parametrize("query, first", [
    ("stage gate", "methodologies/stage-gate-governance"),
    ("earned value", "methodologies/earned-value-management"),
    ("kanban", "methodologies/kanban"),
    ("critical path", "methodologies/critical-path-scheduling"),
    ("retrospective", "practices/retrospectives"),
    ("kickoff", "practices/running-a-kickoff"),
    ("change request template", "templates/change-request"),
])
def test_the_obvious_document_comes_first(library, query, first):
    assert refs(query)[0] == first


def test_acronym_finds_documents_that_spell_it_out_and_back(library):
    acronym = set(refs("wbs"))
    spelled = set(refs("work breakdown structure"))
    assert "templates/work-breakdown-structure" in acronym & spelled
    assert refs("evm")[0] == "methodologies/earned-value-management"


def test_misspelt_words_get_a_correction(library):
    results = search(SearchInput(q="stakholder regster"))
    assert results.suggestion == "stakeholder register"
    assert search(SearchInput(q="kanbna")).suggestion == "kanban"


def test_correct_query_gets_no_suggestion(library):
    assert search(SearchInput(q="risk register")).suggestion is None


def test_phrase_and_boolean_and_prefix_syntax(library):
    assert "templates/change-request" in all_refs('"change request"')
    both = all_refs("kanban AND scrum")
    assert both and both == all_refs("kanban") & all_refs("scrum")
    without = all_refs("kanban NOT scrum")
    assert without == all_refs("kanban") - all_refs("scrum")
    assert all_refs("kanban OR retrospective") == all_refs("kanban") | all_refs("retrospective")
    assert "practices/retrospectives" in refs("retro*")


def test_filters_by_kind_tag_and_competency(library):
    assert all(r.startswith("templates/") for r in refs("risk", kind="templates"))
    tagged = search(SearchInput(q="risk", tag="risk"))
    assert tagged.total and all("risk" in hit.tags for hit in tagged.hits)
    assert refs("register", competency="risk-management")[0] == "templates/risk-register"


def test_filter_without_words_lists_the_kind(library):
    assert search(SearchInput(kind="methodologies")).total == 8


def test_facet_counts_by_kind_and_tag(library):
    results = search(SearchInput(q="risk"))
    assert sum(results.kind_counts.values()) == results.total
    assert results.tag_counts["risk"] >= 3


def test_results_paginate(library):
    first = search(SearchInput(q="project", page=1))
    second = search(SearchInput(q="project", page=2))
    assert first.total > 10 and first.pages >= 2
    assert len(first.hits) == 10
    assert not {h.ref for h in first.hits} & {h.ref for h in second.hits}


def test_snippets_are_highlighted_and_escaped(library):
    hit = search(SearchInput(q="escalate")).hits[0]
    assert "<mark" in hit.snippet
    assert "<script" not in hit.snippet


def test_zero_result_queries_are_counted_for_admins(app, library):
    for _ in range(3):
        search(SearchInput(q="Quantum   Blockchain"))
    search(SearchInput(q="risk"))
    db.session.commit()
    misses = {m.query: m.count for m in db.session.scalars(db.select(SearchMiss))}
    assert misses == {"quantum blockchain": 3}


def test_index_swap_while_a_reader_holds_the_old_generation(app, library, content_copy):
    from coe.content.pipeline import run_sync

    ix = search_index()
    held = ix.searcher()
    old_count = held.doc_count()
    path = content_copy / "library/templates/decision-log.md"
    path.write_text(path.read_text().replace("## Purpose", "Wombat marker.\n\n## Purpose", 1))
    run_sync(str(content_copy))
    # The held searcher still answers from its generation...
    assert held.doc_count() == old_count
    assert len(held.search(engine.Term("body", "wombat"))) == 0
    # ...while new searches see the new one.
    assert refs("wombat") == ["templates/decision-log"]
    assert ix.searcher() is not held


def test_a_crash_mid_build_leaves_the_old_index_serving(app, library):
    ix = search_index()
    before = ix.pointer()

    def exploding_changes(generation):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        ix.refresh(before["generation"] + 1, exploding_changes, lambda: [])
    assert ix.pointer() == before
    assert refs("risk register")[0] == "templates/risk-register"
    assert not [p for p in ix.directory.iterdir() if p.name.startswith("tmp-")]


def test_missing_index_is_rebuilt_from_the_database(app, library):
    shutil.rmtree(search_index().directory)
    assert refs("raci")[0] == "templates/raci-matrix"


def test_broken_index_is_rebuilt_from_the_database(app, library):
    ix = search_index()
    folder = ix.directory / ix.pointer()["dir"]
    for path in folder.iterdir():
        path.write_bytes(b"garbage")
    assert refs("raci")[0] == "templates/raci-matrix"


def test_reader_catches_up_when_another_host_moved_the_content(app, library):
    """A second index directory (another host) catches up from the database on its next search."""
    other = engine.SearchIndex(search_index().directory.parent / "other-host")
    app.extensions["coe.search_index"] = other
    assert refs("raci")[0] == "templates/raci-matrix"
    assert other.generation() == 1
    assert refresh_index() == "current"


def test_acronym_finds_documents_that_only_spell_it_out(app, library):
    # No document writes "UAT"; several write "user acceptance testing".
    found = refs("uat")
    assert found
    with app.app_context():
        from coe.library.models import Document

        for ref in found:
            kind, slug = ref.split("/")
            text = db.session.scalar(db.select(Document.text).where(Document.kind == kind, Document.slug == slug))
            assert "user acceptance testing" in text.lower() and "uat" not in text.lower().split()


def test_without_the_synonyms_file_the_acronym_finds_nothing(app, content_copy):
    from coe.content.pipeline import run_sync

    (content_copy / "synonyms.yml").unlink()
    with app.test_request_context():
        run_sync(str(content_copy))
        assert refs("uat") == []


def all_refs(q: str) -> set[str]:
    return {hit.ref for hit in search(SearchInput(q=q), per_page=100).hits}


def test_operators_keep_their_meaning_when_an_acronym_is_expanded(library):
    without_agile = all_refs("raci NOT agile")
    assert without_agile and without_agile.isdisjoint(all_refs("agile"))
    assert all_refs("wbs OR raci") == all_refs("wbs") | all_refs("raci")


@pytest.mark.parametrize("query", ["summary:risk", "summary:*", "ref:x", "risk summary:x", "title:", "tag:"])
def test_queries_naming_unsearchable_fields_do_not_fail(library, query):
    results = search(SearchInput(q=query))
    assert results.error is None


def test_search_field_syntax_works_for_searchable_fields(library):
    assert all("risk" in h.tags for h in search(SearchInput(q="tag:risk")).hits)
    assert refs("title:kanban")[0] == "methodologies/kanban"


def test_a_request_does_not_wait_while_another_worker_builds(app, library, content_copy):
    import fcntl

    from coe.content.pipeline import run_sync
    from coe.content.pipeline import sync_content

    run_sync(str(content_copy))
    path = content_copy / "library/templates/decision-log.md"
    path.write_text(path.read_text().replace("## Purpose", "Platypus marker.\n\n## Purpose", 1))
    sync_content(str(content_copy))
    db.session.commit()
    ix = search_index()
    with open(ix.directory / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another worker is building
        assert refs("platypus") == []  # served at once from the previous generation
        assert refs("raci")[0] == "templates/raci-matrix"
        fcntl.flock(held, fcntl.LOCK_UN)
    assert refs("platypus") == ["templates/decision-log"]


def test_a_title_of_stop_words_only_does_not_break_scoring(app, content_copy):
    from coe.content.pipeline import run_sync

    (content_copy / "library/practices/odd.md").write_text(
        "---\ntitle: To Be Or Not\nsummary: A title made of stop words only.\nowner: PMO Standards Lead\nowner_name: Dana Whitfield\n"
        "version: \"1\"\nreviewed: 2026-06-01\n---\n\nThe quetzal appears here once.\n")
    with app.test_request_context():
        run_sync(str(content_copy))
        assert refs("quetzal") == ["practices/odd"]
        assert refs("risk register")[0] == "templates/risk-register"


@pytest.mark.parametrize("mode", ["index", "query"])
def test_the_fused_analyser_yields_whoosh_stemming_analysers_tokens(mode):
    from whoosh.analysis import StemmingAnalyzer

    from tests.conftest import CONTENT

    reference, fused = StemmingAnalyzer(), engine.StemTokenizer()
    texts = [path.read_text() for path in sorted((CONTENT / "library").rglob("*.md"))]
    texts += ["The Risk Registers of projects", "a an the", "", "x.y.z 3.14 under_score Ünïcode"]
    for text in texts:
        for removestops in (True, False):
            expected = [(t.text, t.pos, t.stopped) for t in reference(text, positions=True, mode=mode, removestops=removestops)]
            got = [(t.text, t.pos, t.stopped) for t in fused(text, positions=True, mode=mode, removestops=removestops)]
            assert got == expected
