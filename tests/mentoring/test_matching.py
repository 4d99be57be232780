"""Ranking mentors and assigning cohorts, on hand-made cases, without a database."""

from __future__ import annotations

import datetime as dt
import itertools
import random

from coe.mentoring.matching import Mentee, Mentor, assign, exclusion, overlap_hours, rank, score

DAY = dt.date(2026, 3, 4)
NAMES = {"risk": "Risk management", "stake": "Stakeholder engagement", "plan": "Planning", "agile": "Agile delivery"}


def mentee(**kwargs):
    values = dict(person_id=1, gaps={"risk": (3, 1), "stake": (3, 2), "plan": (2, 2)},
                  languages=frozenset({"en", "fr"}), time_zone="Europe/Paris", name="Mia")
    values.update(kwargs)
    return Mentee(**values)


def mentor(person_id, name, levels, **kwargs):
    values = dict(languages=frozenset({"en"}), time_zone="Europe/Paris", capacity=4, active=2)
    values.update(kwargs)
    return Mentor(person_id, name, levels, **values)


def test_mentor_covering_the_largest_gaps_ranks_first_and_says_why():
    strong = mentor(10, "Ana", {"risk": 4, "stake": 3}, languages=frozenset({"fr"}))
    partial = mentor(11, "Bob", {"stake": 5})
    none = mentor(12, "Cy", {"agile": 5})
    matches = rank(mentee(), [none, partial, strong], NAMES, DAY)
    assert [m.mentor.name for m in matches] == ["Ana", "Bob", "Cy"]
    reasons = matches[0].explanation
    assert reasons.startswith("covers your two largest gaps: Risk management (needs level 3, mentor is 4) and "
                              "Stakeholder engagement")
    assert "2 of 4 places free" in reasons and "both speak French" in reasons and "8 working hours overlap" in reasons
    assert matches[0].parts[0].points == 60  # every open gap covered
    assert "covers none of your gaps" in matches[2].explanation
    assert sum(p.points for p in matches[0].parts) == matches[0].score


def test_a_level_below_the_target_does_not_cover_the_gap():
    below = mentor(10, "Ana", {"risk": 2})
    match = score(mentee(), below, NAMES, DAY)
    assert match.covered == () and match.parts[0].points == 0


def test_focus_competencies_weigh_more():
    risk = mentor(10, "Ana", {"risk": 3})
    stake = mentor(11, "Bob", {"stake": 3})
    # Without focus the larger gap (risk, 2 levels) wins; a focus on stakeholders (1 level x 2) ties it, name decides.
    assert [m.mentor.name for m in rank(mentee(), [stake, risk], NAMES, DAY)] == ["Ana", "Bob"]
    focused = mentee(gaps={"risk": (3, 2), "stake": (3, 2)}, focus=frozenset({"stake"}))
    assert [m.mentor.name for m in rank(focused, [risk, stake], NAMES, DAY)] == ["Bob", "Ana"]
    assert "focus" in rank(focused, [risk, stake], NAMES, DAY)[0].explanation


def test_excludes_self_full_not_accepting_and_current_mentors():
    me = mentor(1, "Mia herself", {"risk": 5})
    full = mentor(10, "Full", {"risk": 5}, capacity=2, active=2)
    closed = mentor(11, "Closed", {"risk": 5}, accepting=False)
    zero = mentor(12, "Zero", {"risk": 5}, capacity=0, active=0)
    mine = mentor(13, "Mine", {"risk": 5})
    open_ = mentor(14, "Open", {"risk": 5})
    needs = mentee(has_mentors=frozenset({13}))
    assert [m.mentor.name for m in rank(needs, [me, full, closed, zero, mine, open_], NAMES, DAY)] == ["Open"]
    assert exclusion(needs, me) == "is the mentee themself"
    assert exclusion(needs, full) == "has no place left"


def test_ties_are_broken_by_name_then_id_whatever_the_input_order():
    same = [mentor(i, name, {"risk": 4}) for i, name in [(30, "Zoe"), (20, "Adam"), (25, "Adam"), (5, "Kim")]]
    expected = [(20, "Adam"), (25, "Adam"), (5, "Kim"), (30, "Zoe")]
    for order in itertools.permutations(same):
        assert [(m.mentor.person_id, m.mentor.name) for m in rank(mentee(), order, NAMES, DAY)] == expected


def test_filters_by_competency_and_language():
    ana = mentor(10, "Ana", {"risk": 4}, languages=frozenset({"fr"}))
    bob = mentor(11, "Bob", {"stake": 4}, languages=frozenset({"en"}))
    assert [m.mentor.name for m in rank(mentee(), [ana, bob], NAMES, DAY, competency="stake")] == ["Bob"]
    assert [m.mentor.name for m in rank(mentee(), [ana, bob], NAMES, DAY, language="fr")] == ["Ana"]


def test_working_hours_overlap_between_zones():
    assert overlap_hours("Europe/Paris", "Europe/Paris", DAY) == 8
    assert overlap_hours("Europe/London", "Europe/Paris", DAY) == 7
    assert overlap_hours("America/New_York", "Europe/Paris", DAY) == 2  # 15:00-17:00 Paris = 9:00-11:00 NY
    assert overlap_hours("Asia/Tokyo", "America/Los_Angeles", DAY) == 1  # 16:00-17:00 LA is 9:00-10:00 next day in Tokyo
    assert overlap_hours("Asia/Kolkata", "America/Chicago", DAY) == 0
    assert overlap_hours("Asia/Tokyo", "Australia/Sydney", DAY) == 6


def test_feedback_raises_the_score():
    liked = mentor(10, "Ana", {"risk": 4}, rating=5.0, ratings=8)
    unrated = mentor(11, "Bob", {"risk": 4})
    disliked = mentor(12, "Cy", {"risk": 4}, rating=1.0, ratings=3)
    assert [m.mentor.name for m in rank(mentee(), [disliked, unrated, liked], NAMES, DAY)] == ["Ana", "Bob", "Cy"]


def _brute_force(mentees, mentors):
    best = 0.0
    options = [None] + list(mentors)
    for choice in itertools.product(options, repeat=len(mentees)):
        used = {}
        total = 0.0
        ok = True
        for who, chosen in zip(mentees, choice):
            if chosen is None:
                continue
            if exclusion(who, chosen) is not None:
                ok = False
                break
            used[chosen.person_id] = used.get(chosen.person_id, 0) + 1
            if used[chosen.person_id] > chosen.places_left:
                ok = False
                break
            total += score(who, chosen, NAMES, DAY).score
        if ok:
            best = max(best, total)
    return round(best, 1)


def test_cohort_assignment_is_optimal_against_brute_force_and_respects_capacity():
    rng = random.Random(7)
    codes = list(NAMES)
    zones = ["Europe/Paris", "America/New_York", "Asia/Tokyo"]
    for case in range(25):
        mentees = [Mentee(100 + i, {c: (rng.randint(2, 5), rng.randint(0, 3)) for c in rng.sample(codes, 3)},
                          frozenset(rng.sample(["en", "fr", "de"], rng.randint(1, 2))), rng.choice(zones),
                          frozenset(rng.sample(codes, rng.randint(0, 1))), name=f"Mentee {i}")
                   for i in range(rng.randint(1, 5))]
        mentors = [Mentor(200 + j, f"Mentor {j}", {c: rng.randint(1, 5) for c in rng.sample(codes, 2)},
                          frozenset(rng.sample(["en", "fr", "de"], 1)), rng.choice(zones),
                          capacity=rng.randint(0, 3), active=rng.randint(0, 1), accepting=rng.random() > 0.15,
                          rating=rng.choice([None, 3.5, 4.8]))
                   for j in range(rng.randint(1, 3))]
        if case % 5 == 0:  # a mentee who already has one of the mentors
            mentees[0] = Mentee(**{**mentees[0].__dict__, "has_mentors": frozenset({200})})
        cohort = assign(mentees, mentors, NAMES, DAY)
        assert cohort.total == _brute_force(mentees, mentors), case
        assert len(cohort.pairs) + len(cohort.unmatched) == len(mentees)
        for each in mentors:
            taken = sum(1 for pair in cohort.pairs if pair.match.mentor.person_id == each.person_id)
            assert taken <= each.places_left
        for pair in cohort.pairs:
            assert exclusion(pair.mentee, pair.match.mentor) is None
        assert all(u.why for u in cohort.unmatched)


def test_cohort_leaves_mentees_unmatched_with_the_reason():
    one_place = mentor(10, "Ana", {"risk": 4}, capacity=1, active=0)
    a = mentee(person_id=1, name="Ann")
    b = mentee(person_id=2, name="Ben", gaps={"risk": (4, 1)})
    cohort = assign([a, b], [one_place], NAMES, DAY)
    assert len(cohort.pairs) == 1 and len(cohort.unmatched) == 1
    assert "went to mentees those mentors suit better" in cohort.unmatched[0].why
    alone = assign([mentee(has_mentors=frozenset({10}))], [one_place], NAMES, DAY)
    assert alone.unmatched[0].why == "no selected mentor can take them: each already mentors them or has their request"
