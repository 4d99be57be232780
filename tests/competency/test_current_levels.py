"""current_level, the table team views aggregate over, always says what the rating history says."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import insert, select

from coe.auth.models import Person
from coe.competency import current, profile
from coe.competency import levels as lv
from coe.competency.models import Competency, CurrentLevel, Rating
from coe.extensions import db


def _table() -> dict[tuple[int, str], tuple]:
    return {(person_id, code): (level, validated_level, self_level) for person_id, code, level, validated_level, self_level
            in db.session.execute(select(CurrentLevel.person_id, Competency.code, CurrentLevel.level,
                                         CurrentLevel.validated_level, CurrentLevel.self_level)
                                  .join(Competency, Competency.id == CurrentLevel.competency_id))}


def _from_history(person_ids) -> dict[tuple[int, str], tuple]:
    found = {}
    for person_id in person_ids:
        for code, known in lv.current_levels(profile.rating_facts(person_id)).items():
            found[person_id, code] = (known.level, known.validated_level, known.self_level)
    return found


def test_every_rating_through_the_services_keeps_the_table_in_step(app, make_person, make_team, ctx):
    team = make_team("Digital Delivery")
    lead_id = make_person("lead@example.org", leads=(team,))
    ids = [make_person(f"pm{n}@example.org", team_id=team) for n in range(3)]
    rng = random.Random(7)
    lead = db.session.get(Person, lead_id)
    codes = ["risk-management", "planning", "estimation"]
    for _ in range(60):
        person = db.session.get(Person, rng.choice(ids))
        code, level = rng.choice(codes), rng.randint(1, 5)
        if rng.random() < 0.5:
            profile.self_assess(person, code, level)
        else:
            profile.validate(lead, person, code, level, "", rng.choice(["lead", "mentor"]))
        assert _table() == _from_history(ids)
    db.session.commit()


def test_a_rebuild_after_a_bulk_load_gives_what_the_history_says(app, make_person, ctx):
    ids = [make_person(f"pm{n}@example.org") for n in range(4)]
    competency_ids = list(db.session.scalars(select(Competency.id).limit(4)))
    start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    rng = random.Random(3)
    db.session.execute(insert(Rating), [
        {"person_id": rng.choice(ids), "competency_id": rng.choice(competency_ids), "level": rng.randint(1, 5),
         "source": rng.choice(["self", "lead", "mentor", "import", "quiz", "track"]), "note": "", "evidence_url": "",
         "created_at": start + dt.timedelta(days=rng.randint(0, 500), seconds=n)} for n in range(200)])
    current.rebuild()
    assert _table() == _from_history(ids)
    current.rebuild(ids[:2])
    assert _table() == _from_history(ids)


def test_the_migration_fills_current_levels_from_the_existing_ratings(tmp_path):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from coe import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.db'}", "SECRET_KEY": "k"})
    with app.app_context():
        upgrade(revision="0008")
        db.session.execute(text(
            "INSERT INTO person (id, email, display_name, active, time_zone, is_mentor, is_admin, session_version, "
            "created_at) VALUES (1, 'pm@example.org', 'PM', 1, 'UTC', 0, 0, 1, '2026-01-01')"))
        db.session.execute(text("INSERT INTO competency_area (id, code, name, description, position) "
                                "VALUES (1, 'ways', 'Ways', '', 0)"))
        for competency_id in (1, 2, 3):
            db.session.execute(text(
                "INSERT INTO competency (id, code, area_id, name, description, position, talent_triangle, icb4, "
                "gapps) VALUES (:id, :code, 1, :code, '', :id, '', '[]', '[]')"), {"id": competency_id,
                                                                                 "code": f"c{competency_id}"})
        history = [(1, 2, "self", "2026-01-01"), (1, 3, "lead", "2026-02-01"), (1, 5, "self", "2026-03-01"),
                   (2, 4, "self", "2026-01-05"), (2, 1, "quiz", "2026-04-01"),
                   (3, 2, "mentor", "2026-01-01"), (3, 4, "import", "2026-01-01"), (3, 1, "self", "2025-12-01")]
        for rating_id, (competency_id, level, source, when) in enumerate(history, start=1):
            db.session.execute(text(
                "INSERT INTO rating (id, person_id, competency_id, level, source, note, evidence_url, created_at) "
                "VALUES (:id, 1, :c, :level, :source, '', '', :when)"),
                {"id": rating_id, "c": competency_id, "level": level, "source": source, "when": when})
        db.session.commit()
        upgrade()
        rows = db.session.execute(text("SELECT competency_id, level, validated_level, self_level FROM current_level "
                                       "ORDER BY competency_id")).all()
        # c1: the validated 3 outranks the newer self 5; c2: self 4 (a quiz result is evidence, not a level);
        # c3: of two validations at the same moment the later recorded one (import, 4) wins.
        assert [tuple(row) for row in rows] == [(1, 3, 3, 5), (2, 4, None, 4), (3, 4, 4, 1)]
        db.engine.dispose()


def test_a_refresh_that_saw_only_an_older_rating_never_undoes_a_newer_one(app, make_person, ctx):
    """Two validations at the same moment: the one that commits last saw only its own (older) rating."""
    person_id = make_person("pm@example.org")
    risk = db.session.scalar(select(Competency.id).where(Competency.code == "risk-management"))
    newer = dt.datetime(2026, 5, 2, tzinfo=dt.timezone.utc)
    db.session.execute(insert(Rating), [{"person_id": person_id, "competency_id": risk, "level": 4, "source": "lead",
                                         "note": "", "evidence_url": "", "created_at": newer}])
    current.refresh(person_id, risk)
    # What the other transaction's refresh computed: only its own rating, a day older, validated at 2.
    db.session.execute(current._upsert(select(  # noqa: SLF001
        db.literal(person_id), db.literal(risk), db.literal(2), db.literal(2), db.literal(None),
        db.literal(newer - dt.timedelta(days=1), Rating.created_at.type), db.literal(None, Rating.created_at.type))))
    row = db.session.get(CurrentLevel, (person_id, risk))
    assert (row.level, row.validated_level) == (4, 4)


def test_the_batch_read_gives_each_persons_levels_from_their_history(app, make_person, make_team, ctx):
    """What profiles, matching and the lead's sections read equals what the rating history says."""
    from coe.mentoring.services import validated_levels

    team = make_team("Digital Delivery")
    lead = db.session.get(Person, make_person("lead@example.org", leads=(team,)))
    ids = [make_person(f"pm{n}@example.org", team_id=team) for n in range(3)]
    unrated = make_person("new@example.org", team_id=team)
    rng = random.Random(11)
    for _ in range(40):
        person = db.session.get(Person, rng.choice(ids))
        code, level = rng.choice(["risk-management", "planning", "governance"]), rng.randint(1, 5)
        if rng.random() < 0.5:
            profile.self_assess(person, code, level)
        else:
            profile.validate(lead, person, code, level, "", "lead")
    found = current.levels_of([*ids, unrated])
    assert found[unrated] == {}
    validated = validated_levels([*ids, unrated])
    for person_id in ids:
        from_history = lv.current_levels(profile.rating_facts(person_id))
        assert found[person_id] == from_history
        assert profile.levels_and_gaps(db.session.get(Person, person_id))[0] == from_history
        assert validated.get(person_id, {}) == {code: known.validated_level for code, known in from_history.items()
                                                if known.validated_level is not None}
    assert unrated not in validated
