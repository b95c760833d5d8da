"""Test settings: fast hashing, mail kept in memory, tasks inline where asked."""

import tempfile

from .base import *  # noqa: F403
from .env import env

SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
# A fixed, valid Fernet key so tests can encrypt and decrypt.
RONGMEI_CREDENTIALS_KEY = "k4sE7d1L9GqRm8xqkJr1w9rN3xYbXo1pQ2s6vT0uA5c="  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
MEDIA_ROOT = env("MEDIA_ROOT") or tempfile.mkdtemp(prefix="rongmei-test-media-")
STATIC_ROOT = tempfile.mkdtemp(prefix="rongmei-test-static-")
ALLOWED_HOSTS = ["*"]
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
WAGTAILADMIN_BASE_URL = "http://testserver"
RONGMEI_PUBLIC_BASE_URL = "http://testserver"
LOGGING["loggers"]["wagtail"] = {"level": "WARNING"}  # noqa: F405
# Login protection is switched on by the tests of it (they override this).
AXES_ENABLED = False
RONGMEI_2FA_ENFORCED = False  # tests force_login; the 2FA tests turn it on
# Delivery engine: no waiting in tests (production values in channels/conf.py).
RONGMEI_PLATFORM_TIMEOUT = (2, 3)
RONGMEI_DELIVERY_LEASE = 30
RONGMEI_UNCONFIRMED_DELAY = 0
RONGMEI_DELIVERY_BACKOFF = 0.01
RONGMEI_DELIVERY_BACKOFF_MAX = 0.05
RONGMEI_POLL_INTERVAL = 0.05
RONGMEI_POLL_INTERVAL_MAX = 0.2
RONGMEI_DISPATCH_INTERVAL = 0.02
