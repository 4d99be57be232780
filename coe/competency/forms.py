"""Forms of the competency domain: self-assessment, validation, goals and role profiles."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, SubmitField, TextAreaField, URLField
from wtforms.validators import DataRequired, Length, Optional

from coe.competency.models import LEVEL_NAMES
from coe.forms import choices

LEVEL_CHOICES = choices((level, f"{level} {name}") for level, name in LEVEL_NAMES.items())


class RatingForm(FlaskForm):
    """A self-assessment, or a validation by a lead or mentor (who also says in which role)."""

    competency = SelectField("Competency", validators=[DataRequired()])
    level = SelectField("Level", coerce=int, choices=LEVEL_CHOICES)
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)],
                         description="What you did that shows this level: the project, the situation, the result.")
    evidence_url = URLField("Link to evidence (optional)", validators=[Optional(), Length(max=500)],
                            description="A document, a deliverable or a recording that shows it.")
    as_role = SelectField("You validate as", choices=choices([("lead", "their lead"), ("mentor", "their mentor")]))
    rate = SubmitField("Save the rating")

    def fill(self, areas) -> None:
        self.competency.choices = [choice for area, competencies in areas
                                   for choice in choices(((c.code, c.name) for c in competencies), area.name)]


class GoalForm(FlaskForm):
    """One item of a gap's development plan (by its address), made a goal with a date."""

    competency = HiddenField(validators=[DataRequired()])
    url = StringField("Item", validators=[DataRequired(message="Pick an item of the plan."), Length(max=500)])
    target_date = DateField("Target date", validators=[DataRequired()])
    add_goal = SubmitField("Make it a goal")


class RoleProfileForm(FlaskForm):
    role_profile = SelectField("Role profile")
    change_profile = SubmitField("Change the role profile")


class DoneForm(FlaskForm):
    """A form with nothing but its CSRF token, to mark a goal done."""



