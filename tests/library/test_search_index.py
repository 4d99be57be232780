"""The search index's life: generations that never move backwards, builds off the request path, serialised syncs."""

from __future__ import annotations

import shutil
import threading

import pytest

from coe.content.pipeline import current_generation, run_sync, sync_content
from coe.extensions import db
from coe.library import search as engine
from coe.library.services import SearchInput, refresh_index, search, search_index, wait_for_catch_up


@pytest.fixture
def library(app):
    with app.test_request_context():
        yield


def refs(q: str) -> list[str]:
    return [hit.ref for hit in search(SearchInput(q=q)).hits]


def mark(content, slug: str, word: str) -> None:
    path = next(content.glob(f"library/*/{slug}.md"))
    path.write_text(path.read_text().replace("\n## ", f"\n{word} marker.\n\n## ", 1))


def test_index_swap_while_a_reader_holds_the_old_generation(library, content_copy):
    generation = search_index().current()
    with generation.searcher() as held:
        old_count = held.doc_count()
        mark(content_copy, "decision-log", "Wombat")
        run_sync(str(content_copy))
        # The held searcher still answers from its generation...
        assert held.doc_count() == old_count
        assert len(held.search(engine.parsing.Term("content", "wombat"))) == 0
        # ...while new searches see the new one.
        assert refs("wombat") == ["templates/decision-log"]
        assert search_index().current() is not generation
    # Given back after the swap, the old generation's searcher is closed rather than kept, and so is
    # its vocabulary: a swapped-out generation holds nothing open.
    assert held.is_closed and generation.vocabulary.is_closed


def test_a_crash_mid_build_leaves_the_old_index_serving(library):
    ix = search_index()
    before = ix.pointer()

    def exploding_changes(generation):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        ix.refresh(before["generation"] + 1, exploding_changes, lambda: [])
    assert ix.pointer() == before
    assert refs("risk register")[0] == "templates/risk-register"
    assert not [p for p in ix.directory.iterdir() if p.name.startswith("tmp-")]


def test_the_published_generation_never_moves_backwards(library, content_copy):
    ix = search_index()
    mark(content_copy, "decision-log", "Wombat")
    run_sync(str(content_copy))
    published = ix.generation()
    assert published == current_generation()
    # A request that read the content state before that sync committed asks for the older one.
    assert ix.refresh(published - 1, lambda g: pytest.fail("must not build"), lambda: pytest.fail("must not build")) \
        == "current"
    assert ix.generation() == published
    assert refs("wombat") == ["templates/decision-log"]


def test_a_request_never_builds_a_missing_index_it_says_so_and_a_thread_builds_it(library):
    shutil.rmtree(search_index().directory)
    results = search(SearchInput(q="raci"))
    assert results.error == "The search index is being built. Try again in a minute."
    wait_for_catch_up(30)
    assert refs("raci")[0] == "templates/raci-matrix"


def test_a_broken_index_is_rebuilt_off_the_request_path(library):
    ix = search_index()
    folder = ix.directory / ix.pointer()["dir"]
    for path in folder.iterdir():
        path.write_bytes(b"garbage")
    ix._open = None  # a process that starts after the damage
    assert search(SearchInput(q="raci")).error == "The search index is being built. Try again in a minute."
    wait_for_catch_up(30)
    assert refs("raci")[0] == "templates/raci-matrix"


def test_a_host_whose_index_is_behind_serves_the_old_generation_while_a_thread_catches_up(app, library, content_copy):
    mark(content_copy, "decision-log", "Platypus")
    sync_content(str(content_copy))  # another host's sync: committed, this host's index not told
    db.session.commit()
    assert refs("platypus") == []  # served at once from the generation this host has
    wait_for_catch_up(30)
    assert refs("platypus") == ["templates/decision-log"]


def test_a_request_does_not_wait_while_another_worker_builds(library, content_copy):
    import fcntl

    mark(content_copy, "decision-log", "Platypus")
    sync_content(str(content_copy))
    db.session.commit()
    ix = search_index()
    with open(ix.directory / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another worker is building
        assert refs("platypus") == []
        assert refs("raci")[0] == "templates/raci-matrix"
        fcntl.flock(held, fcntl.LOCK_UN)
    wait_for_catch_up(30)
    assert refs("platypus") == ["templates/decision-log"]


def test_concurrent_syncs_are_serialised_and_publish_consecutive_generations(app, content_copy, tmp_path):
    second = tmp_path / "second"
    shutil.copytree(content_copy, second)
    mark(content_copy, "decision-log", "Wombat")
    mark(second, "raid-log", "Quokka")
    with app.app_context():
        start = current_generation()
    errors: list[BaseException] = []
    reports = []

    def sync(root):
        with app.app_context():
            try:
                reports.append(run_sync(str(root)))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sync, args=(root,)) for root in (content_copy, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    assert sorted(report.generation for report in reports) == [start + 1, start + 2]
    with app.test_request_context():
        assert current_generation() == start + 2
        assert search_index().generation() == start + 2


def test_a_title_of_stop_words_only_does_not_break_scoring(app, content_copy):
    (content_copy / "library/practices/odd.md").write_text(
        "---\ntitle: To Be Or Not\nsummary: A title made of stop words only.\nowner: PMO Standards Lead\n"
        "owner_name: Dana Whitfield\nversion: \"1\"\nreviewed: 2026-06-01\n---\n\nThe quetzal appears here once.\n")
    with app.test_request_context():
        run_sync(str(content_copy))
        assert refs("quetzal") == ["practices/odd"]
        assert refs("risk register")[0] == "templates/risk-register"


def test_without_the_synonyms_file_an_acronym_no_longer_finds_the_spelled_out_documents(app, content_copy):
    from tests.library.test_search import all_refs, spelled_out_only

    with app.test_request_context():
        acronym, spelled_only = spelled_out_only()
        (content_copy / "synonyms.yml").unlink()
        run_sync(str(content_copy))
        assert not all_refs(acronym.lower()) & spelled_only, acronym
