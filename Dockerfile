# syntax=docker/dockerfile:1
# Rongmei: one image for the web server (the default command, gunicorn on port 8000)
# and the background worker (`docker run IMAGE python manage.py qcluster`).
#
#   docker build -t rongmei .
#   docker run --env-file prod.env rongmei python manage.py migrate
#   docker run --env-file prod.env -p 8000:8000 rongmei
#   docker run --env-file prod.env rongmei python manage.py qcluster
#
# Both need DJANGO_SECRET_KEY, RONGMEI_CREDENTIALS_KEY, DJANGO_ALLOWED_HOSTS,
# DATABASE_URL and REDIS_URL (README, "Production"). Uploaded media go to
# /app/var/media: mount a volume there, or point MEDIA_ROOT elsewhere.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=cms.settings.production \
    RONGMEI_VAR_DIR=/app/var \
    STATIC_ROOT=/app/static \
    PORT=8000 \
    WEB_CONCURRENCY=3

WORKDIR /app

RUN groupadd --system rongmei \
    && useradd --system --gid rongmei --home-dir /app --shell /usr/sbin/nologin rongmei

# The dependencies first, with the versions of constraints.txt, in a layer that a
# change of the code does not rebuild: pyproject.toml alone installs them and an
# empty project.
COPY pyproject.toml constraints.txt README.md ./
RUN pip install -c constraints.txt . && pip uninstall --yes rongmei

# Then the project itself, the way the README installs it. The code runs from /app
# (manage.py's folder and gunicorn's working directory come first on sys.path),
# where locale/ sits beside it.
COPY . .
RUN pip install --no-deps -c constraints.txt . \
    && rm -rf build rongmei.egg-info

# Translations and static files are built into the image. Settings need secrets to
# load, so this step alone gets throwaway ones; none of them is kept.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends gettext \
    && export DJANGO_SECRET_KEY="build-only-$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
        RONGMEI_CREDENTIALS_KEY="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
        DJANGO_ALLOWED_HOSTS=localhost \
        DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    && python manage.py compilemessages --verbosity 0 \
    && python manage.py collectstatic --noinput --verbosity 0 \
    && rm -f /tmp/build.sqlite3 \
    && apt-get purge --yes --auto-remove gettext \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /app/var/media \
    && chown -R rongmei:rongmei /app/var

# Answers for the web server only: a worker container (python manage.py qcluster)
# serves no HTTP and counts as healthy. The Host header must be an allowed host.
COPY --chmod=755 <<'EOF' /usr/local/bin/rongmei-healthcheck
#!/usr/bin/env python
import json
import os
import sys
import urllib.request

with open("/proc/1/cmdline", "rb") as f:
    if b"gunicorn" not in f.read():
        sys.exit(0)
hosts = os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")
host = hosts[0].strip().lstrip(".")
if host in ("", "*"):
    host = "localhost"
request = urllib.request.Request(
    "http://127.0.0.1:%s/healthz" % os.environ.get("PORT", "8000"),
    headers={"Host": host},
)
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        answer = json.load(response)
except Exception as e:
    sys.exit("unhealthy: %s" % e)
sys.exit(0 if answer.get("status") == "ok" else "unhealthy: %s" % answer)
EOF
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["rongmei-healthcheck"]

USER rongmei
EXPOSE 8000
# gunicorn binds 0.0.0.0:$PORT and starts $WEB_CONCURRENCY workers; more options
# through GUNICORN_CMD_ARGS.
CMD ["gunicorn", "cms.wsgi", "--access-logfile", "-"]
