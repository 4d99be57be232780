"""Forms of the quizzes: the questions' fields are read by the service; these carry the CSRF token and the buttons."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SubmitField


class StartForm(FlaskForm):
    start = SubmitField("Start an attempt")


class AttemptForm(FlaskForm):
    save = SubmitField("Save my answers")
    finish = SubmitField("Submit for grading")
