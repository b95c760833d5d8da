"""Read configuration from the environment; nothing deploy-specific lives in code."""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("RONGMEI_VAR_DIR", BASE_DIR / "var"))


def env(name, default=None):
    """Return the variable, or ``default`` when it is unset or empty."""
    value = os.environ.get(name, "")
    return value if value != "" else default


def env_bool(name, default=False):
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as e:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from e


def env_list(name, default=()):
    value = env(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def get_mandatory_secret(name):
    """Return a secret that production cannot start without."""
    value = env(name)
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. Production refuses to start without it."
        )
    return value


def get_or_create_local_secret(name, generate):
    """Return ``name`` from the environment, else a value kept under ``var/``.

    Used by development settings only: the value is generated once, so sessions
    and encrypted credentials survive a restart.
    """
    value = env(name)
    if value:
        return value
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / name.lower()
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(generate())
    return path.read_text().strip()


def generate_secret_key():
    return secrets.token_urlsafe(50)


def generate_fernet_key():
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()
