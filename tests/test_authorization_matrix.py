"""Who may reach what: every route of the app, for every kind of caller, with objects the caller does not own.

MATRIX has one entry per (rule, method) of ``app.url_map``; a route added without an entry fails
``test_every_route_is_in_the_matrix``. Each entry gives the status each caller gets when the URL
names the *owner's* objects (the owner's person id, goal, team...):

- ``anonymous``: nobody signed in;
- ``owner``: the PM whose objects the URL names;
- ``other_pm``: a PM in the same team;
- ``other_mentor``: a mentor, not the owner's (mentor of someone else where mentoring exists);
- ``other_lead``: the lead of another team;
- ``admin``.

``OK`` means the request was served (200, or a redirect after a successful or re-shown form);
``LOGIN`` a redirect to the sign-in page. State-changing routes are also checked to refuse GET
(405) and a missing or forged CSRF token (400), for every caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from coe.extensions import db

ROLES = ("anonymous", "other_pm", "other_mentor", "other_lead", "owner", "admin")  # refusals first: they change nothing
OK, LOGIN = "ok", "login"


def expect(anonymous=LOGIN, owner=OK, other_pm=OK, other_mentor=OK, other_lead=OK, admin=OK) -> dict[str, object]:
    return {"anonymous": anonymous, "owner": owner, "other_pm": other_pm, "other_mentor": other_mentor,
            "other_lead": other_lead, "admin": admin}


SIGNED_IN = expect()  # every signed-in person, about things that are everyone's (the library) or their own
PUBLIC = expect(anonymous=OK)
ADMIN_ONLY = expect(owner=403, other_pm=403, other_mentor=403, other_lead=403)
OWNERS_RECORDS = expect(other_pm=403, other_mentor=403, other_lead=403)  # the owner's, their lead's, admins'
OWNER_ONLY = expect(other_pm=404, other_mentor=404, other_lead=404, admin=404)  # private: others find nothing
PAIR_ONLY = expect(other_pm=404, other_mentor=404, other_lead=404, admin=404)  # a booking: its mentee and mentor only
MENTORS_ONLY = expect(owner=403, other_pm=403, other_lead=403, admin=403)
LEADS_AND_ADMINS = expect(owner=403, other_pm=403, other_mentor=403)


@dataclass(frozen=True)
class Route:
    statuses: dict[str, object]
    data: dict[str, str] = field(default_factory=dict)  # the form a POST sends (a CSRF token is added)
    path: str | None = None  # the concrete URL, when the rule's arguments are not all from the world


MATRIX: dict[tuple[str, str], Route] = {
    # Public pages and health.
    ("/login", "GET"): Route(expect(anonymous=OK, owner=302, other_pm=302, other_mentor=302, other_lead=302,
                                    admin=302)),
    ("/login", "POST"): Route(PUBLIC, {"email": "nobody@example.org", "password": "not a password of anyone"}),
    ("/password/forgot", "GET"): Route(PUBLIC),
    # Each caller asks for a different address: three requests an hour per address are allowed.
    ("/password/forgot", "POST"): Route(PUBLIC, {"email": "nobody.{role}@example.org"}),
    ("/password/set/<secret>", "GET"): Route(expect(410, 410, 410, 410, 410, 410), path="/password/set/not-a-link"),
    ("/password/set/<secret>", "POST"): Route(expect(410, 410, 410, 410, 410, 410), {"new_password": "x"},
                                              path="/password/set/not-a-link"),
    ("/healthz", "GET"): Route(PUBLIC),
    # A person's own pages.
    ("/", "GET"): Route(SIGNED_IN),
    ("/account", "GET"): Route(SIGNED_IN),
    ("/account", "POST"): Route(SIGNED_IN, {"profile-display_name": "A new name", "profile-time_zone": "UTC",
                                            "profile-save_profile": "y"}),
    ("/logout", "GET"): Route(SIGNED_IN),
    ("/logout", "POST"): Route(expect(owner=LOGIN, other_pm=LOGIN, other_mentor=LOGIN, other_lead=LOGIN,
                                      admin=LOGIN)),  # signed out, back at the sign-in page
    ("/me/competencies", "GET"): Route(SIGNED_IN),
    ("/me/competencies", "POST"): Route(SIGNED_IN, {"rating-competency": "risk-management", "rating-level": "2",
                                                    "rating-note": "", "rating-rate": "y"}),
    ("/me/competencies/goals", "POST"): Route(SIGNED_IN, {"competency": "risk-management",
                                                          "url": "/library/templates/risk-register",
                                                          "target_date": "2030-01-31"}),
    # The owner's goal: anyone else finds no such goal of theirs.
    ("/me/competencies/goals/<int:goal_id>/done", "POST"): Route(expect(other_pm=404, other_mentor=404,
                                                                        other_lead=404, admin=404)),
    ("/me/competencies/radar/<area>.svg", "GET"): Route(SIGNED_IN),
    # Someone's competency records: the owner, their lead, their mentor, an admin.
    ("/people/<int:person_id>/competencies", "GET"): Route(OWNERS_RECORDS),
    # The owner is sent to their own page (/me/competencies), where nobody validates their own ratings.
    ("/people/<int:person_id>/competencies", "POST"): Route(
        expect(other_pm=403, other_mentor=403, other_lead=403), {"rating-competency": "risk-management", "rating-level": "2",
                                 "rating-note": "Validated in review.", "rating-as_role": "lead", "rating-rate": "y"}),
    ("/people/<int:person_id>/competencies/radar/<area>.svg", "GET"): Route(OWNERS_RECORDS),
    # The library: everyone signed in.
    ("/library", "GET"): Route(SIGNED_IN),
    ("/library/<kind>/<slug>", "GET"): Route(SIGNED_IN),
    ("/library/<kind>/<slug>.<any(docx, xlsx):fmt>", "GET"): Route(SIGNED_IN, path="/library/templates/risk-register.xlsx"),
    ("/library/<kind>/<slug>.md", "GET"): Route(SIGNED_IN),
    ("/library/governance", "GET"): Route(SIGNED_IN),
    ("/search", "GET"): Route(SIGNED_IN, path="/search?q=risk"),
    ("/api/search", "GET"): Route(expect(anonymous=401), path="/api/search?q=risk"),
    ("/competencies", "GET"): Route(SIGNED_IN),
    # The lead's dashboard: leads (their own teams) and admins; a PM or mentor is refused.
    ("/team", "GET"): Route(expect(owner=403, other_pm=403, other_mentor=403)),
    ("/team/trend", "GET"): Route(expect(owner=403, other_pm=403, other_mentor=403)),
    ("/team/trend.svg", "GET"): Route(expect(owner=403, other_pm=403, other_mentor=403)),
    ("/team/export.csv", "GET"): Route(expect(owner=403, other_pm=403, other_mentor=403)),
    ("/team/export.xlsx", "GET"): Route(expect(owner=403, other_pm=403, other_mentor=403)),
    # Quizzes: everyone signed in takes them; an attempt and its review are its owner's alone.
    ("/quizzes", "GET"): Route(SIGNED_IN),
    ("/quizzes/<slug>", "GET"): Route(SIGNED_IN, path="/quizzes/onboarding-essentials"),
    ("/quizzes/<slug>/start", "POST"): Route(SIGNED_IN, {"start": "y"}, path="/quizzes/onboarding-essentials/start"),
    ("/quizzes/<slug>/attempts/<int:attempt_id>", "GET"): Route(
        OWNER_ONLY, path="/quizzes/onboarding-essentials/attempts/{attempt_id}"),
    ("/quizzes/<slug>/attempts/<int:attempt_id>", "POST"): Route(
        OWNER_ONLY, {"save": "y"}, path="/quizzes/onboarding-essentials/attempts/{attempt_id}"),
    ("/quizzes/<slug>/attempts/<int:attempt_id>/review", "GET"): Route(
        OWNER_ONLY, path="/quizzes/onboarding-essentials/attempts/{attempt_id}/review"),
    # Training tracks: everyone's catalogue and own progress; a submission is seen by its author, their lead or
    # mentor and admins, and reviewed by the lead, mentor or an admin; a certificate page is its holder's.
    ("/tracks", "GET"): Route(SIGNED_IN),
    ("/tracks/reviews", "GET"): Route(SIGNED_IN),
    ("/tracks/<slug>", "GET"): Route(SIGNED_IN, path="/tracks/new-pm-onboarding"),
    ("/tracks/<slug>/enrol", "POST"): Route(SIGNED_IN, path="/tracks/stakeholder-leadership/enrol"),
    ("/tracks/<slug>/leave", "POST"): Route(SIGNED_IN, path="/tracks/stakeholder-leadership/leave"),
    ("/tracks/<slug>/steps/<key>", "GET"): Route(SIGNED_IN, path="/tracks/new-pm-onboarding/steps/draft-first-charter"),
    ("/tracks/<slug>/steps/<key>", "POST"): Route(SIGNED_IN, {"text": "My draft charter.", "link": ""},
                                                  path="/tracks/new-pm-onboarding/steps/draft-first-charter"),
    ("/tracks/<slug>/steps/<key>/read", "POST"): Route(
        SIGNED_IN, path="/tracks/stakeholder-leadership/steps/read-stakeholder-engagement/read"),
    ("/tracks/submissions/<int:submission_id>", "GET"): Route(OWNERS_RECORDS),
    ("/tracks/submissions/<int:submission_id>", "POST"): Route(
        expect(owner=403, other_pm=403, other_mentor=403, other_lead=403), {"approve": "Approve", "comment": ""}),
    ("/tracks/<slug>/certificate", "GET"): Route(expect(other_pm=404, other_mentor=404, other_lead=404, admin=404),
                                                 path="/tracks/agile-delivery/certificate"),
    ("/certificates/<code>", "GET"): Route(PUBLIC, path="/certificates/{certificate_code}"),
    # Administration.
    ("/admin/", "GET"): Route(ADMIN_ONLY),
    ("/admin/audit", "GET"): Route(ADMIN_ONLY),
    ("/admin/content", "GET"): Route(ADMIN_ONLY),
    ("/admin/people", "GET"): Route(ADMIN_ONLY),
    ("/admin/people/new", "GET"): Route(ADMIN_ONLY),
    ("/admin/people/new", "POST"): Route(ADMIN_ONLY, {"email": "new.pm@example.org", "display_name": "New PM",
                                                      "team_id": "0", "role_profile": "pm", "time_zone": "UTC"}),
    ("/admin/people/<int:person_id>", "GET"): Route(ADMIN_ONLY),
    ("/admin/people/<int:person_id>", "POST"): Route(ADMIN_ONLY, {"email": "owner@example.org",
                                                                  "display_name": "Owner", "team_id": "0",
                                                                  "role_profile": "pm", "time_zone": "UTC"}),
    ("/admin/people/<int:person_id>/<any(deactivate, reactivate):action>", "POST"): Route(
        ADMIN_ONLY, path="/admin/people/{person_id}/reactivate"),
    ("/admin/people/<int:person_id>/link", "POST"): Route(ADMIN_ONLY),
    ("/admin/people/import", "GET"): Route(ADMIN_ONLY),
    ("/admin/people/import", "POST"): Route(ADMIN_ONLY, {"csv_text": ""}),
    ("/admin/teams", "GET"): Route(ADMIN_ONLY),
    ("/admin/teams/new", "GET"): Route(ADMIN_ONLY),
    ("/admin/teams/new", "POST"): Route(ADMIN_ONLY, {"name": "A new team"}),
    ("/admin/teams/<int:team_id>", "GET"): Route(ADMIN_ONLY),
    ("/admin/teams/<int:team_id>", "POST"): Route(ADMIN_ONLY, {"name": "Digital Delivery"}),
    # Mentoring. The owner has an active mentorship with a mentor (mentor_id) and a booking (booking_id).
    ("/mentors", "GET"): Route(SIGNED_IN),
    ("/mentors/languages", "POST"): Route(SIGNED_IN, {"languages": "en, fr", "save_languages": "y"}),
    ("/mentors/<int:mentor_id>", "GET"): Route(SIGNED_IN),
    # The owner already has this mentor: their form comes back with the reason.
    ("/mentors/<int:mentor_id>/request", "POST"): Route(expect(owner=400), {"goals": "Lead a gate review alone.",
                                                                             "send_request": "y"}),
    # Only the mentor's mentee books their time.
    ("/mentors/<int:mentor_id>/book", "POST"): Route(expect(other_pm=403, other_mentor=403, other_lead=403, admin=403),
                                                     {"start": "{free_slot}", "topic": "Gate pack", "book": "y"}),
    ("/bookings", "GET"): Route(SIGNED_IN),
    ("/bookings/<int:booking_id>.ics", "GET"): Route(PAIR_ONLY),
    ("/bookings/<int:booking_id>/cancel", "POST"): Route(PAIR_ONLY, {"reason": "Steering moved", "cancel": "y"}),
    ("/bookings/<int:booking_id>/reschedule", "GET"): Route(PAIR_ONLY),
    ("/bookings/<int:booking_id>/reschedule", "POST"): Route(PAIR_ONLY, {"start": "{other_slot}",
                                                                         "reason": "Steering moved",
                                                                         "reschedule": "y"}),
    ("/bookings/<int:booking_id>/notes", "POST"): Route(PAIR_ONLY, {"body": "Bring the draft charter.",
                                                                    "add_note": "y"}),
    # The session has not happened yet: the owner is told so on the bookings page.
    ("/bookings/<int:booking_id>/rating", "POST"): Route(PAIR_ONLY, {"stars": "5", "rate": "y"}),
    # The mentor signs off, not the mentee.
    ("/bookings/<int:booking_id>/signoff", "POST"): Route(expect(owner=403, other_pm=404, other_mentor=404,
                                                                 other_lead=404, admin=404),
                                                          {"competency": "risk-management", "level": "3",
                                                           "sign_off": "y"}),
    ("/bookings/feed", "POST"): Route(SIGNED_IN),
    # The feed's secret address is its key: no session needed.
    ("/calendar/<token>.ics", "GET"): Route(PUBLIC),
    ("/mentorships/<int:mentorship_id>/end", "POST"): Route(PAIR_ONLY, {"reflection": "We met the goal.",
                                                                        "end": "y"}),
    ("/notifications", "GET"): Route(SIGNED_IN),
    ("/notifications/read", "POST"): Route(SIGNED_IN),
    ("/mentor/profile", "GET"): Route(MENTORS_ONLY),
    ("/mentor/profile", "POST"): Route(MENTORS_ONLY, {"bio": "Ten years of gate reviews.",
                                                      "competencies": "risk-management", "languages": "en",
                                                      "time_zone": "Europe/Paris", "capacity": "3",
                                                      "accepting": "y", "session_minutes": "60",
                                                      "buffer_minutes": "15", "notice_hours": "24",
                                                      "horizon_days": "42", "save_profile": "y"}),
    ("/mentor/availability", "GET"): Route(MENTORS_ONLY),
    ("/mentor/availability", "POST"): Route(MENTORS_ONLY, {"window-weekday": "1", "window-start": "09:00",
                                                           "window-end": "10:00", "window-add_window": "y"}),
    # The owner's mentor's window: another mentor finds no such window of theirs.
    ("/mentor/availability/<any(window, exception):kind>/<int:item_id>/delete", "POST"): Route(
        expect(owner=403, other_pm=403, other_mentor=404, other_lead=403, admin=403),
        path="/mentor/availability/window/{window_id}/delete"),
    ("/mentor/requests", "GET"): Route(MENTORS_ONLY),
    ("/mentor/requests/<int:mentorship_id>", "POST"): Route(
        expect(owner=403, other_pm=403, other_mentor=404, other_lead=403, admin=403), {"accept": "y"}),
    ("/mentor/mentees", "GET"): Route(MENTORS_ONLY),
    ("/mentoring/cohort", "GET"): Route(LEADS_AND_ADMINS),
    ("/mentoring/cohort", "POST"): Route(LEADS_AND_ADMINS, {"preview": "y"}),
    # A lead of another team cannot pick the owner (the form says so); an admin assigns.
    ("/mentoring/assign", "POST"): Route(LEADS_AND_ADMINS, {"assign-mentee_id": "{person_id}",
                                                            "assign-mentor_id": "{other_mentor_id}",
                                                            "assign-assign": "y"}),
}

NOT_IN_MATRIX = {"/static/<path:filename>", "/bootstrap/static/<path:filename>"}  # files, served to anyone


def _routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule in NOT_IN_MATRIX:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((rule.rule, method))
    return found


def test_every_route_is_in_the_matrix(app):
    routes = _routes(app)
    missing = sorted(routes - set(MATRIX))
    assert missing == [], f"routes without an entry in MATRIX (say who may reach them): {missing}"
    assert sorted(set(MATRIX) - routes) == [], "MATRIX names routes the app no longer has"


@pytest.fixture
def world(app, make_person, make_team):
    """The owner and their objects, and the other callers; returns the URL arguments and the clients."""
    from coe.competency import profile
    from coe.auth.models import Person
    from coe.quizzes import services as quiz_services

    team = make_team("Digital Delivery")
    other_team = make_team("Finance Transformation")
    ids = {
        "owner": make_person("owner@example.org", name="Owner", team_id=team),
        "other_pm": make_person("other.pm@example.org", team_id=team),
        "other_mentor": make_person("other.mentor@example.org", team_id=other_team, mentor=True,
                                    role_profile="senior-pm"),
        "other_lead": make_person("other.lead@example.org", team_id=other_team, leads=(other_team,)),
        "admin": make_person("admin@example.org", admin=True),
    }
    make_person("second.admin@example.org", admin=True)  # so the admin's changes never hit the last-admin rule
    with app.app_context():
        import datetime as dt

        owner = db.session.get(Person, ids["owner"])
        goal = profile.add_goal(owner, "risk-management", "Run a risk workshop", "document", "",
                                dt.date.today() + dt.timedelta(days=60))
        attempt = quiz_services.start_attempt(owner, "onboarding-essentials")
        db.session.commit()
        submission_id, certificate_code = _training(ids["owner"], ids["admin"])
        args = {"person_id": ids["owner"], "team_id": team, "goal_id": goal.id, "attempt_id": attempt.id,
                "kind": "templates", "slug": "risk-register", "area": _an_area(), "submission_id": submission_id,
                "certificate_code": certificate_code}
    args.update(_mentoring_world(app, make_person, ids, other_team))
    return args


def _mentoring_world(app, make_person, ids, other_team) -> dict:
    """The owner's mentor, mentorship and booking; the other mentor mentors someone else."""
    import datetime as dt

    from coe.auth.models import Person
    from coe.mentoring import services

    mentor_id = make_person("owners.mentor@example.org", mentor=True, role_profile="senior-pm")
    other_mentee = make_person("other.mentee@example.org", team_id=other_team)
    with app.app_context():
        for person_id in (mentor_id, ids["other_mentor"]):
            mentor = db.session.get(Person, person_id)
            services.save_profile(mentor, services.ProfileData("Gate reviews.", ("risk-management",), ("en",), "UTC",
                                                               3, True, 60, 0, 1, 30))
            for weekday in range(7):
                window = services.add_window(mentor, weekday, dt.time(6), dt.time(20))
        owner, admin = db.session.get(Person, ids["owner"]), db.session.get(Person, ids["admin"])
        services.assign_mentor(admin, owner.id, mentor_id)
        services.assign_mentor(admin, other_mentee, ids["other_mentor"])
        free = services.free_slots(mentor_id)
        booking = services.book(owner, mentor_id, free[5].start, "First session", "risk-management")
        token = services.regenerate_feed(owner)
        mentorship = services.active_mentorship(mentor_id, owner.id)
        window_id = db.session.scalar(db.select(services.AvailabilityWindow.id).where(
            services.AvailabilityWindow.mentor_id == mentor_id).limit(1))
        db.session.commit()
        return {"mentor_id": mentor_id, "booking_id": booking.id, "mentorship_id": mentorship.id, "token": token,
                "window_id": window_id, "other_mentor_id": ids["other_mentor"],
                "free_slot": free[8].start.isoformat(), "other_slot": free[10].start.isoformat()}


def _training(owner_id: int, admin_id: int) -> tuple[int, str]:
    """The owner's practice task awaiting review in onboarding, and a certificate of theirs."""
    from coe.training import services
    from tests.training.helpers import finish, person

    finish(owner_id, "new-pm-onboarding", admin_id, until=10)
    submission = services.submit(person(owner_id), "new-pm-onboarding", "draft-first-charter", "Draft charter.", "")
    finish(owner_id, "agile-delivery", admin_id)
    certificate = services.certificate_of(person(owner_id), "agile-delivery")
    db.session.commit()
    return submission.id, certificate.code


def _an_area() -> str:
    from coe.competency.models import CompetencyArea

    return db.session.scalar(db.select(CompetencyArea.code).order_by(CompetencyArea.code).limit(1))


def _client(app, role: str):
    client = app.test_client()
    # Each caller from an address of their own, as they would be: the throttles count per address.
    client.environ_base["REMOTE_ADDR"] = f"192.0.2.{ROLES.index(role) + 1}"
    if role != "anonymous":
        email = {"owner": "owner@example.org", "other_pm": "other.pm@example.org",
                 "other_mentor": "other.mentor@example.org", "other_lead": "other.lead@example.org",
                 "admin": "admin@example.org"}[role]
        assert client.login(email).status_code == 302
    return client


def _url(rule: str, entry: Route, args: dict) -> str:
    if entry.path:
        return entry.path.format(**args)
    url = rule
    for name, value in args.items():
        for converter in ("int:", ""):
            url = url.replace(f"<{converter}{name}>", str(value))
    assert "<" not in url, f"give {rule} a path in MATRIX: the world has no value for one of its arguments"
    return url


def _check(response, expected, role: str, url: str) -> None:
    status = response.status_code
    where = f"{role} on {url}: {status}"
    if expected == OK:
        assert status in (200, 302) and not (status == 302 and "/login" in response.headers["Location"]), where
    elif expected == LOGIN:
        assert status == 302 and "/login" in response.headers["Location"], where
    else:
        assert status == expected, where


@pytest.mark.parametrize("rule, method", sorted(MATRIX))
def test_each_caller_gets_what_the_matrix_says(app, world, rule, method):
    entry = MATRIX[(rule, method)]
    url = _url(rule, entry, world)
    for role in ROLES:
        client = _client(app, role)
        if method == "GET":
            response = client.get(url)
        else:
            token = client.csrf_token("/login" if role == "anonymous" else "/account")
            data = {name: value.format(role=role, **world) for name, value in entry.data.items()}
            response = client.post(url, data={**data, "csrf_token": token})
        _check(response, entry.statuses[role], role, url)


POSTS = sorted(key for key in MATRIX if key[1] == "POST")


@pytest.mark.parametrize("rule, method", POSTS)
def test_state_changes_refuse_get_and_a_missing_or_forged_token(app, world, rule, method):
    entry = MATRIX[(rule, method)]
    url = _url(rule, entry, world)
    gets = {m for r, m in MATRIX if r == rule}
    for role in ("anonymous", "owner", "admin"):
        client = _client(app, role)
        if "GET" not in gets:
            assert client.get(url).status_code in (405, 302 if role == "anonymous" else 405), f"{role} GET {url}"
        assert client.post(url, data=entry.data).status_code == 400, f"{role} POST {url} without a token"
        forged = client.post(url, data={**entry.data, "csrf_token": "IjQ2ZjM5.forged.token"})
        assert forged.status_code == 400, f"{role} POST {url} with a forged token"
