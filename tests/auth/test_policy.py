"""The access policy answers per action; anonymous and deactivated people may do nothing."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from coe.auth import policy
from coe.auth.models import Person
from coe.errors import NotAllowed


def person(**kwargs) -> Person:
    return Person(email="p@example.org", display_name="P", active=kwargs.pop("active", True), **kwargs)


@pytest.mark.parametrize("action, admin_only", [("account.use", False), ("library.read", False),
                                                ("admin.access", True), ("content.review_status", True)])
def test_each_action_is_granted_to_the_right_people(action, admin_only):
    assert policy.can(person(is_admin=True), action)
    assert policy.can(person(is_admin=False), action) is (not admin_only)
    assert not policy.can(person(is_admin=True, active=False), action)
    assert not policy.can(AnonymousUserMixin(), action)


def test_require_raises_not_allowed():
    with pytest.raises(NotAllowed):
        policy.require(person(), "admin.access")
    policy.require(person(is_admin=True), "admin.access")
