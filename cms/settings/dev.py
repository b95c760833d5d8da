"""Local development and the demo: SQLite, the ORM broker, secrets kept under var/."""

from pathlib import Path

from .base import *  # noqa: F403
from .env import (
    env_bool,
    env_list,
    generate_fernet_key,
    generate_secret_key,
    get_or_create_local_secret,
)

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = get_or_create_local_secret("DJANGO_SECRET_KEY", generate_secret_key)
RONGMEI_CREDENTIALS_KEY = get_or_create_local_secret(
    "RONGMEI_CREDENTIALS_KEY", generate_fernet_key
)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# The dev server serves static files from the apps; whitenoise wants the folder.
WHITENOISE_USE_FINDERS = True
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # noqa: F405
