"""``coe content sync`` that stops at a chosen point until the test kills it: ``python stalled_sync.py PHASE MARKER``.

write  every changed row is flushed into the sync's transaction, not committed
index  the database has committed; the new index generation is fully built but not yet published

At that point the process writes its id to MARKER and sleeps.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def main() -> None:
    phase, marker = sys.argv[1], Path(sys.argv[2])

    def stall() -> None:
        marker.write_text(str(os.getpid()))
        time.sleep(300)

    if phase == "write":
        from coe.content import pipeline
        from coe.extensions import db

        real_utcnow = pipeline.utcnow

        def stalled_utcnow():  # called once the sources have applied their changes
            db.session.flush()
            stall()
            return real_utcnow()

        pipeline.utcnow = stalled_utcnow
    elif phase == "index":
        from coe.library.search.storage import SearchIndex

        for name in ("_build", "_apply"):
            def stalled(self, folder, work, _real=getattr(SearchIndex, name)):
                _real(self, folder, work)
                stall()

            setattr(SearchIndex, name, stalled)
    else:
        raise SystemExit(f"unknown phase {phase}")

    from coe.cli import main as coe

    sys.argv = ["coe", "content", "sync"]
    coe()


if __name__ == "__main__":
    main()
