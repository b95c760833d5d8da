"""Production: every secret from the environment, secure cookies, no debug."""

from .base import *  # noqa: F403
from .env import env_bool, env_int, env_list, get_mandatory_secret

DEBUG = False
SECRET_KEY = get_mandatory_secret("DJANGO_SECRET_KEY")
RONGMEI_CREDENTIALS_KEY = get_mandatory_secret("RONGMEI_CREDENTIALS_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS is not set.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
# nosniff, Referrer-Policy, X-Frame-Options and the Content Security Policy come
# from base.py: every environment sends them; only HSTS is production's.
