"""Demo enrolments: people at every stage of the tracks, a few certificates, a practice task awaiting review."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coe.auth.models import Person, utcnow
from coe.competency import profile
from coe.extensions import db
from coe.training.models import Certificate, Enrolment, StepCompletion, StepSubmission, Track
from coe.training.services import new_certificate_code

# (email, track, steps done or None for all, days since enrolling, days since the last step, a task awaiting review)
JOURNEYS = [
    ("pm@example.org", "new-pm-onboarding", 5, 16, 2, False),
    ("ben.carter@example.org", "new-pm-onboarding", 10, 34, 3, True),
    ("amara.okafor@example.org", "new-pm-onboarding", None, 120, 70, False),
    ("amara.okafor@example.org", "risk-management", 3, 60, 8, False),
    ("daniela.rossi@example.org", "new-pm-onboarding", 4, 80, 45, False),
    ("emil.novak@example.org", "new-pm-onboarding", None, 150, 110, False),
    ("emil.novak@example.org", "agile-delivery", 6, 50, 12, False),
    ("gustav.lind@example.org", "stakeholder-leadership", None, 140, 85, False),
    ("isaac.mensah@example.org", "stakeholder-leadership", None, 100, 40, False),
    ("hana.sato@example.org", "new-pm-onboarding", 2, 10, 4, False),
    ("kofi.asante@example.org", "new-pm-onboarding", 7, 40, 6, False),
    ("mateo.silva@example.org", "agile-delivery", None, 90, 30, False),
    ("nora.byrne@example.org", "new-pm-onboarding", 1, 70, 62, False),
    ("quentin.moreau@example.org", "new-pm-onboarding", 9, 45, 20, False),
    ("rosa.martins@example.org", "stakeholder-leadership", 3, 25, 5, False),
    ("umar.farouk@example.org", "new-pm-onboarding", None, 200, 160, False),
    ("umar.farouk@example.org", "governance-and-gates", 8, 120, 33, False),
    ("william.osei@example.org", "risk-management", 2, 30, 9, False),
]

TASK_SUBMISSION = (
    "Draft charter for the supplier portal replacement (Tier 2).\n\n"
    "Objectives: retire the 2014 portal by Q3, move 420 suppliers to self-service onboarding, cut invoice "
    "queries by a third. Scope in: onboarding, invoice status, catalogue upload; out: contract management.\n"
    "Sponsor: Director of Procurement. Gate G1 booked for the 14th; risks logged with owners in the RAID log.\n"
    "Open question for the review: is the budget tolerance of 10% right for a project with this much vendor risk?"
)


def seed_tracks(password: str) -> list[tuple[str, str]]:
    """Seed the journeys above; completed ones get their certificate and competency evidence."""
    now = utcnow()
    tracks = {t.slug: t for t in db.session.scalars(select(Track).where(Track.archived_at.is_(None))
                                                    .options(selectinload(Track.steps), selectinload(Track.competencies)))}
    people = {p.email: p for p in db.session.scalars(select(Person))}
    for email, slug, done, started, last, pending in JOURNEYS:
        person, track = people.get(email), tracks.get(slug)
        if person is None or track is None:
            continue
        steps = track.live_steps
        count = len(steps) if done is None else min(done, len(steps))
        enrolled_at = now - dt.timedelta(days=started)
        finished_at = now - dt.timedelta(days=last)
        enrolment = Enrolment(person_id=person.id, track_id=track.id, enrolled_at=enrolled_at)
        db.session.add(enrolment)
        for n, step in enumerate(steps[:count]):
            when = enrolled_at + (finished_at - enrolled_at) * (n + 1) / count
            db.session.add(StepCompletion(person_id=person.id, step_id=step.id, completed_at=when,
                                          completed_by_id=person.id if step.kind == "read" else None))
        if done is None:
            enrolment.completed_at = finished_at
            db.session.add(Certificate(code=new_certificate_code(), person_id=person.id, track_id=track.id,
                                       track_title=track.title, person_name=person.display_name,
                                       issued_at=finished_at))
            for competency in track.competencies:
                profile.record_evidence(person.id, competency.competency_code, "track", competency.level,
                                        f"Track completed: {track.title}", f"/tracks/{slug}/certificate",
                                        f"track/{slug}")
        elif pending and count < len(steps) and steps[count].kind == "task":
            db.session.add(StepSubmission(person_id=person.id, step_id=steps[count].id, text=TASK_SUBMISSION,
                                          link="https://sharepoint.example.org/sites/pmo/supplier-portal/charter-v0.3.docx",
                                          state="submitted", submitted_at=now - dt.timedelta(days=1)))
    db.session.flush()
    return []
