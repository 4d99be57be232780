"""The competency profile for a person with five years of monthly ratings in every competency.

    python bench/competency_bench.py [--years 5] [--requests 40]

Syncs the real content into a fresh SQLite database, gives a PM a rating in every competency
every month for N years (alternating self and lead, with some evidence), and times the profile
pages in-process as the PM and as their lead. Prints medians and the SQL statements per page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inprocess import measure_page  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from coe import create_app  # noqa: E402
from coe.extensions import db  # noqa: E402

PASSWORD = "bench password 2026"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    from flask_migrate import upgrade

    from coe.auth import services
    from coe.competency.models import Competency, Evidence, Rating
    from coe.content.pipeline import run_sync

    work = Path(tempfile.mkdtemp(prefix="coe-competency-bench-"))
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.sqlite3'}", "SECRET_KEY": "bench",
                          "COE_INDEX_DIR": str(work / "index"), "RATELIMIT_ENABLED": False,
                          "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False})
        with app.app_context():
            upgrade()
            run_sync(app.config["COE_CONTENT_DIR"])
            team = services.create_team("Bench Team")
            pm = services.create_person(services.PersonData(email="pm@example.org", display_name="Bench PM",
                                                            team_id=team.id, role_profile="pm"), password=PASSWORD)
            lead = services.create_person(services.PersonData(email="lead@example.org", display_name="Bench Lead",
                                                              team_id=team.id, led_team_ids=(team.id,),
                                                              role_profile="program-manager"), password=PASSWORD)
            competencies = list(db.session.scalars(select(Competency.id)))
            start = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc) - dt.timedelta(days=365 * args.years)
            months = 12 * args.years
            db.session.execute(insert(Rating), [
                {"person_id": pm.id, "competency_id": c, "level": 1 + (m * 7 + c) % 5,
                 "source": "self" if m % 2 else "lead", "rated_by_id": pm.id if m % 2 else lead.id,
                 "note": "Monthly review.", "evidence_url": "", "created_at": start + dt.timedelta(days=30 * m)}
                for c in competencies for m in range(months)])
            db.session.execute(insert(Evidence), [
                {"person_id": pm.id, "competency_id": c, "source": "manual", "level": 2, "title": f"Evidence {m}",
                 "url": "", "ref": f"bench:{m}", "recorded_at": start + dt.timedelta(days=90 * m)}
                for c in competencies for m in range(months // 3)])
            db.session.commit()
            pm_id, rating_count = pm.id, len(competencies) * months
            engine = db.engine
        pages = {"/me/competencies (the PM)": ("pm@example.org", "/me/competencies"),
                 "/people/<id>/competencies (lead)": ("lead@example.org", f"/people/{pm_id}/competencies"),
                 "radar SVG of one area": ("pm@example.org", "/me/competencies/radar/ways-of-working.svg")}
        results = {}
        for name, (email, path) in pages.items():
            client = app.test_client()
            client.post("/login", data={"email": email, "password": PASSWORD})
            found = measure_page(client, engine, path, args.requests, warm=3)
            results[name] = (found.median_ms, found.statements)
        with app.app_context():
            db.engine.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nCompetency profile of a PM with {rating_count} ratings ({args.years} years, monthly, every "
          f"competency), in-process median of {args.requests} requests\n")
    print(f"| {'page':<36} | {'median':>9} | {'SQL statements':>14} |")
    print(f"|{'-' * 38}|{'-' * 11}|{'-' * 16}|")
    for name, (median, statements) in results.items():
        print(f"| {name:<36} | {median:>6.1f} ms | {statements:>14} |")


if __name__ == "__main__":
    main()
