"""Password rules and hashing: guessability judged by zxcvbn; argon2id, with a cheap parameter set under test configuration only."""

from __future__ import annotations

import re
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 12
MAX_LENGTH = 128

# RFC 9106's second recommended option (64 MiB, 3 passes), above OWASP ASVS 5.0's floor.
_production = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)
# Fast enough for hundreds of logins in a test run; never chosen outside TESTING.
_testing = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _hasher() -> PasswordHasher:
    if current_app.config.get("TESTING") and current_app.config.get("COE_PASSWORD_HASHER") == "fast":
        return _testing
    return _production


# Passwords are judged by zxcvbn, which estimates how many guesses an attacker with lists of common
# passwords, words, names, keyboard patterns, dates, repeats and sequences would need. Below 10^8
# guesses (zxcvbn score 3) it is refused, whatever its length: "111111111111" and "passwordpassword"
# are long and weak; "kettle on the moon tonight" is strong.
MIN_SCORE = 3
# zxcvbn's matching is quadratic in length and refuses more than 72 characters; a passphrase whose
# first 72 characters resist guessing is not made weaker by what follows.
JUDGED_LENGTH = 72


def password_problem(password: str, personal: Iterable[str] = ()) -> str | None:
    """Return why a new password is unacceptable, or None.

    ``personal`` are the person's own details (email, name): a password made of them is refused.
    """
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return f"Use {MIN_LENGTH} to {MAX_LENGTH} characters; a few unrelated words make a strong password."
    if not password.strip():
        return "The password cannot be only spaces."
    inputs = _personal_words(personal)
    if password.strip().lower() in inputs:
        return "The password cannot be your email address or your name."
    from zxcvbn import zxcvbn  # its word lists cost a web worker some 13 MB: loaded when a password is set

    result = zxcvbn(password[:JUDGED_LENGTH], user_inputs=sorted(inputs))
    if result["score"] < MIN_SCORE:
        warning = result["feedback"].get("warning") or ""
        reason = f" {warning.rstrip('.')}." if warning else ""
        return (f"That password is too easy to guess.{reason} Try three or four unrelated words, "
                "or a longer phrase only you would think of.")
    return None


def _personal_words(personal: Iterable[str]) -> set[str]:
    """The person's details and their parts: "pm.lead@example.org" gives it whole, "pm.lead", "pm", "lead"..."""
    words: set[str] = set()
    for value in personal:
        value = (value or "").strip().lower()
        if not value:
            continue
        words.add(value)
        local = value.split("@")[0]
        words.add(local)
        words.update(part for part in re.split(r"[^a-z0-9]+", value) if len(part) >= 3)
        words.update(part for part in re.split(r"[^a-z0-9]+", local) if len(part) >= 3)
    return words


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def burn_time(password: str) -> None:
    """Spend a hash's worth of time so unknown emails cannot be told apart by timing."""
    verify_password(_dummy_hash(), password)


_dummy: dict[int, str] = {}


def _dummy_hash() -> str:
    hasher = _hasher()
    key = id(hasher)
    if key not in _dummy:
        _dummy[key] = hasher.hash("not a real password, only a timing guard")
    return _dummy[key]
