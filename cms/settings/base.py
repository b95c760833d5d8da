"""Settings shared by every environment. Everything deploy-specific comes from the
environment (see README, "Configuration")."""

from datetime import timedelta

import dj_database_url
from django.utils.translation import gettext_lazy as _

from .env import BASE_DIR, VAR_DIR, env, env_bool, env_int, env_list

DEBUG = False

INSTALLED_APPS = [
    "cms",
    "moderation",
    "channels",
    "archive",
    "wagtail.api.v2",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "wagtailmedia",
    "modelcluster",
    "taggit",
    "rest_framework",
    "corsheaders",
    "csp",
    "django_q",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "cms.security.headers.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "cms.middleware.APIConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "cms.security.middleware.PasswordExpiryMiddleware",
    "cms.security.two_factor.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Refuses logins from locked-out users and addresses before checking them.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "cms.urls"
WSGI_APPLICATION = "cms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# Database: DATABASE_URL, default a SQLite file under var/ (WAL is switched on when
# a connection opens, see cms.apps).
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'rongmei.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web server and worker share one file: wait for the writer instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("RONGMEI_PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "cms.security.passwords.CharacterClassValidator"},
    {
        "NAME": "cms.security.passwords.PasswordHistoryValidator",
        "OPTIONS": {"count": env_int("RONGMEI_PASSWORD_HISTORY", 5)},
    },
]
# Days a password lasts before its owner must change it; 0 turns expiry off.
RONGMEI_PASSWORD_MAX_AGE_DAYS = env_int("RONGMEI_PASSWORD_MAX_AGE_DAYS", 90)

# Login protection (django-axes): after RONGMEI_LOGIN_FAILURE_LIMIT failures within
# RONGMEI_LOGIN_LOCKOUT_MINUTES, the username and, separately, the source address
# are locked for that long; an administrator can unlock them sooner.
AXES_FAILURE_LIMIT = env_int("RONGMEI_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("RONGMEI_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_SENSITIVE_PARAMETERS = ["password"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "cms/security/lockout.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# Behind a reverse proxy, the client address comes from X-Forwarded-For.
AXES_IPWARE_PROXY_COUNT = env_int("RONGMEI_PROXY_COUNT", 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    if env_int("RONGMEI_PROXY_COUNT", 0)
    else ["REMOTE_ADDR"]
)

# Sessions end after RONGMEI_SESSION_IDLE_MINUTES without a request, and with the
# browser. Changing a password ends every other session (Django's session hash).
SESSION_COOKIE_AGE = env_int("RONGMEI_SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Language and time: the admin speaks Simplified Chinese by default, whatever the
# browser asks for (no LocaleMiddleware); English can be chosen per user in the
# account settings.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
WAGTAIL_CONTENT_LANGUAGES = [("zh-hans", "简体中文")]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env("STATIC_ROOT", str(VAR_DIR / "static"))
MEDIA_URL = env("MEDIA_URL", "/media/")
MEDIA_ROOT = env("MEDIA_ROOT", str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploads above this size are refused with a message (video files are the largest).
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Email: workflow notifications and, later, reply deadlines.
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "rongmei@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Wagtail
WAGTAIL_SITE_NAME = env("RONGMEI_SITE_NAME", "融媒")
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = False
WAGTAILDOCS_EXTENSIONS = [
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "csv", "zip", "odt",
    "ods", "odp", "wps", "ofd",
]  # fmt: skip
WAGTAILIMAGES_IMAGE_MODEL = "cms.CreditedImage"
WAGTAILMEDIA = {
    "MEDIA_MODEL": "wagtailmedia.Media",
    "AUDIO_EXTENSIONS": [],
    "VIDEO_EXTENSIONS": ["mp4", "m4v", "mov", "webm"],
}
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILAPI_BASE_URL = env("WAGTAILAPI_BASE_URL", WAGTAILADMIN_BASE_URL)
WAGTAILAPI_LIMIT_MAX = 100
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT = True
# A release approved by every stage of 三审 is published, whoever approved last.
WAGTAIL_FINISH_WORKFLOW_ACTION = "moderation.finish.publish_approved"

# The headless API: CORS origins for the organisation's app and sites.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

# HTTP headers (docs/security.md, "HTTP headers"). HSTS is set in production only.
SECURE_CONTENT_TYPE_NOSNIFF = True
# No Referer to other sites: admin addresses name pages, searches and people.
SECURE_REFERRER_POLICY = "same-origin"
# No framing, except where a view allows same-origin frames: Wagtail's preview
# does (xframe_options_sameorigin_override), and frame-ancestors follows suit.
X_FRAME_OPTIONS = "DENY"
# Avatars are Wagtail's own image, not Gravatar: no third-party request, no
# e-mail hash leaving the site, and nothing for img-src to allow.
WAGTAIL_GRAVATAR_PROVIDER_URL = None


def _origins(*urls):
    """The origins of the absolute URLs among ``urls`` (a CDN, S3)."""
    from urllib.parse import urlsplit

    return [
        "%s://%s" % (parts.scheme, parts.netloc)
        for parts in map(urlsplit, urls)
        if parts.scheme and parts.netloc
    ]


_STATIC_ORIGINS = _origins(STATIC_URL)
_MEDIA_ORIGINS = _origins(MEDIA_URL)
# Content Security Policy (django-csp) of the public site and the API; the admin
# gets RONGMEI_CSP_ADMIN_UPDATE on top, and frame-ancestors becomes 'self' where
# X-Frame-Options is SAMEORIGIN (cms.security.headers).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", *_STATIC_ORIGINS],
        "style-src": ["'self'", *_STATIC_ORIGINS],
        "img-src": ["'self'", *_STATIC_ORIGINS, *_MEDIA_ORIGINS],
        "media-src": ["'self'", *_MEDIA_ORIGINS],
        "font-src": ["'self'", *_STATIC_ORIGINS],
        "connect-src": ["'self'"],
        # Players of embedded videos, e.g. "https://player.bilibili.com".
        "frame-src": ["'self'", *env_list("RONGMEI_CSP_FRAME_SRC")],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Added on admin pages (not the login page, which needs none of it): Wagtail 8's
# admin still runs inline scripts (InlinePanel, the date and time widgets, blocks
# inserted by jQuery) and inserts inline styles; its jQuery UI menus draw data:
# images; the multiple upload form previews files as blob: images.
RONGMEI_CSP_ADMIN_UPDATE = {
    "script-src": ["'unsafe-inline'"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["data:", "blob:"],
}

# Platform credentials are encrypted with this Fernet key (see channels.crypto).
RONGMEI_CREDENTIALS_KEY = env("RONGMEI_CREDENTIALS_KEY")

# django-q2: the ORM broker by default; Redis when REDIS_URL is set. A task is given
# ``timeout`` seconds, and is handed to another worker after ``retry`` seconds, so
# timeout must stay below retry or a slow task runs twice.
REDIS_URL = env("REDIS_URL")
Q_CLUSTER = {
    "name": "rongmei",
    "workers": env_int("RONGMEI_WORKERS", 2),
    "timeout": 120,
    "retry": 180,
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 1000,
    "label": _("Background tasks"),
    "orm": "default",
}
if REDIS_URL:
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = REDIS_URL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django_tasks": {"level": "WARNING"},
    },
}

# Rongmei
RONGMEI_PUBLIC_BASE_URL = env("RONGMEI_PUBLIC_BASE_URL", WAGTAILADMIN_BASE_URL)
RONGMEI_SANDBOX_PORT = env_int("RONGMEI_SANDBOX_PORT", 8300)
