"""Password hashing with argon2id; a cheap parameter set under test configuration only."""

from __future__ import annotations

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


def password_problem(password: str) -> str | None:
    """Return why a new password is unacceptable, or None."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return f"Use {MIN_LENGTH} to {MAX_LENGTH} characters; a few unrelated words make a strong password."
    if not password.strip():
        return "The password cannot be only spaces."
    return None


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
