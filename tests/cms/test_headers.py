"""Security headers: every answer (admin, API, public site) says nosniff,
same-origin referrers, no framing (Wagtail's preview apart) and a Content Security
Policy; the admin's policy adds what Wagtail's admin needs, the rest stays strict;
HSTS is production's alone."""

import importlib

import pytest
from django.test import override_settings
from django.urls import reverse
from wagtail.test.utils.form_data import (
    nested_form_data,
    querydict_from_html,
    rich_text,
    streamfield,
)

from tests.utils import make_managing_department, make_release, make_unit, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def release():
    make_managing_department()
    unit = make_unit()
    admin = make_user("header-admin", is_superuser=True)
    return make_release(unit, publish=True, user=admin)


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("header-root", is_superuser=True, is_staff=True))
    return client


def directives(response):
    """The Content Security Policy as {directive: [sources]}."""
    policy = response["Content-Security-Policy"]
    return {
        name: sources
        for name, *sources in (part.split() for part in policy.split(";") if part)
    }


def assert_common_headers(response):
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert "Strict-Transport-Security" not in response


def strict(policy):
    return not any(
        "'unsafe-inline'" in policy.get(d, []) or "'unsafe-eval'" in policy.get(d, [])
        for d in ("script-src", "style-src")
    )


def test_public_pages_have_the_strict_policy(client, release):
    """The home page and a release page carry every header and a policy without
    inline scripts or styles."""
    for url in ("/", release.url):
        response = client.get(url)
        assert response.status_code == 200
        assert_common_headers(response)
        policy = directives(response)
        assert strict(policy)
        assert policy["script-src"] == ["'self'"]
        assert policy["frame-src"] == ["'self'"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v2/pages/",
        "/api/v2/pages/?type=cms.ReleasePage&fields=*",
        "/api/v2/accounts/",
        "/api/v2/nothing-here/",
    ],
)
def test_api_answers_have_the_headers(client, release, url):
    response = client.get(url)
    assert response.status_code in (200, 404)
    assert_common_headers(response)
    assert strict(directives(response))


def test_login_page_keeps_the_strict_policy(client):
    """The admin login page, reachable by anyone, needs no inline code."""
    response = client.get(reverse("wagtailadmin_login"))
    assert response.status_code == 200
    assert_common_headers(response)
    assert strict(directives(response))


def test_admin_pages_allow_what_the_wagtail_admin_needs(admin_client, release):
    """Signed-in admin pages add inline scripts and styles and data:/blob:
    images (RONGMEI_CSP_ADMIN_UPDATE), nothing else."""
    for url in (
        reverse("wagtailadmin_home"),
        reverse("wagtailadmin_pages:edit", args=[release.pk]),
        reverse("wagtailimages:index"),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert_common_headers(response)
        policy = directives(response)
        assert policy["script-src"] == ["'self'", "'unsafe-inline'"]
        assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
        assert policy["img-src"] == ["'self'", "data:", "blob:"]
        assert "'unsafe-eval'" not in response["Content-Security-Policy"]
        assert policy["frame-src"] == ["'self'"]


def test_preview_may_be_framed_by_the_admin(admin_client, release):
    """Wagtail's preview, the one exception, may be framed by the same origin,
    in both headers; the editor around it may not be framed."""
    editor = admin_client.get(reverse("wagtailadmin_pages:edit", args=[release.pk]))
    url = reverse("wagtailadmin_pages:preview_on_edit", args=[release.pk])
    # The editor posts the form, then frames the preview of what was posted
    # (which Wagtail renders through the middleware for the page's own URL).
    data = querydict_from_html(editor.content.decode(), form_id="page-edit-form")
    # The StreamField is drawn by script; post it as the browser would.
    data.update(
        nested_form_data(
            {"body": streamfield([("paragraph", rich_text("<p>正文</p>"))])}
        )
    )
    assert admin_client.post(url, data).json()["is_valid"]
    response = admin_client.get(url + "?in_preview_panel=true")
    assert response.status_code == 200
    assert release.title in response.content.decode()
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    policy = directives(response)
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["script-src"] == ["'self'", "'unsafe-inline'"]

    assert editor["X-Frame-Options"] == "DENY"
    assert directives(editor)["frame-ancestors"] == ["'none'"]


@override_settings(RONGMEI_CSP_ADMIN_UPDATE={"script-src": ["https://cdn.example"]})
def test_admin_update_comes_from_settings(admin_client):
    response = admin_client.get(reverse("wagtailadmin_home"))
    assert directives(response)["script-src"] == ["'self'", "https://cdn.example"]


def test_no_hsts_outside_production(client, release):
    """Development and tests never send HSTS, even over HTTPS."""
    response = client.get(release.url, secure=True)
    assert "Strict-Transport-Security" not in response


def test_production_sends_hsts(monkeypatch, client, release):
    """Production settings turn on HSTS for a year with subdomains and preload,
    and keep the headers of base.py."""
    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 60)
    monkeypatch.setenv("RONGMEI_CREDENTIALS_KEY", "k" * 43 + "=")
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "example.cn")
    production = importlib.import_module("cms.settings.production")
    production = importlib.reload(production)
    assert production.SECURE_HSTS_SECONDS == 31536000
    assert production.SECURE_HSTS_INCLUDE_SUBDOMAINS is True
    assert production.SECURE_HSTS_PRELOAD is True
    assert production.SECURE_CONTENT_TYPE_NOSNIFF is True
    assert production.SECURE_REFERRER_POLICY == "same-origin"
    assert production.X_FRAME_OPTIONS == "DENY"
    assert production.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"] == ["'self'"]

    with override_settings(
        SECURE_HSTS_SECONDS=production.SECURE_HSTS_SECONDS,
        SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
        SECURE_HSTS_PRELOAD=True,
    ):
        response = client.get(release.url, secure=True)
    assert response["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )


def test_absolute_static_and_media_urls_are_allowed_origins():
    """A CDN or S3 for static files or media adds its origin to the policy."""
    from cms.settings.base import _origins

    assert _origins("/static/", "https://cdn.example.cn/media/", "") == [
        "https://cdn.example.cn"
    ]
