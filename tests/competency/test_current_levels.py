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
