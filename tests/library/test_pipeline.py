"""The content sync: validate everything, write all or nothing, skip unchanged files, archive removed ones.

These tests sync the small fixture content folder into an empty database, so that counts do not
move when the real library grows.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from coe.competency.models import Competency, RoleProfile
from coe.errors import InvalidContent
from coe.extensions import db
from coe.content.pipeline import run_sync
from coe.content.models import ContentState
from coe.library.models import Document
from tests.conftest import FIXTURE_CONTENT

GOOD = """---
title: Test Document
summary: A document for tests.
tags: [risk]
competencies: [risk-management]
owner: PMO Standards Lead
owner_name: Dana Whitfield
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


pytestmark = pytest.mark.bare_database


@pytest.fixture
def fixture_copy(tmp_path):
    """A writable copy of the fixture content."""
    target = tmp_path / "fixture-content"
    shutil.copytree(FIXTURE_CONTENT, target)
    return target


@pytest.fixture
def library(app, fixture_copy):
    """The fixture content, synced, for a test to change or break."""
    sync(app, fixture_copy)
    return fixture_copy


def test_sync_loads_the_whole_library_and_framework(app, fixture_copy):
    report = sync(app, fixture_copy)
    assert report.counts["documents added"] == 4
    with app.app_context():
        kinds = dict(db.session.execute(db.select(Document.kind, db.func.count()).group_by(Document.kind)).all())
        assert kinds == {"methodologies": 1, "templates": 2, "practices": 1}
        assert db.session.scalar(db.select(db.func.count(Competency.id))) == 4
        assert {p.code for p in db.session.scalars(db.select(RoleProfile))} == {"associate-pm", "pm"}


def test_resync_of_unchanged_files_skips_them_by_checksum(app, library):
    report = sync(app, library)
    assert report.counts["documents unchanged"] == 4
    assert report.counts["documents updated"] == 0
    assert report.index_changed is False


def test_changed_file_is_rerendered_and_reindexed(app, library):
    path = library / "library/templates/risk-register.md"
    path.write_text(path.read_text().replace("## Purpose and when it is required",
                                             "## Purpose and when it is required\n\nZanzibar quokka notice."))
    report = sync(app, library)
    assert report.counts["documents updated"] == 1
    assert report.counts["documents unchanged"] == 3
    with app.app_context():
        from coe.library.services import SearchInput, search
        assert [h.ref for h in search(SearchInput(q="quokka")).hits] == ["templates/risk-register"]


def test_removed_file_archives_its_document(app, library, client, make_person):
    # Only the methodology links to the status report: drop the link, then the template may go.
    path = library / "library/methodologies/predictive-delivery.md"
    path.write_text(path.read_text().replace("[status report](../templates/status-report.md)", "status report"))
    (library / "library/templates/status-report.md").unlink()
    report = sync(app, library)
    assert report.counts["documents archived"] == 1
    with app.app_context():
        doc = db.session.scalar(db.select(Document).where(Document.slug == "status-report"))
        assert doc.archived_at is not None
        from coe.library.services import SearchInput, browse, search
        assert "templates/status-report" not in [h.ref for h in search(SearchInput(q="status report")).hits]
        assert doc not in browse().documents
    make_person("pm@example.org")
    client.login("pm@example.org")
    page = client.get("/library/templates/status-report")
    assert page.status_code == 200
    assert "withdrawn from the library" in page.get_data(as_text=True)


def test_restored_file_brings_its_document_back(app, library):
    method = library / "library/methodologies/predictive-delivery.md"
    method.write_text(method.read_text().replace("[status report](../templates/status-report.md)", "status report"))
    path = library / "library/templates/status-report.md"
    text = path.read_text()
    path.unlink()
    sync(app, library)
    path.write_text(text)
    assert sync(app, library).counts["documents restored"] == 1
    with app.app_context():
        assert db.session.scalar(db.select(Document).where(Document.slug == "status-report")).archived_at is None


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
    expect_problem(app, library, "new.md:9: `reviewed` must be a date written YYYY-MM-DD")


def test_unknown_competency_code(app, library):
    (library / "library/practices/new.md").write_text(GOOD.replace("[risk-management]", "[risk-management, juggling]"))
    expect_problem(app, library, "new.md:5: names competencies not in the framework: juggling")


def test_broken_link_names_file_and_line(app, library):
    (library / "library/practices/new.md").write_text(GOOD.replace("risk-register.md", "risk-regsiter.md"))
    expect_problem(app, library, "new.md:15: links to `../templates/risk-regsiter.md`, which is not a library document")


def test_removing_a_linked_document_is_refused_while_links_point_at_it(app, library):
    (library / "library/templates/status-report.md").unlink()
    messages = expect_problem(app, library, "links to")
    assert "status-report.md" in messages


def test_invalid_utf8(app, library):
    (library / "library/practices/new.md").write_bytes(GOOD.encode() + b"\n\xff\xfe broken\n")
    expect_problem(app, library, "library/practices/new.md:17: is not valid UTF-8")


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
    path.write_text(path.read_text().replace("          5:\n            descriptor: Recognised authority on risk.",
                                             "          6:\n            descriptor: Recognised authority on risk.", 1))
    expect_problem(app, library, "competencies/framework.yml:", "competency `risk-management` needs `levels`")


def test_role_profile_with_unknown_competency(app, library):
    path = library / "competencies/roles.yml"
    path.write_text(path.read_text().replace("      planning: 2", "      planning: 2\n      juggling: 3", 1))
    expect_problem(app, library, "competencies/roles.yml:", "targets `juggling`, which is not in the framework")


def test_all_problems_are_reported_at_once(app, library):
    (library / "library/practices/one.md").write_text("no front matter")
    (library / "library/practices/two.md").write_text(GOOD.replace("reviewed: 2026-06-01", "reviewed: soon"))
    (library / "library/practices/three.md").write_text(GOOD.replace("risk-register.md", "nowhere.md"))
    expect_problem(app, library, "one.md:1:", "two.md:9:", "three.md:15:")


def test_a_failed_sync_of_a_fresh_database_writes_nothing(app, fixture_copy):
    (fixture_copy / "library/practices/new.md").write_text("broken")
    expect_problem(app, fixture_copy, "does not start with YAML front matter")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Document.id))) == 0
        assert db.session.scalar(db.select(db.func.count(Competency.id))) == 0


def test_cli_sync_prints_every_problem_and_exits_non_zero(app, runner, library):
    (library / "library/practices/new.md").write_text("broken")
    result = runner.invoke(args=["content", "sync", "--dir", str(library)])
    assert result.exit_code == 1
    assert "error: library/practices/new.md:1: does not start with YAML front matter" in result.output
    assert "nothing was changed" in result.output


def test_cli_sync_reports_counts(app, runner, fixture_copy):
    result = runner.invoke(args=["content", "sync", "--dir", str(fixture_copy)])
    assert result.exit_code == 0, result.output
    assert "4 documents added" in result.output


def _drop_communication(root: Path) -> None:
    """Take the communication competency out of the framework, the roles and the documents."""
    from coe.competency.content import FRAMEWORK

    framework = (root / FRAMEWORK).read_text()
    start = framework.index("      - code: communication")
    end = framework.index("retired:", start)
    (root / FRAMEWORK).write_text(framework[:start] + framework[end:])
    roles = root / "competencies/roles.yml"
    roles.write_text("\n".join(line for line in roles.read_text().splitlines() if "communication:" not in line))
    report = root / "library/templates/status-report.md"
    report.write_text(report.read_text().replace("competencies: [communication]", "competencies: []"))


def test_a_competency_cannot_silently_leave_the_framework(app, library):
    _drop_communication(library)
    expect_problem(app, library, "competencies/framework.yml: the competency `communication` is no longer in the "
                                 "framework; ratings and evidence point at it, so list it under `retired:`")


def test_retired_competency_is_archived_not_deleted(app, library):
    _drop_communication(library)
    framework = library / "competencies/framework.yml"
    framework.write_text(framework.read_text().replace("retired: []",
                                                       "retired:\n  - code: communication\n    name: Communication"))
    sync(app, library)
    with app.app_context():
        comp = db.session.scalar(db.select(Competency).where(Competency.code == "communication"))
        assert comp is not None and comp.archived_at is not None


def test_renaming_a_competency_keeps_its_code_and_history(app, library):
    framework = library / "competencies/framework.yml"
    framework.write_text(framework.read_text().replace("name: Communication", "name: Communicating for decisions"))
    sync(app, library)
    with app.app_context():
        comp = db.session.scalar(db.select(Competency).where(Competency.code == "communication"))
        assert comp.name == "Communicating for decisions" and comp.archived_at is None


def test_levels_keep_their_evidence_and_the_competency_its_references(app, library):
    with app.app_context():
        comp = db.session.scalar(db.select(Competency).where(Competency.code == "risk-management"))
        assert comp.talent_triangle == "ways-of-working"
        assert comp.icb4 == ["Practice: Risk and opportunity"] and comp.gapps == ["PM03 Manage Project Progress"]
        assert comp.levels[1].evidence == ["A risk register reviewed by the lead.", "An escalation on time."]


def test_a_level_without_evidence_is_named(app, library):
    path = library / "competencies/framework.yml"
    text = path.read_text()
    start = text.index("evidence: [Workshop outputs., A mentor's sign-off.]")
    line = text.count("\n", 0, start) + 1
    path.write_text(text.replace("evidence: [Workshop outputs., A mentor's sign-off.]", "evidence: [Workshop outputs.]"))
    expect_problem(app, library, f"competencies/framework.yml:{line}: competency `risk-management` level 3 needs "
                                 "`evidence`: two or three examples")


def test_malformed_synonyms_file_is_named(app, library):
    (library / "synonyms.yml").write_text("RACI: responsible accountable consulted informed\nRAG: red\n")
    expect_problem(app, library, "synonyms.yml:2: `RAG` needs an expansion of two or more words")


def test_framework_level_keys_that_are_not_numbers_are_named_not_a_crash(app, library):
    path = library / "competencies/framework.yml"
    path.write_text(path.read_text().replace("          2:\n            descriptor: Logs and scores",
                                             "          two:\n            descriptor: Logs and scores", 1))
    expect_problem(app, library, "competency `risk-management` needs `levels` with each of 1 to 5")


def test_empty_level_descriptor_names_its_line(app, library):
    path = library / "competencies/framework.yml"
    text = path.read_text()
    start = text.index("descriptor: Runs risk workshops independently.")
    line = text.count("\n", 0, start) + 1
    path.write_text(text.replace("descriptor: Runs risk workshops independently.", "descriptor: ''"))
    expect_problem(app, library, f"competencies/framework.yml:{line}: competency `risk-management` level 3 needs "
                                 "a `descriptor`")


def test_overlong_values_are_named_before_they_reach_the_database(app, library):
    (library / "library/practices/new.md").write_text(GOOD.replace('version: "1.0"', f'version: "{"9" * 41}"'))
    expect_problem(app, library, "new.md:8: `version` must be a number or text of at most 40 characters")


def test_version_is_kept_exactly_as_written(app, library):
    (library / "library/practices/new.md").write_text(GOOD.replace('version: "1.0"', "version: 2.10"))
    sync(app, library)
    with app.app_context():
        assert db.session.scalar(db.select(Document.version).where(Document.slug == "new")) == "2.10"


def test_large_syncs_parse_on_every_core_with_the_same_results(app, fixture_copy, monkeypatch):
    from coe.library import content

    monkeypatch.setattr(content, "PARALLEL_THRESHOLD", 1)
    (fixture_copy / "library/practices/new.md").write_text(GOOD.replace("risk-register.md", "nowhere.md"))
    expect_problem(app, fixture_copy, "library/practices/new.md:15: links to `../templates/nowhere.md`")
    (fixture_copy / "library/practices/new.md").unlink()
    report = sync(app, fixture_copy)
    assert report.counts["documents added"] == 4
    with app.app_context():
        html = db.session.scalar(db.select(Document.html).where(Document.slug == "risk-workshops"))
        assert 'href="../templates/risk-register"' in html


def test_governance_placeholders_show_the_parameter_values(app, library):
    with app.app_context():
        html = db.session.scalar(db.select(Document.html).where(Document.slug == "risk-register"))
        assert "Escalate a risk scoring\n15 or more within 2 working days" in html
        method = db.session.scalar(db.select(Document.html).where(Document.slug == "predictive-delivery"))
        assert "EUR 2,000,000" in method


def test_changing_a_parameter_changes_every_document_that_shows_it(app, library):
    path = library / "governance.yml"
    path.write_text(path.read_text().replace("    value: 2\n", "    value: 3\n"))
    report = sync(app, library)
    assert report.counts["documents updated"] == 4  # every document renders again with the new values
    with app.app_context():
        html = db.session.scalar(db.select(Document.html).where(Document.slug == "risk-register"))
        assert "within 3 working days" in html


def test_an_unknown_governance_key_is_named_with_file_and_line(app, library):
    path = library / "library/templates/risk-register.md"
    text = path.read_text().replace("{{gov.risk.escalation_days}}", "{{gov.risk.escalation_dayz}}")
    path.write_text(text)
    line = text.splitlines().index(next(l for l in text.splitlines() if "escalation_dayz" in l)) + 1
    expect_problem(app, library, f"library/templates/risk-register.md:{line}: references `{{{{gov.risk.escalation_dayz}}}}`, "
                                 "which governance.yml does not define (did you mean `risk.escalation_days`?)")


def test_a_rule_written_out_literally_is_refused(app, library):
    (library / "library/practices/new.md").write_text(GOOD + "\nEscalate any risk scoring 12 or more to the sponsor.\n")
    expect_problem(app, library, "library/practices/new.md:17: states “scoring 12 or more” literally; reference the rule "
                                 "as {{gov.risk.escalation_score}}")


def test_governance_errors_are_named(app, library):
    path = library / "governance.yml"
    path.write_text(path.read_text().replace("    value: Friday\n", "    value: [Friday]\n")
                    .replace("['scor\\w* (of )?\\d+ or (more|above)']", "['scor(']"))
    expect_problem(app, library, "governance.yml:", "parameter `reporting.status_day` needs a `value`",
                   "`restated` pattern 'scor(' is not a valid regular expression")


def test_tags_come_from_the_vocabulary(app, library):
    (library / "library/practices/new.md").write_text(GOOD.replace("tags: [risk]", "tags: [risk, misc]"))
    expect_problem(app, library, "new.md:4: uses tags that tags.yml does not list: misc")


def test_missing_governance_and_tag_files_are_named(app, library):
    (library / "governance.yml").unlink()
    (library / "tags.yml").unlink()
    expect_problem(app, library, "governance.yml: is missing", "tags.yml: is missing")


def test_the_governance_page_lists_every_parameter_with_the_documents_that_use_it(app, library, client, make_person):
    make_person("pm@example.org", role_profile="pm")
    client.login("pm@example.org")
    page = client.get("/library/governance").get_data(as_text=True)
    assert "Risk escalation" in page and "risk.escalation_days" in page
    assert "Working days within which an escalated risk reaches the sponsor." in page
    start = page.index("risk.escalation_days")
    assert "/library/templates/risk-register" in page[start:page.index("</tr>", start)]
