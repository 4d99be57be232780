"""The real app for gunicorn, with one place where a request stops until its worker is killed.

An import of people whose emails are at @slow.example.org writes every row (flushed, in its
transaction), then writes its process id to COE_TEST_PAUSE_MARKER and sleeps: the test kills
that worker there, mid-request, before the transaction could commit.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from coe import create_app
from coe.auth import services


def create():
    app = create_app()
    marker = Path(os.environ["COE_TEST_PAUSE_MARKER"])
    original = services.import_people_csv

    def import_then_stall(text: str, *args, **kwargs):
        result = original(text, *args, **kwargs)
        if "@slow.example.org" in text:
            marker.write_text(str(os.getpid()))
            time.sleep(300)
        return result

    services.import_people_csv = import_then_stall
    return app
