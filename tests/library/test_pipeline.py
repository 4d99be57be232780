"""The content sync: validate everything, write all or nothing, skip unchanged files, archive removed ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from coe.competency.models import Competency, RoleProfile
from coe.errors import InvalidContent
from coe.extensions import db
from coe.content.pipeline import run_sync
from coe.content.models import ContentState
from coe.library.models import Document

GOOD = """---
title: Test Document
summary: A document for tests.
tags: [risk]
competencies: [risk-management]
owner: PMO Standards
version: "1.0"
reviewed: 2026-06-01
review_every: 12
---

## Section

Body text with a [link](../templates/risk-register.md).
"""


def sync(app, root: Path):
    with app.app_context():
        return run_sync(str(root))


def snapshot(app) -> dict:
    """What a failed sync must leave untouched: every document's checksum and the generation."""
    with app.app_context():
        docs = {d.ref: (d.checksum, d.archived_at) for d in db.session.scalars(db.select(Document))}
        state = db.session.get(ContentState, 1)
        return {"docs": docs, "generation": state.generation if state else None}


def expect_problem(app, root: Path, *fragments: str):
    """Sync must fail naming every fragment, and change nothing in the database or the index."""
    before = snapshot(app)
    with app.app_context():
        from coe.library.services import search_index
        index_generation = search_index().generation()
        with pytest.raises(InvalidContent) as excinfo:
            run_sync(str(root))
        assert search_index().generation() == index_generation
    messages = "\n".join(str(p) for p in excinfo.value.problems)
    for fragment in fragments:
        assert fragment in messages, messages
    assert snapshot(app) == before
    return messages


@pytest.fixture
def library(app, content_copy):
    """A synced copy of the real content that a test may then break."""
    sync(app, content_copy)
    return content_copy


@pytest.mark.bare_database
def test_sync_loads_the_whole_library_and_framework(app, content_copy):
    report = sync(app, content_copy)
    assert report.counts["documents added"] == 36
    with app.app_context():
        kinds = dict(db.session.execute(db.select(Document.kind, db.func.count()).group_by(Document.kind)).all())
        assert kinds == {"methodologies": 8, "templates": 14, "practices": 14}
        assert db.session.scalar(db.select(db.func.count(Competency.id))) >= 15
        assert {p.code for p in db.session.scalars(db.select(RoleProfile))} == {
            "associate-pm", "pm", "senior-pm", "program-manager"}


def test_resync_of_unchanged_files_skips_them_by_checksum(app, library):
    report = sync(app, library)
    assert report.counts["documents unchanged"] == 36
    assert report.counts["documents updated"] == 0
    assert report.index_changed is False


def test_changed_file_is_rerendered_and_reindexed(app, library):
    path = library / "library/templates/risk-register.md"
    path.write_text(path.read_text().replace("## Purpose and when it is required",
                                             "## Purpose and when it is required\n\nZanzibar quokka notice."))
    report = sync(app, library)
    assert report.counts["documents updated"] == 1
    assert report.counts["documents unchanged"] == 35
    with app.app_context():
        from coe.library.services import SearchInput, search
        assert [h.ref for h in search(SearchInput(q="quokka")).hits] == ["templates/risk-register"]


def test_removed_file_archives_its_document(app, library, client, make_person):
    # Nothing links to this practice, so it may go.
    (library / "library/practices/remote-team-rituals.md").unlink()
    report = sync(app, library)
    assert report.counts["documents archived"] == 1
    with app.app_context():
        doc = db.session.scalar(db.select(Document).where(Document.slug == "remote-team-rituals"))
        assert doc.archived_at is not None
        from coe.library.services import SearchInput, browse, search
        assert "practices/remote-team-rituals" not in [h.ref for h in search(SearchInput(q="remote rituals")).hits]
        assert doc not in browse().documents
    make_person("pm@example.org")
    client.login("pm@example.org")
    page = client.get("/library/practices/remote-team-rituals")
    assert page.status_code == 200
    assert "withdrawn from the library" in page.get_data(as_text=True)


def test_restored_file_brings_its_document_back(app, library):
    path = library / "library/practices/remote-team-rituals.md"
    text = path.read_text()
    path.unlink()
    sync(app, library)
    path.write_text(text)
    assert sync(app, library).counts["documents restored"] == 1
    with app.app_context():
        assert db.session.scalar(db.select(Document).where(Document.slug == "remote-team-rituals")).archived_at is None


def test_missing_front_matter(app, library):
    (library / "library/practices/new.md").write_text("# No front matter\n\nText.\n")
    expect_problem(app, library, "library/practices/new.md:1: does not start with YAML front matter")


def test_unclosed_front_matter(app, library):
    (library / "library/practices/new.md").write_text("---\ntitle: Open\n\nText.\n")
    expect_problem(app, library, "library/practices/new.md:1: has front matter that is never closed")


def test_malformed_yaml_names_the_line(app, library):
    bad = GOOD.replace("summary: A document for tests.", "summary: Costs: time and money")
    (library / "library/practices/new.md").write_text(bad)
    expect_problem(app, library, "library/practices/new.md:3: is not well-formed YAML", "must be quoted")


@pytest.mark.parametrize("field", ["title", "summary", "owner", "version", "reviewed"])
def test_missing_required_field(app, library, field):
    lines = [line for line in GOOD.splitlines() if not line.startswith(f"{field}:")]
    (library / "library/practices/new.md").write_text("\n".join(lines))
    expect_problem(app, library, f"lacks the required field `{field}`")


def test_unknown_field_is_named(app, library):
    (library / "library/practices/new.md").write_text(GOOD.replace("owner:", "competences: [x]\nowner:"))
    expect_problem(app, library, "new.md:6: has an unknown field `competences`")


def test_bad_date_is_named(app, library):
    (library / "library/practices/new.md").write_text(GOOD.replace("reviewed: 2026-06-01", "reviewed: last June"))
    expect_problem(app, library, "new.md:8: `reviewed` must be a date written YYYY-MM-DD")


def test_unknown_competency_code(app, library):
    (library / "library/practices/new.md").write_text(GOOD.replace("[risk-management]", "[risk-management, juggling]"))
    expect_problem(app, library, "new.md:5: names competencies not in the framework: juggling")


def test_broken_link_names_file_and_line(app, library):
    (library / "library/practices/new.md").write_text(GOOD.replace("risk-register.md", "risk-regsiter.md"))
    expect_problem(app, library, "new.md:14: links to `../templates/risk-regsiter.md`, which is not a library document")


def test_removing_a_linked_document_is_refused_while_links_point_at_it(app, library):
    (library / "library/templates/raci-matrix.md").unlink()
    messages = expect_problem(app, library, "links to")
    assert "raci-matrix.md" in messages


def test_invalid_utf8(app, library):
    (library / "library/practices/new.md").write_bytes(GOOD.encode() + b"\n\xff\xfe broken\n")
    expect_problem(app, library, "library/practices/new.md:16: is not valid UTF-8")


def test_file_over_the_size_limit(app, library):
    (library / "library/practices/new.md").write_text(GOOD + "word " * 60_000)
    expect_problem(app, library, "new.md: is 293 KiB; the limit is 256 KiB")


def test_duplicate_slug_across_kinds(app, library):
    (library / "library/practices/risk-register.md").write_text(GOOD)
    expect_problem(app, library, "uses the slug `risk-register` that library/")


def test_bad_file_name(app, library):
    (library / "library/practices/Risk Notes.md").write_text(GOOD)
    expect_problem(app, library, "Risk Notes.md: has a file name that is not a valid slug")


def test_file_outside_a_kind_folder(app, library):
    (library / "library/loose.md").write_text(GOOD)
    expect_problem(app, library, "library/loose.md: is not in a kind folder")


def test_framework_errors_are_named(app, library):
    path = library / "competencies/framework.yml"
    path.write_text(path.read_text().replace("5: Sets the organisation's WBS", "6: Sets the organisation's WBS", 1))
    expect_problem(app, library, "competencies/framework.yml:", "competency `scope-management` needs `levels`")


def test_role_profile_with_unknown_competency(app, library):
    path = library / "competencies/roles.yml"
    path.write_text(path.read_text().replace("      planning: 2", "      planning: 2\n      juggling: 3", 1))
    expect_problem(app, library, "competencies/roles.yml:", "targets `juggling`, which is not in the framework")


def test_all_problems_are_reported_at_once(app, library):
    (library / "library/practices/one.md").write_text("no front matter")
    (library / "library/practices/two.md").write_text(GOOD.replace("reviewed: 2026-06-01", "reviewed: soon"))
    (library / "library/practices/three.md").write_text(GOOD.replace("risk-register.md", "nowhere.md"))
    expect_problem(app, library, "one.md:1:", "two.md:8:", "three.md:14:")


@pytest.mark.bare_database
def test_a_failed_sync_of_a_fresh_database_writes_nothing(app, content_copy):
    (content_copy / "library/practices/new.md").write_text("broken")
    expect_problem(app, content_copy, "does not start with YAML front matter")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Document.id))) == 0
        assert db.session.scalar(db.select(db.func.count(Competency.id))) == 0


def test_cli_sync_prints_every_problem_and_exits_non_zero(app, runner, library):
    (library / "library/practices/new.md").write_text("broken")
    result = runner.invoke(args=["content", "sync", "--dir", str(library)])
    assert result.exit_code == 1
    assert "error: library/practices/new.md:1: does not start with YAML front matter" in result.output
    assert "nothing was changed" in result.output


@pytest.mark.bare_database
def test_cli_sync_reports_counts(app, runner, content_copy):
    result = runner.invoke(args=["content", "sync", "--dir", str(content_copy)])
    assert result.exit_code == 0, result.output
    assert "36 documents added" in result.output


def test_removed_competency_is_archived_not_deleted(app, library):
    from coe.competency.content import FRAMEWORK

    # Drop 'facilitation' from the framework and from every document and role that used it.
    framework = (library / FRAMEWORK).read_text()
    start = framework.index("      - code: facilitation")
    end = framework.index("      - code:", start + 10)
    (library / FRAMEWORK).write_text(framework[:start] + framework[end:])
    roles = library / "competencies/roles.yml"
    roles.write_text("\n".join(line for line in roles.read_text().splitlines() if "facilitation:" not in line))
    for path in (library / "library").rglob("*.md"):
        text = path.read_text()
        head, sep, body = text.partition("\n---\n")
        head = head.replace(", facilitation]", "]").replace("[facilitation, ", "[").replace(", facilitation,", ",")
        path.write_text(head + sep + body)
    sync(app, library)
    with app.app_context():
        comp = db.session.scalar(db.select(Competency).where(Competency.code == "facilitation"))
        assert comp is not None and comp.archived_at is not None


def test_malformed_synonyms_file_is_named(app, library):
    (library / "synonyms.yml").write_text("RACI: responsible accountable consulted informed\nRAG: red\n")
    expect_problem(app, library, "synonyms.yml:2: `RAG` needs an expansion of two or more words")


def test_framework_level_keys_that_are_not_numbers_are_named_not_a_crash(app, library):
    path = library / "competencies/framework.yml"
    path.write_text(path.read_text().replace("          2: Builds a work breakdown", "          two: Builds a work breakdown", 1))
    expect_problem(app, library, "competency `scope-management` needs `levels` with a descriptor for each of 1 to 5")


def test_empty_level_descriptor_names_its_line(app, library):
    path = library / "competencies/framework.yml"
    text = path.read_text()
    start = text.index("          3: Writes the scope statement")
    line = text.count("\n", 0, start) + 1
    end = text.index("\n", start)
    path.write_text(text[:start] + "          3: ''" + text[end:])
    expect_problem(app, library, f"competencies/framework.yml:{line}: competency `scope-management` level 3 needs a descriptor")


def test_overlong_values_are_named_before_they_reach_the_database(app, library):
    (library / "library/practices/new.md").write_text(GOOD.replace('version: "1.0"', f'version: "{"9" * 41}"'))
    expect_problem(app, library, "new.md:7: `version` must be a number or text of at most 40 characters")


def test_version_is_kept_exactly_as_written(app, library):
    (library / "library/practices/new.md").write_text(GOOD.replace('version: "1.0"', "version: 2.10"))
    sync(app, library)
    with app.app_context():
        assert db.session.scalar(db.select(Document.version).where(Document.slug == "new")) == "2.10"


@pytest.mark.bare_database
def test_large_syncs_parse_on_every_core_with_the_same_results(app, content_copy, monkeypatch):
    from coe.library import content

    monkeypatch.setattr(content, "PARALLEL_THRESHOLD", 1)
    (content_copy / "library/practices/new.md").write_text(GOOD.replace("risk-register.md", "nowhere.md"))
    expect_problem(app, content_copy, "library/practices/new.md:14: links to `../templates/nowhere.md`")
    (content_copy / "library/practices/new.md").unlink()
    report = sync(app, content_copy)
    assert report.counts["documents added"] == 36
    with app.app_context():
        html = db.session.scalar(db.select(Document.html).where(Document.slug == "risk-workshops"))
        assert 'href="../templates/risk-register"' in html
