"""The framework page, a person's competency profile (their own, or as their lead or mentor sees it), and its forms."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user

from coe.auth import policy
from coe.auth.services import get_person
from coe.competency import charts, profile, services
from coe.competency.forms import DoneForm, GoalForm, RatingForm, RoleProfileForm
from coe.competency.models import LEVEL_NAMES
from coe.errors import InvalidInput
from coe.forms import choices, submit

bp = Blueprint("competency", __name__)


@bp.route("/competencies")
def framework():
    policy.require(current_user, "library.read")
    areas = services.framework()
    codes = [c.code for _, competencies in areas for c in competencies]
    profiles = services.role_profiles()
    own = profile.levels_and_gaps(current_user)[0]
    return render_template("competency/framework.html", areas=areas, level_names=LEVEL_NAMES,
                           offerings=services.offering_counts(codes), profiles=profiles,
                           targets=services.role_targets(profiles), own_levels=own,
                           own_targets=profile.targets_for(current_user.role_profile))


def _render(person, view: profile.ProfileView, rating: RatingForm, goal: GoalForm | None = None,
            role: RoleProfileForm | None = None):
    own = person.id == current_user.id
    code = request.args.get("history", "")
    try:
        history = profile.history_page(person, code, request.args.get("page", 1, type=int) or 1) if code else None
    except InvalidInput:
        abort(404)
    return render_template("competency/profile.html", person=person, view=view, own=own, rating=rating,
                           history=history, history_shown=profile.HISTORY_SHOWN,
                           goal=goal or GoalForm(), role=role, done=DoneForm(), level_names=LEVEL_NAMES,
                           can_validate=policy.can(current_user, "competency.validate", person))


@bp.route("/me/competencies", methods=["GET", "POST"])
def mine():
    policy.require(current_user, "account.use")
    view = profile.profile_view(current_user)
    rating = RatingForm(prefix="rating")
    rating.fill(view.areas)
    del rating.as_role
    done = submit(rating, lambda: profile.self_assess(current_user, rating.competency.data, rating.level.data,
                                                      rating.note.data or "", rating.evidence_url.data or ""),
                  "Your self-assessment is saved. Your lead or a mentor can now validate it.",
                  url_for("competency.mine") + "#gaps")
    return done or _render(current_user, view, rating)


@bp.route("/me/competencies/goals", methods=["POST"])
def add_goal():
    policy.require(current_user, "account.use")
    form = GoalForm()
    done = submit(form, lambda: profile.add_goal_from_plan(current_user, form.competency.data, form.url.data,
                                                           form.target_date.data),
                  lambda goal: f"“{goal.title}” is a goal for {goal.target_date:%-d %b %Y}.",
                  url_for("competency.mine") + "#plan")
    if done:
        return done
    view = profile.profile_view(current_user)
    rating = RatingForm(prefix="rating", formdata=None)
    rating.fill(view.areas)
    del rating.as_role
    return _render(current_user, view, rating, goal=form), 400


@bp.route("/me/competencies/goals/<int:goal_id>/done", methods=["POST"])
def goal_done(goal_id: int):
    policy.require(current_user, "account.use")
    form = DoneForm()
    done = submit(form, lambda: profile.complete_goal(current_user, goal_id),
                  lambda goal: f"Well done: “{goal.title}” is complete.", url_for("competency.mine") + "#goals")
    return done or redirect(url_for("competency.mine"))


@bp.route("/people/<int:person_id>/competencies", methods=["GET", "POST"])
def person(person_id: int):
    person = get_person(person_id)
    policy.require(current_user, "competency.view", person)
    if person.id == current_user.id:
        return redirect(url_for("competency.mine"))
    view = profile.profile_view(person)
    rating = RatingForm(prefix="rating")
    rating.fill(view.areas)
    # Who validates: as their lead, as their mentor; an admin who is neither validates as a lead would.
    roles = [choice for choice in rating.as_role.choices if _acts_as(choice.value, person)]
    rating.as_role.choices = roles or choices([("lead", "a CoE admin")])
    if request.method == "POST" and "rating-rate" in request.form:
        policy.require(current_user, "competency.validate", person)
        done = submit(rating, lambda: profile.validate(current_user, person, rating.competency.data,
                                                       rating.level.data, rating.note.data or "",
                                                       rating.as_role.data),
                      f"The rating of {person.display_name} is validated.",
                      url_for("competency.person", person_id=person.id) + "#gaps")
        if done:
            return done
    role = None
    if policy.can(current_user, "competency.change_profile", person):
        role = RoleProfileForm(prefix="role", role_profile=person.role_profile or "")
        role.role_profile.choices = choices([("", "— none —")] + services.role_profile_choices())
        if request.method == "POST" and "role-change_profile" in request.form:
            done = submit(role, lambda: profile.change_role_profile(person, role.role_profile.data, current_user),
                          f"{person.display_name}'s role profile is changed; their targets follow it.",
                          url_for("competency.person", person_id=person.id))
            if done:
                return done
    return _render(person, view, rating, role=role)


def _acts_as(role: str, person) -> bool:
    return policy.leads(current_user, person) if role == "lead" else policy.mentors(current_user, person)


@bp.route("/me/competencies/radar/<area>.svg")
@bp.route("/people/<int:person_id>/competencies/radar/<area>.svg")
def radar(area: str, person_id: int | None = None):
    person = get_person(person_id) if person_id else current_user
    policy.require(current_user, "competency.view", person)
    view = profile.profile_view(person, with_plan=False)
    for each_area, competencies in view.areas:
        if each_area.code == area:
            svg = charts.radar_svg(each_area.name, [c.name for c in competencies],
                                   [view.targets.get(c.code, 0) for c in competencies],
                                   [view.level_of(c.code).level for c in competencies])
            return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, no-store"})
    abort(404)
