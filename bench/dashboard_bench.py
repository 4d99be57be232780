"""The lead's dashboard for the whole organisation: 500 people x 20 competencies, 3 years of monthly ratings,
30 tracks with three enrolments per person, 200 active mentorships.

    python bench/dashboard_bench.py [--people 500] [--competencies 20] [--years 3] [--requests 20]
                                    [--database-url postgresql://postgres@127.0.0.1:5432/coe_bench]

Syncs the real content into a fresh SQLite database (or empties the PostgreSQL database given), seeds people in teams of 20 across the role
profiles with a rating in each of N competencies every month (self and lead alternating), brings
the current levels up to date once, and times, in-process as an admin: /team for the whole
organisation, its CSV and Excel exports, and the trend page. Prints medians and SQL statements.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inprocess import measure_page  # noqa: E402
from sqlalchemy import func, insert, select, text, update  # noqa: E402

from coe import create_app  # noqa: E402
from coe.extensions import db  # noqa: E402

PASSWORD = "bench password 2026"
TARGETS_MS = {"/team (whole organisation)": 300, "/team/export.csv": 1000}


def seed(people: int, competencies: int, years: int) -> int:
    from coe.auth import services
    from coe.auth.models import Person
    from coe.competency import current
    from coe.competency.models import Competency, Rating, RoleProfile

    services.create_person(services.PersonData(email="admin@example.org", display_name="Bench Admin", is_admin=True),
                           password=PASSWORD)
    profiles = list(db.session.scalars(select(RoleProfile.code).order_by(RoleProfile.position)))
    teams = [services.create_team(f"Bench team {n + 1:02d}").id for n in range(-(-people // 20))]
    now = dt.datetime.now(dt.timezone.utc)
    db.session.execute(insert(Person), [
        {"email": f"pm{n}@example.org", "display_name": f"Bench PM {n:04d}", "team_id": teams[n // 20],
         "role_profile": profiles[n % len(profiles)], "active": True, "created_at": now} for n in range(people)])
    person_ids = list(db.session.scalars(select(Person.id).where(Person.email.like("pm%@example.org"))))
    competency_ids = list(db.session.scalars(select(Competency.id).where(Competency.archived_at.is_(None))
                                             .order_by(Competency.area_id, Competency.position).limit(competencies)))
    start = now - dt.timedelta(days=365 * years)
    months = 12 * years
    count = 0
    for person in person_ids:  # one batch per person keeps memory flat
        db.session.execute(insert(Rating), [
            {"person_id": person, "competency_id": c, "level": 1 + (m // 8 + c + person) % 5,
             "source": "self" if m % 2 else "lead", "note": "Monthly review.", "evidence_url": "",
             "created_at": start + dt.timedelta(days=30 * m, minutes=c)}
            for c in competency_ids for m in range(months)])
        count += len(competency_ids) * months
    current.rebuild()
    seed_learning_and_mentoring(person_ids, profiles, now)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load, without waiting for it
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    return count


def seed_learning_and_mentoring(person_ids: list[int], profiles: list[str], now: dt.datetime,
                                tracks: int = 30, mentorships: int = 200) -> None:
    """Tracks up to ``tracks`` (the synced ones, then bench tracks of 8 steps), each person enrolled in three
    at various stages, some idle for weeks; 40 of the people mentor, with ``mentorships`` active mentorships."""
    from coe.mentoring.models import MentorProfile, Mentorship
    from coe.training.models import Enrolment, StepCompletion, Track, TrackStep

    have = db.session.scalar(select(func.count(Track.id))) or 0
    db.session.execute(insert(Track), [
        {"slug": f"bench-track-{n:02d}", "title": f"Bench track {n:02d}", "summary": "Eight steps of reading.",
         "hours": 8, "ordered": True, "prerequisites": [], "position": 100 + n, "checksum": "bench", "generation": 1}
        for n in range(max(0, tracks - have))])
    for track_id in db.session.scalars(select(Track.id).where(Track.slug.like("bench-track-%"))):
        db.session.execute(insert(TrackStep), [
            {"track_id": track_id, "key": f"step-{n}", "position": n, "kind": "read",
             "document_ref": "templates/project-charter"} for n in range(8)])
    track_ids = list(db.session.scalars(select(Track.id).order_by(Track.position)))
    steps: dict[int, list[int]] = {}
    for track_id, step_id in db.session.execute(select(TrackStep.track_id, TrackStep.id).order_by(TrackStep.position)):
        steps.setdefault(track_id, []).append(step_id)
    enrolments, completions = [], []
    for n, person in enumerate(person_ids):
        for k in range(3):
            track = track_ids[(n + 7 * k) % len(track_ids)]
            done = (n + k) % (len(steps[track]) + 1)
            started = now - dt.timedelta(days=20 + (n * 7 + k) % 200)
            finished = done == len(steps[track])
            enrolments.append({"person_id": person, "track_id": track, "enrolled_at": started,
                               "completed_at": started + dt.timedelta(days=done * 3) if finished else None})
            completions += [{"person_id": person, "step_id": step, "completed_at": started + dt.timedelta(days=3 * i)}
                            for i, step in enumerate(steps[track][:done])]
    db.session.execute(insert(Enrolment), enrolments)
    db.session.execute(insert(StepCompletion), completions)
    from coe.auth.models import Person

    mentors = person_ids[::len(person_ids) // 40 or 1][:40]
    db.session.execute(update(Person).where(Person.id.in_(mentors)).values(is_mentor=True))
    db.session.execute(insert(MentorProfile), [
        {"person_id": m, "bio": "Bench mentor.", "competencies": [], "languages": ["en"], "capacity": 6}
        for m in mentors])
    mentees = [p for p in person_ids if p not in set(mentors)][:mentorships]
    db.session.execute(insert(Mentorship), [
        {"mentor_id": mentors[n % len(mentors)], "mentee_id": mentee, "state": "active", "requested_at": now,
         "answered_at": now} for n, mentee in enumerate(mentees)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--competencies", type=int, default=20)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database-url", help="a PostgreSQL database to empty and use instead of SQLite")
    args = parser.parse_args()
    from flask_migrate import upgrade

    from coe.content.pipeline import run_sync

    work = Path(tempfile.mkdtemp(prefix="coe-dashboard-bench-"))
    try:
        url = args.database_url or f"sqlite:///{work / 'bench.sqlite3'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                          "COE_INDEX_DIR": str(work / "index"), "RATELIMIT_ENABLED": False,
                          "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False})
        with app.app_context():
            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as conn:
                    conn.execute(text("DROP SCHEMA public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
            upgrade()
            run_sync(app.config["COE_CONTENT_DIR"])
            started = time.perf_counter()
            ratings = seed(args.people, args.competencies, args.years)
            seeded = time.perf_counter() - started
            engine, dialect = db.engine, db.engine.dialect.name
        pages = {"/team (whole organisation)": "/team", "/team sorted by total gap": "/team?sort=gap",
                 "/team/export.csv": "/team/export.csv", "/team/export.xlsx": "/team/export.xlsx",
                 "/team/trend (whole organisation)": "/team/trend"}
        client = app.test_client()
        client.post("/login", data={"email": "admin@example.org", "password": PASSWORD})
        results = {}
        for name, path in pages.items():
            found = measure_page(client, engine, path, args.requests)
            results[name] = (found.median_ms, found.statements, found.size)
        with app.app_context():
            db.engine.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nDashboard of {args.people} people x {args.competencies} competencies, {ratings} ratings "
          f"({args.years} years, monthly; seeded in {seeded:.0f} s), {dialect}, in-process median of "
          f"{args.requests} requests as an admin\n")
    print(f"| {'page':<34} | {'median':>10} | {'target':>8} | {'SQL statements':>14} | {'size':>9} |")
    print(f"|{'-' * 36}|{'-' * 12}|{'-' * 10}|{'-' * 16}|{'-' * 11}|")
    for name, (median, statements, size) in results.items():
        target = f"{TARGETS_MS[name]} ms" if name in TARGETS_MS else "—"
        print(f"| {name:<34} | {median:>7.1f} ms | {target:>8} | {statements:>14} | {size / 1024:>6.0f} kB |")


if __name__ == "__main__":
    main()
