"""Forms of the mentoring domain."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, HiddenField, IntegerField, RadioField, SelectField,
                     SelectMultipleField, StringField, SubmitField, TextAreaField, TimeField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from coe.forms import choices

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class ProfileForm(FlaskForm):
    bio = TextAreaField("Bio", validators=[Optional(), Length(max=5000)],
                        description="Markdown. What you have delivered, what you help with, how you like to work.")
    competencies = SelectMultipleField("Competencies you mentor in", validators=[Optional()])
    languages = StringField("Languages", validators=[Optional(), Length(max=100)],
                            description="Two-letter codes separated by commas, such as en, fr.")
    time_zone = SelectField("Time zone")
    capacity = IntegerField("Capacity (maximum active mentees; 0 = not accepting)", default=3,
                            validators=[InputRequired(), NumberRange(0, 20)])
    accepting = BooleanField("Accepting new mentees", default=True)
    session_minutes = IntegerField("Session length (minutes)", default=60, validators=[InputRequired(), NumberRange(15, 240)])
    buffer_minutes = IntegerField("Buffer between sessions (minutes)", default=15, validators=[InputRequired(), NumberRange(0, 120)])
    notice_hours = IntegerField("Minimum notice (hours)", default=24, validators=[InputRequired(), NumberRange(0, 336)])
    horizon_days = IntegerField("Booking horizon (days)", default=42, validators=[InputRequired(), NumberRange(1, 180)])
    save_profile = SubmitField("Save the profile")


class WindowForm(FlaskForm):
    weekday = SelectField("Day", coerce=int, choices=choices(enumerate(WEEKDAYS)))
    start = TimeField("From", validators=[DataRequired()])
    end = TimeField("To", validators=[DataRequired()])
    add_window = SubmitField("Add the window")


class ExceptionForm(FlaskForm):
    day = DateField("Date", validators=[DataRequired()])
    kind = RadioField("", choices=choices([("blocked", "Block the whole day"), ("extra", "Add an extra window")]),
                      default="blocked")
    start = TimeField("From", validators=[Optional()])
    end = TimeField("To", validators=[Optional()])
    add_exception = SubmitField("Add the exception")


class LanguagesForm(FlaskForm):
    languages = StringField("Languages you speak", validators=[Optional(), Length(max=100)],
                            description="Two-letter codes separated by commas, such as en, fr.")
    save_languages = SubmitField("Save")


class RequestForm(FlaskForm):
    goals = TextAreaField("Your goals", validators=[DataRequired(), Length(max=2000)],
                          description="What you want to be able to do after the mentorship, and by when.")
    focus = SelectMultipleField("Focus competencies", validators=[Optional()])
    send_request = SubmitField("Ask for mentoring")


class BookForm(FlaskForm):
    start = HiddenField(validators=[DataRequired()])
    topic = StringField("Topic", validators=[DataRequired(), Length(max=200)])
    competency = SelectField("Competency", validators=[Optional()])
    book = SubmitField("Book")


class AnswerForm(FlaskForm):
    message = TextAreaField("Message to the mentee", validators=[Optional(), Length(max=2000)])
    accept = SubmitField("Accept")
    decline = SubmitField("Decline")


class ReasonForm(FlaskForm):
    reason = StringField("Reason", validators=[DataRequired(), Length(max=2000)])
    cancel = SubmitField("Cancel the session")


class RescheduleForm(FlaskForm):
    start = SelectField("New time", validators=[DataRequired()])
    reason = StringField("Reason", validators=[DataRequired(), Length(max=2000)])
    reschedule = SubmitField("Move the session")


class EndForm(FlaskForm):
    reflection = TextAreaField("Reflection", validators=[DataRequired(), Length(max=2000)],
                               description="What worked, what you take away.")
    end = SubmitField("End the mentorship")


class NoteForm(FlaskForm):
    body = TextAreaField("Private note (the two of you only)", validators=[DataRequired(), Length(max=2000)])
    add_note = SubmitField("Add the note")


class RatingForm(FlaskForm):
    stars = SelectField("Rating", coerce=int, choices=choices((n, f"{n} of 5") for n in range(5, 0, -1)))
    comment = TextAreaField("Comment (optional)", validators=[Optional(), Length(max=2000)])
    rate = SubmitField("Rate the session")


class SignOffForm(FlaskForm):
    competency = SelectField("Competency", validators=[DataRequired()])
    level = SelectField("Level shown", coerce=int, choices=choices((n, str(n)) for n in range(1, 6)))
    note = TextAreaField("What they showed", validators=[Optional(), Length(max=2000)])
    sign_off = SubmitField("Sign off")


class AssignForm(FlaskForm):
    mentee_id = SelectField("Mentee", coerce=int)
    mentor_id = SelectField("Mentor", coerce=int)
    assign = SubmitField("Assign")


class CohortForm(FlaskForm):
    mentees = SelectMultipleField("Mentees", coerce=int)
    mentors = SelectMultipleField("Mentors", coerce=int)
    preview = SubmitField("Preview the assignment")
    publish = SubmitField("Publish: create the mentorships")


class PlainForm(FlaskForm):
    """Nothing but the CSRF token."""
