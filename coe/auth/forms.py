"""Forms of the auth domain: login, account, and the admin's people and teams."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from coe.auth.passwords import MAX_LENGTH, MIN_LENGTH

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


class ProfileForm(FlaskForm):
    display_name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    time_zone = StringField("Time zone", validators=[DataRequired(), Length(max=64)],
                            description="An IANA name such as Europe/Berlin or America/New_York.")
    save_profile = SubmitField("Save profile")


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
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    display_name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    team_id = SelectField("Team", coerce=int)
    role_profile = SelectField("Role profile")
    time_zone = StringField("Time zone", default="UTC", validators=[DataRequired(), Length(max=64)])
    is_mentor = BooleanField("Mentor")
    is_admin = BooleanField("Admin")
    led_team_ids = SelectMultipleField("Leads these teams", coerce=int)
    password = PasswordField(
        "Set a password", validators=[Optional(), PASSWORD_LENGTH],
        description="Leave empty to keep the current one. Setting it signs the person out everywhere.",
        render_kw={"autocomplete": "new-password"},
    )

    def fill_choices(self, teams, profiles) -> None:
        self.team_id.choices = [(0, "— no team —")] + [(team.id, team.name) for team in teams]
        self.led_team_ids.choices = [(team.id, team.name) for team in teams]
        self.role_profile.choices = [("", "— none —")] + list(profiles)


class TeamForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=500)])
    lead_ids = SelectMultipleField("Leads", coerce=int)


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired(), FileAllowed(["csv", "txt"], "Upload a .csv file.")])
