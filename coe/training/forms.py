"""Forms of the training domain: one-click actions, practice-task submissions and their review."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from coe.training.services import COMMENT_MAX, LINK_MAX, TEXT_MAX


class ActionForm(FlaskForm):
    """A button and its CSRF token: enrol, leave, mark as read."""


class SubmissionForm(FlaskForm):
    text = TextAreaField("Your answer", validators=[Optional(), Length(max=TEXT_MAX)],
                         description="Write it here, or paste the essentials and link to the full document.")
    link = StringField("Link (optional)", validators=[Optional(), Length(max=LINK_MAX)],
                       description="A shared document or folder, starting with https://")
    hand_in = SubmitField("Submit for review")


class ReviewForm(FlaskForm):
    comment = TextAreaField("Comment", validators=[Optional(), Length(max=COMMENT_MAX)],
                            description="Required when you send it back: say what to change.")
    approve = SubmitField("Approve")
    send_back = SubmitField("Send back")
