"""Forms of the auth domain: login, account, and the admin's people and teams."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from coe.auth.passwords import MAX_LENGTH, MIN_LENGTH
from coe.auth.people import EMAIL_MAX, NAME_MAX, time_zone_names
from coe.forms import choices

PASSWORD_LENGTH = Length(min=MIN_LENGTH, max=MAX_LENGTH,
                         message=f"Use {MIN_LENGTH} to {MAX_LENGTH} characters; a few unrelated words make a strong password.")


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)], render_kw={"autocomplete": "username"})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Keep me signed in on this device for 14 days")
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token, for POST-only actions such as logout."""


def time_zone_choices() -> list[str]:
    """Every time zone, for the searchable list beside the time zone field."""
    return sorted(time_zone_names())


TIME_ZONE_HELP = "Start typing a city (Berlin, New York) and pick your zone from the list."


class ProfileForm(FlaskForm):
    # The rules (length, control characters, known zones) are the person validator's: see coe.auth.people.
    display_name = StringField("Name", render_kw={"maxlength": NAME_MAX, "autocomplete": "name"})
    time_zone = StringField("Time zone", description=TIME_ZONE_HELP,
                            render_kw={"list": "time-zones", "autocomplete": "off"})
    save_profile = SubmitField("Save profile")

    choices: list[str] = []


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), PASSWORD_LENGTH],
        description=f"{MIN_LENGTH} to {MAX_LENGTH} characters. Changing it signs you out everywhere else.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField("Repeat the new password",
                            validators=[DataRequired(), EqualTo("new_password", "The two passwords differ.")],
                            render_kw={"autocomplete": "new-password"})
    change_password = SubmitField("Change password")


class PersonForm(FlaskForm):
    # The rules are the person validator's (coe.auth.people), shared with the CSV import and the CLI.
    email = EmailField("Email", render_kw={"maxlength": EMAIL_MAX})
    display_name = StringField("Name", render_kw={"maxlength": NAME_MAX})
    team_id = SelectField("Team", coerce=int)
    role_profile = SelectField("Role profile")
    time_zone = StringField("Time zone", default="UTC", description=TIME_ZONE_HELP,
                            render_kw={"list": "time-zones", "autocomplete": "off"})
    is_mentor = BooleanField("Mentor")
    is_admin = BooleanField("Admin")
    led_team_ids = SelectMultipleField("Leads these teams", coerce=int)
    invite = BooleanField("Send an invitation: a one-time link to set a password, valid 7 days", default=True)

    choices: list[str] = []

    def fill_choices(self, teams, profiles, zones: list[str]) -> None:
        self.team_id.choices = choices([(0, "— no team —")] + [(team.id, team.name) for team in teams])
        self.led_team_ids.choices = choices((team.id, team.name) for team in teams)
        self.role_profile.choices = choices([("", "— none —")] + list(profiles))
        self.choices = zones


class TeamForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=500)])
    lead_ids = SelectMultipleField("Leads", coerce=int)


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired(), FileAllowed(["csv", "txt"], "Upload a .csv file.")])
    invite = BooleanField("Invite them: each gets a one-time link to set a password, valid 7 days", default=True)


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)], render_kw={"autocomplete": "username"})


class SetPasswordForm(FlaskForm):
    new_password = PasswordField(
        "New password", validators=[DataRequired(), PASSWORD_LENGTH],
        description=f"{MIN_LENGTH} to {MAX_LENGTH} characters; a few unrelated words make a strong password.",
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Repeat the new password",
                            validators=[DataRequired(), EqualTo("new_password", "The two passwords differ.")],
                            render_kw={"autocomplete": "new-password"})
