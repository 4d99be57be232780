"""A restore takes the database back to an earlier content generation; the search index must follow it.

The index numbers itself with the content generation it holds. After restoring a backup made before
a sync, the database is at generation G while this host's index held G + 1: the rebuilt index must
take generation G, or the next sync (which brings the database to G + 1 again) finds the index
"already at G + 1" and never indexes its changes.
"""

from __future__ import annotations

import shutil

import pytest

from coe.library.search import SearchIndex, SearchRequest, search
from coe.registry import SearchChanges, SearchDocument

WORD = "quillfeather"


def _doc(ref: str, text: str) -> SearchDocument:
    return SearchDocument(ref=ref, kind="templates", title=ref.split("/")[1].replace("-", " ").title(),
                          summary="A template of the CoE.", text=text)


def _refs(index: SearchIndex, q: str) -> list[str]:
    return [hit.ref for hit in search(index.current(), SearchRequest(q)).hits]


def test_a_forced_rebuild_takes_the_databases_generation_even_below_the_index(tmp_path):
    before = [_doc("templates/risk-register", "Probability and impact scales for every risk.")]
    after = [_doc("templates/risk-register", f"Probability and impact scales; the {WORD} check.")]
    index = SearchIndex(tmp_path / "index")
    assert index.refresh(4, lambda since: SearchChanges([], []), lambda: before) == "rebuilt"
    assert index.refresh(5, lambda since: SearchChanges(after, []), lambda: after) == "updated"
    assert _refs(index, WORD) == ["templates/risk-register"]

    # The database is restored to generation 4: the rebuild from it is numbered 4, not 5 ...
    assert index.refresh(4, lambda since: SearchChanges([], []), lambda: before, force=True) == "rebuilt"
    assert index.generation() == 4 and _refs(index, WORD) == []
    # ... so the next sync, which publishes generation 5 again, reaches the index.
    assert index.refresh(5, lambda since: SearchChanges(after, []) if since == 4 else None, lambda: after) == "updated"
    assert index.generation() == 5 and _refs(index, WORD) == ["templates/risk-register"]


def test_after_restoring_an_older_backup_the_next_sync_reaches_the_index(app, runner, pm_client, content_copy,
                                                                         tmp_path, test_database):
    if "restore" not in app.cli.commands:
        pytest.skip("the coe backup and coe restore commands are not part of this build")
    if test_database.startswith("postgresql") and not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    backup_file = tmp_path / "before-the-edit.backup"
    result = runner.invoke(args=["backup", str(backup_file)])
    assert result.exit_code == 0, result.output
    document = content_copy / "library" / "templates" / "risk-register.md"
    document.write_text(document.read_text() + f"\n\nThe {WORD} check runs before every steering committee.\n")

    result = runner.invoke(args=["content", "sync", "--dir", str(content_copy)])
    assert result.exit_code == 0, result.output
    assert "Risk Register" in pm_client.get(f"/search?q={WORD}").get_data(as_text=True)

    result = runner.invoke(args=["restore", str(backup_file), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Risk Register" not in pm_client.get(f"/search?q={WORD}").get_data(as_text=True)

    result = runner.invoke(args=["content", "sync", "--dir", str(content_copy)])
    assert result.exit_code == 0, result.output
    assert "Risk Register" in pm_client.get(f"/search?q={WORD}").get_data(as_text=True), \
        "the sync after the restore did not reach the search index"
