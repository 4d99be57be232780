"""Walking a person through a track as the other domains would: reading, passing quizzes, reviews, sign-offs."""

from __future__ import annotations

from coe.auth.models import Person
from coe.extensions import db
from coe.registry import registry
from coe.training import services


def person(person_id: int) -> Person:
    return db.session.get(Person, person_id)


def pass_quiz(person_id: int, slug: str) -> None:
    """What the quiz domain does when a person first passes a quiz: call every listener."""
    for listener in registry().quiz_pass_listeners:
        listener(person_id, slug)


def do_step(person_id: int, slug: str, key: str, reviewer_id: int) -> None:
    """Complete one step the way its kind completes."""
    track = services.get_track(slug)
    step = next(s for s in track.live_steps if s.key == key)
    pm = person(person_id)
    if step.kind == "read":
        services.mark_read(pm, slug, key)
    elif step.kind == "quiz":
        pass_quiz(person_id, step.quiz_slug)
    elif step.kind == "task":
        submission = services.submit(pm, slug, key, "My draft, with the sponsor's comments.", "")
        services.review(person(reviewer_id), submission.id, True, "")
    else:
        for listener in registry().mentor_signoff_listeners:
            listener(person_id, step.competency_code, reviewer_id)


def finish(person_id: int, slug: str, reviewer_id: int, until: int | None = None) -> None:
    """Enrol (if need be) and complete the steps in order, all of them or the first ``until``."""
    track = services.get_track(slug)
    enrolment = services._enrolment(person_id, track.id)
    if enrolment is None or enrolment.left_at is not None:
        services.enrol(person(person_id), slug)
    for step in track.live_steps[:until]:
        if services.progress(track, person_id).steps[track.live_steps.index(step)].state != "done":
            do_step(person_id, slug, step.key, reviewer_id)
    db.session.commit()
