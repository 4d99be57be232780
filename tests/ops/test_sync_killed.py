"""``coe content sync`` killed mid-way: the old content and the old index keep serving; the next sync completes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from coe.config import SOURCE_ROOT
from coe.content.pipeline import current_generation
from coe.extensions import db
from coe.library.models import Document

WORD = "zephyrquokka"


def _env(test_database: str, tmp_path: Path, content: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(SOURCE_ROOT), "COE_DATABASE_URL": test_database,
           "COE_INSTANCE_PATH": str(tmp_path / "cli"), "COE_INDEX_DIR": str(tmp_path / "index"),
           "COE_CONTENT_DIR": str(content), "COE_SECRET_KEY": "sync-test-secret-key-0123456789abcdef"}
    env.pop("COE_TEST_DATABASE_URL", None)
    return env


def _kill_at(phase: str, env: dict, tmp_path: Path) -> None:
    marker, output = tmp_path / f"{phase}.pid", tmp_path / f"{phase}.out"
    with open(output, "wb") as out:
        process = subprocess.Popen([sys.executable, str(Path(__file__).with_name("stalled_sync.py")), phase,
                                    str(marker)], env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert process.poll() is None, output.read_text()
        assert time.monotonic() < deadline, "the sync never reached the point where it is killed"
        time.sleep(0.1)
    time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    assert process.returncode == -signal.SIGKILL


def _pointer(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "index" / "CURRENT").read_text())


def _state(app) -> tuple[int, str]:
    with app.app_context():
        body = db.session.scalar(select(Document.source).where(Document.slug == "risk-register"))
        generation = current_generation()
        db.session.remove()
        return generation, body


def _search(client, q: str) -> str:
    page = client.get(f"/search?q={q}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_a_killed_sync_leaves_the_old_content_and_index_and_the_next_sync_completes(
        app, pm_client, content_copy, test_database, tmp_path):
    document = content_copy / "library" / "templates" / "risk-register.md"
    document.write_text(document.read_text() + f"\n\nThe {WORD} review happens every quarter.\n")
    env = _env(test_database, tmp_path, content_copy)
    generation, body = _state(app)
    pointer = _pointer(tmp_path)
    assert WORD not in body and "Risk Register" in _search(pm_client, "risk+register")

    # Killed while its changes sit in its open transaction: nothing of them is visible, then or after.
    _kill_at("write", env, tmp_path)
    assert _state(app) == (generation, body)
    assert _pointer(tmp_path) == pointer
    assert "Risk Register" in _search(pm_client, "risk+register")

    # Killed after the database committed, while the new index was being built: the old index
    # stays published and keeps answering; the half-made build is not used.
    _kill_at("index", env, tmp_path)
    new_generation, new_body = _state(app)
    assert new_generation == generation + 1 and WORD in new_body
    assert _pointer(tmp_path) == pointer
    assert any(child.name.startswith("tmp-") for child in (tmp_path / "index").iterdir())
    with app.app_context():
        from coe.library.services import search_index

        assert search_index().generation() == pointer["generation"]

    # The next sync completes, and the index serves the new content.
    done = subprocess.run([sys.executable, "-c", "from coe.cli import main; main()", "content", "sync"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _pointer(tmp_path)["generation"] == new_generation
    assert not any(child.name.startswith("tmp-") for child in (tmp_path / "index").iterdir())
    assert "Risk Register" in _search(pm_client, WORD)
