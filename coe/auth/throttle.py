"""Who a login attempt counts against, so guessing is slowed without locking the owner out.

Failed attempts count per client address, and per account. Counting per account alone would let
anyone lock any account by failing ten times; so a browser that has signed in to an account before
carries a signed *device cookie* for it, and its attempts count against that device instead of the
account (OWASP's "device cookies" defence). An attacker exhausts the account's allowance only for
browsers the owner has never used.

The email is read the way the form reads it, from a form body or a JSON body alike, so a JSON
login is counted against the same account as a form login.
"""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

DEVICE_COOKIE_DAYS = 365


def submitted(name: str) -> str:
    """The value of field ``name`` in the request body, form or JSON, as Flask-WTF would read it."""
    if request.is_json:
        data = request.get_json(silent=True)
        value = data.get(name) if isinstance(data, dict) else None
    else:
        value = request.form.get(name)
    return value.strip().lower() if isinstance(value, str) else ""


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="coe.device-cookie")


def _account(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def device_cookie_name() -> str:
    return "__Host-coe_device" if current_app.config.get("SESSION_COOKIE_SECURE") else "coe_device"


def _device_for(email: str) -> str | None:
    """The device id this browser holds for ``email``, if its cookie is genuine and for that account."""
    raw = request.cookies.get(device_cookie_name())
    if not raw or not email:
        return None
    try:
        account, device = _serializer().loads(raw)
    except (BadSignature, ValueError, TypeError):
        return None
    return device if account == _account(email) else None


def login_account_key() -> str:
    """The limiter key of a login attempt: this device's, if it signed in to the account before, else the account's."""
    email = submitted("email")
    device = _device_for(email)
    return f"login-device:{device}" if device else f"login-account:{email}"


def reset_account_key() -> str:
    return "reset:" + submitted("email")


def remember_device(response: Response, email: str) -> None:
    """After a successful sign-in, give this browser a device cookie for the account."""
    value = _serializer().dumps([_account(email), _device_for(email) or secrets.token_urlsafe(16)])
    response.set_cookie(device_cookie_name(), value, max_age=DEVICE_COOKIE_DAYS * 86400, path="/",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")), httponly=True,
                        samesite="Lax")
