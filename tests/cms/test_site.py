import pytest
from django.urls import reverse

from cms.models import ReleasePage
from tests.utils import make_image, make_release, make_unit, make_user

pytestmark = pytest.mark.django_db


def test_public_release_page_shows_unit_author_time_and_source(client):
    """The public page of a reprint names the unit, byline, publication time and
    the source with its original title and author."""
    unit = make_unit("教务处", "jwc")
    release = make_release(
        unit,
        title="关于期末考试安排的通知",
        author="文／张三",
        origin=ReleasePage.Origin.REPRINT,
        source_name="新华社",
        source_url="https://www.news.cn/a.html",
        original_title="原标题",
        original_author="李四",
        cover_image=make_image(credit="摄影：王五"),
        publish=True,
    )
    response = client.get(release.url)
    assert response.status_code == 200
    html = response.content.decode()
    expected = ["关于期末考试安排的通知", "教务处", "文／张三", "新华社", "原标题"]
    expected += ["李四", "摄影：王五", 'name="viewport"', '<html lang="zh-hans"']
    for text in expected:
        assert text in html, text
    local = release.first_published_at.astimezone().strftime("%Y-%m-%d")
    assert local in html


def test_draft_release_is_not_public(client):
    """An unpublished release answers 404 to the public."""
    unit = make_unit()
    release = make_release(unit)
    response = client.get("/%s/%s/" % (unit.code, release.slug))
    assert response.status_code == 404


def test_healthz_answers_json(client):
    """The health check reports the database as JSON."""
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_admin_speaks_chinese_by_default(client):
    """A user who chose no language gets the admin in Simplified Chinese."""
    user = make_user(is_superuser=True)
    client.force_login(user)
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.content.decode()


def test_admin_stays_chinese_for_an_english_browser(client):
    """The browser's language does not override the default; only the user's
    own choice does."""
    user = make_user(is_superuser=True)
    client.force_login(user)
    response = client.get(reverse("wagtailadmin_home"), HTTP_ACCEPT_LANGUAGE="en")
    assert 'lang="zh-hans"' in response.content.decode()
    client.logout()
    login = client.get(reverse("wagtailadmin_login"), HTTP_ACCEPT_LANGUAGE="en-US")
    assert 'lang="zh-hans"' in login.content.decode()


def test_admin_in_english_for_english_users(client):
    """English can be chosen per user."""
    user = make_user(is_superuser=True)
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()
    client.force_login(user)
    response = client.get(reverse("wagtailadmin_home"))
    assert 'lang="en"' in response.content.decode()
