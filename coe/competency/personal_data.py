"""What the competency domain stores about a person, for export and erasure (coe.data_rights).

Erasure keeps every rating's level, source, date and validator, every piece of evidence's level
and source, and every goal's competency and dates: the numbers of team statistics. It blanks
what the person wrote or linked: rating notes and evidence links, evidence they named by hand,
goal titles and links. Notes they wrote while validating someone else stay on that person's record.
"""

from __future__ import annotations

from sqlalchemy import select, update

from coe.competency.models import Competency, Evidence, Goal, Rating, RoleProfileChange
from coe.data_rights import json_value
from coe.extensions import db
from coe.registry import PersonalData

ERASED_EVIDENCE_TITLES = {"quiz": "Quiz passed", "track": "Track completed", "mentor": "Mentor sign-off"}


def export(person_id: int) -> dict:
    ratings = db.session.execute(
        select(Rating, Competency.code).join(Competency, Competency.id == Rating.competency_id)
        .where(Rating.person_id == person_id).order_by(Rating.created_at, Rating.id)).all()
    evidence = db.session.execute(
        select(Evidence, Competency.code).join(Competency, Competency.id == Evidence.competency_id)
        .where(Evidence.person_id == person_id).order_by(Evidence.recorded_at, Evidence.id)).all()
    goals = db.session.execute(
        select(Goal, Competency.code).join(Competency, Competency.id == Goal.competency_id)
        .where(Goal.person_id == person_id).order_by(Goal.created_at, Goal.id)).all()
    given = db.session.execute(
        select(Rating, Competency.code).join(Competency, Competency.id == Rating.competency_id)
        .where(Rating.rated_by_id == person_id, Rating.person_id != person_id)
        .order_by(Rating.created_at, Rating.id)).all()
    changes = db.session.scalars(select(RoleProfileChange).where(RoleProfileChange.person_id == person_id)
                                 .order_by(RoleProfileChange.changed_at))
    return {
        "ratings": [{"competency": code, "level": r.level, "source": r.source, "note": r.note,
                     "evidence_url": r.evidence_url, "rated_by_id": r.rated_by_id,
                     "created_at": json_value(r.created_at)} for r, code in ratings],
        "evidence": [{"competency": code, "level": e.level, "source": e.source, "title": e.title, "url": e.url,
                      "recorded_by_id": e.recorded_by_id, "recorded_at": json_value(e.recorded_at)}
                     for e, code in evidence],
        "goals": [{"competency": code, "title": g.title, "kind": g.kind, "url": g.url,
                   "target_date": json_value(g.target_date), "created_at": json_value(g.created_at),
                   "done_at": json_value(g.done_at)} for g, code in goals],
        "ratings_given": [{"person_id": r.person_id, "competency": code, "level": r.level, "source": r.source,
                           "note": r.note, "created_at": json_value(r.created_at)} for r, code in given],
        "role_profile_changes": [{"from": c.from_profile, "to": c.to_profile, "changed_by_id": c.changed_by_id,
                                  "changed_at": json_value(c.changed_at)} for c in changes],
    }


def erase(person_id: int) -> None:
    db.session.execute(update(Rating).where(Rating.person_id == person_id).values(note="", evidence_url=""))
    for evidence in db.session.scalars(select(Evidence).where(Evidence.person_id == person_id)):
        evidence.url = ""
        evidence.title = ERASED_EVIDENCE_TITLES.get(evidence.source, "Evidence")
    db.session.execute(update(Goal).where(Goal.person_id == person_id).values(title="Goal", url=""))
    db.session.flush()


PROVIDER = PersonalData("competency", export, erase)
