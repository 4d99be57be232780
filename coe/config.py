"""Configuration: embedded defaults, overridden by ``COE_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# A built wheel carries the top-level folders inside the package (see setup.py); a source
# checkout (also an editable install) has them beside the package.
PACKAGED_RESOURCES = PACKAGE_DIR / "resources"
SOURCE_ROOT = PACKAGE_DIR.parent


def resource_dir(name: str) -> Path:
    """Return the folder of ``templates``, ``static``, ``migrations`` or the sample ``content``."""
    packaged = PACKAGED_RESOURCES / name
    return packaged if packaged.is_dir() else SOURCE_ROOT / name


def default_instance_path() -> Path:
    """The checkout's instance/ folder, or instance/ in the working directory of an installed package."""
    return Path.cwd() / "instance" if PACKAGED_RESOURCES.is_dir() else SOURCE_ROOT / "instance"


def database_url(instance_path: str, environ: os._Environ | dict) -> str:
    """Return the database URL from the environment, or a SQLite file in the instance folder."""
    url = environ.get("COE_DATABASE_URL") or environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{Path(instance_path) / 'coe.sqlite3'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants a dialect+driver name.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_or_create_secret_key(instance_path: str) -> str:
    """Return the instance's secret key, creating it once with 0600 permissions.

    The key is written to a private temporary file and linked into place, so that workers
    starting together all read one complete key.
    """
    path = Path(instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_name(f".secret_key.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another worker got there first; use its key
        finally:
            tmp.unlink()
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable key; delete it to have a new one generated, or set COE_SECRET_KEY.")
    return key


def cookie_settings(secure: bool) -> dict:
    """Cookie flags and names for HTTPS (``secure``) or plain HTTP on a developer's machine.

    __Host- cookies are sent only over HTTPS, for this host and path /: browsers refuse them over
    plain HTTP, so the prefix comes with the Secure flag.
    """
    return {
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_SECURE": secure,
        "SESSION_COOKIE_NAME": "__Host-coe_session" if secure else "coe_session",
        "REMEMBER_COOKIE_NAME": "__Host-coe_remember" if secure else "coe_remember",
    }


def from_environment(instance_path: str, environ: os._Environ | dict | None = None) -> dict:
    """Build the configuration mapping from ``COE_*`` variables and embedded defaults."""
    env = os.environ if environ is None else environ
    redis_url = env.get("COE_REDIS_URL") or None
    debug = env.get("FLASK_DEBUG", "") in {"1", "true", "True"}
    secure_cookies = env.get("COE_SECURE_COOKIES")
    secure = (not debug) if secure_cookies is None else secure_cookies.lower() in {"1", "true", "yes"}
    return {
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path, env),
        # When unset, create_app reads or creates the instance's key file.
        "SECRET_KEY": env.get("COE_SECRET_KEY") or None,
        "COE_CONTENT_DIR": env.get("COE_CONTENT_DIR") or str(resource_dir("content")),
        "COE_INDEX_DIR": env.get("COE_INDEX_DIR") or str(Path(instance_path) / "index"),
        "COE_REDIS_URL": redis_url,
        "COE_PASSWORD_HASHER": "argon2id",
        "COE_LOG_LEVEL": env.get("COE_LOG_LEVEL", "INFO"),
        # How many reverse proxies (load balancer, nginx) sit in front and set X-Forwarded-*.
        "COE_TRUSTED_PROXIES": int(env.get("COE_TRUSTED_PROXIES", "0") or 0),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # The site's public address, for links in mail and in CLI output (requests use their own host).
        "COE_BASE_URL": env.get("COE_BASE_URL") or None,
        # Mail (invitations, password resets, notifications); without a host nothing is sent.
        "COE_SMTP_HOST": env.get("COE_SMTP_HOST") or None,
        "COE_SMTP_PORT": int(env.get("COE_SMTP_PORT") or 587),
        "COE_SMTP_USER": env.get("COE_SMTP_USER") or None,
        "COE_SMTP_PASSWORD": env.get("COE_SMTP_PASSWORD") or None,
        "COE_SMTP_FROM": env.get("COE_SMTP_FROM") or "coe@localhost",
        "COE_SMTP_SECURITY": (env.get("COE_SMTP_SECURITY") or "starttls").lower(),
        "RATELIMIT_HEADERS_ENABLED": True,
        # A sign-in that is not remembered ends after this long unused, and after this long at most.
        "COE_SESSION_IDLE_MINUTES": float(env.get("COE_SESSION_IDLE_MINUTES") or 8 * 60),
        "COE_SESSION_MAX_HOURS": float(env.get("COE_SESSION_MAX_HOURS") or 12),
        **cookie_settings(secure),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 14,
        "BOOTSTRAP_SERVE_LOCAL": True,
        "WTF_CSRF_TIME_LIMIT": 60 * 60 * 8,
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    }
