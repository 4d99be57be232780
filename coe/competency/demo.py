"""Demo ratings: a believable year of self-assessments, validations and evidence for every demo person."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import insert, select

from coe.auth.models import Person, Team, utcnow
from coe.competency import current
from coe.competency.models import Competency, Evidence, Goal, Rating, RoleProfile, RoleTarget
from coe.extensions import db

SEED = 20261126  # the same demo every time


def seed_ratings(password: str) -> list[tuple[str, str]]:
    """Most people a level short of some targets and ahead in a few, self-ratings a little above validated ones."""
    rng = random.Random(SEED)
    now = utcnow()
    competencies = {c.code: c.id for c in db.session.scalars(select(Competency).where(Competency.archived_at.is_(None)))}
    targets: dict[str, dict[str, int]] = {}
    for profile, code, level in db.session.execute(
            select(RoleProfile.code, Competency.code, RoleTarget.level).join(RoleTarget.role_profile)
            .join(RoleTarget.competency)):
        targets.setdefault(profile, {})[code] = level
    people = list(db.session.scalars(select(Person).order_by(Person.id)))
    lead_of_team = {team.id: [lead.id for lead in team.leads] for team in db.session.scalars(select(Team))}
    mentors = [person.id for person in people if person.is_mentor]
    ratings, evidence = [], []
    for person in people:
        profile_targets = targets.get(person.role_profile or "", {})
        if not profile_targets:
            continue
        validators = lead_of_team.get(person.team_id, []) + mentors
        validators = [v for v in validators if v != person.id] or [v for v in mentors if v != person.id]
        for code, target in profile_targets.items():
            if rng.random() < 0.15:
                continue  # not every competency is assessed yet
            level = max(1, min(5, target + rng.choice([-2, -1, -1, 0, 0, 0, 1])))
            start = now - dt.timedelta(days=rng.randint(300, 360))
            first_self = max(1, min(5, level - rng.choice([0, 1])))
            ratings.append(_rating(person.id, competencies[code], first_self, "self", person.id, start,
                                   "First self-assessment against the framework."))
            if validators and rng.random() < 0.75:
                when = start + dt.timedelta(days=rng.randint(20, 90))
                validator = rng.choice(validators)
                source = "lead" if validator in lead_of_team.get(person.team_id, []) else "mentor"
                validated = max(1, first_self - rng.choice([0, 0, 1]))
                ratings.append(_rating(person.id, competencies[code], validated, source, validator, when,
                                       "Checked against the evidence in the last gate pack."))
                if level > validated and rng.random() < 0.6:
                    later = when + dt.timedelta(days=rng.randint(90, 200))
                    ratings.append(_rating(person.id, competencies[code], min(5, level), "self", person.id, later,
                                           "Ran this on my own on the current project."))
                    if rng.random() < 0.6:
                        ratings.append(_rating(person.id, competencies[code], min(5, level), source, validator,
                                               later + dt.timedelta(days=rng.randint(10, 40)),
                                               "Observed in the steering committee and the risk review."))
            if rng.random() < 0.08:
                # An over-confident self-rating: two levels above what was validated.
                ratings.append(_rating(person.id, competencies[code], min(5, level + 2), "self", person.id,
                                       now - dt.timedelta(days=rng.randint(5, 40)), "I think I am there now."))
            if rng.random() < 0.3:
                evidence.append({"person_id": person.id, "competency_id": competencies[code],
                                 "source": rng.choice(["manual", "mentor"]), "level": max(1, level - 1),
                                 "title": rng.choice(EVIDENCE_TITLES), "url": "", "ref": f"demo:{code}",
                                 "recorded_by_id": rng.choice(validators) if validators else None,
                                 "recorded_at": start + dt.timedelta(days=rng.randint(30, 280))})
    if ratings:
        db.session.execute(insert(Rating), ratings)
        current.rebuild()
    if evidence:
        db.session.execute(insert(Evidence), evidence)
    priya = next((person for person in people if person.email == "pm@example.org"), None)
    if priya is not None and "risk-management" in competencies:
        db.session.add(Goal(person_id=priya.id, competency_id=competencies["risk-management"],
                            title="Risk management track", kind="Track", url="/tracks/risk-management",
                            target_date=(now + dt.timedelta(days=60)).date()))
    db.session.flush()
    return []


EVIDENCE_TITLES = [
    "Risk register run through G2 and G3, reviewed by the lead",
    "Steering committee pack for the CRM migration",
    "Stakeholder map and engagement plan for the warehouse opening",
    "Change request for the regulatory reporting scope change, approved first time",
    "Retrospective actions closed over three sprints",
    "Schedule baseline with critical path, accepted at G2",
]


def _rating(person_id: int, competency_id: int, level: int, source: str, by: int, when: dt.datetime,
            note: str) -> dict:
    return {"person_id": person_id, "competency_id": competency_id, "level": level, "source": source,
            "rated_by_id": by, "created_at": when, "note": note, "evidence_url": ""}
