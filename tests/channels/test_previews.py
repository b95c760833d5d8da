"""The editor's platform previews (微信图文, 微博, 抖音, App): each renders the
unsaved page through the real adapter, with the platform's limits and every
problem in a bar at the top."""

import json
import re

import pytest
from bs4 import BeautifulSoup
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils.html import escape
from wagtail.test.utils.form_data import (
    nested_form_data,
    querydict_from_html,
    rich_text,
    streamfield,
)
from wagtailmedia.models import get_media_model

from channels import previews
from channels.adapters import base
from channels.models import ReleaseTarget
from cms.models import ReleasePage, Role
from tests.i18n import site_gettext
from tests.utils import make_account, make_image, make_release, make_unit, make_user

pytestmark = pytest.mark.django_db

PLATFORMS = ["wechat_oa", "weibo", "douyin", "app"]


@pytest.fixture
def unit():
    return make_unit("教务处", "jwc")


@pytest.fixture
def accounts(unit):
    return {
        platform: make_account(unit, platform, name="教务处%s" % platform)
        for platform in PLATFORMS
    }


@pytest.fixture
def release(unit, accounts):
    return make_release(
        unit,
        title="关于期末考试安排的通知",
        digest="期末考试将于一月中旬举行。",
        targets=[ReleaseTarget(account=account) for account in accounts.values()],
    )


@pytest.fixture
def editor(unit):
    return make_user("bianji", roles=[(unit, Role.EDITOR)])


def preview(client, release, mode, **changes):
    """Post the editor's form with ``changes`` (unsaved), then GET the preview in
    ``mode``, as the preview panel does."""
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[release.pk]))
    assert edit.status_code == 200
    data = querydict_from_html(edit.content.decode(), form_id="page-edit-form")
    # The StreamField is drawn by script; post it as the browser would.
    body = changes.pop("body", [("paragraph", rich_text("<p>考试安排如下。</p>"))])
    data.update(nested_form_data({"body": streamfield(body)}))
    for name, value in changes.items():
        data[name] = value
    url = reverse("wagtailadmin_pages:preview_on_edit", args=[release.pk])
    state = client.post(url, data).json()
    assert state["is_valid"], state
    return client.get(url, {"mode": mode, "in_preview_panel": "true"})


def text_of(response):
    return response.content.decode()


def problems_in(html, kind):
    """Codes of the problems of ``kind`` ("blocking" or "warning") in the bar."""
    soup = BeautifulSoup(html, "html.parser")
    return [li["data-code"] for li in soup.select("li.rm-problem--%s" % kind)]


def shown(message, **params):
    """``message`` in the site language as the HTML shows it (escaped)."""
    return escape(site_gettext(message, **params))


def test_the_platform_modes_are_offered_in_the_editor():
    """ChannelsConfig.ready adds the four platform modes after Wagtail's default
    view, labelled 微信图文, 微博, 抖音 and App."""
    modes = ReleasePage().preview_modes
    assert [name for name, _label in modes] == ["", *PLATFORMS]
    labels = dict(modes)
    assert str(labels["wechat_oa"]) == site_gettext("WeChat article")
    assert str(labels["weibo"]) == site_gettext("Weibo")
    assert str(labels["douyin"]) == site_gettext("Douyin")
    assert str(labels["app"]) == site_gettext("App")


def test_the_default_mode_is_still_the_page(client, release, editor):
    """The default ("") mode shows the public page, as before."""
    client.force_login(editor)
    response = preview(client, release, "")
    assert response.status_code == 200
    assert "rm-preview" not in text_of(response)
    assert "关于期末考试安排的通知" in text_of(response)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_mode_renders_the_unsaved_page_for_the_target_account(
    client, release, editor, accounts, platform
):
    """Each mode renders what is in the editor (an unsaved title) through the
    platform's adapter for the release's account there, with its limits."""
    client.force_login(editor)
    response = preview(client, release, platform, title="尚未保存的新标题")
    assert response.status_code == 200
    html = text_of(response)
    assert "rm-preview--%s" % platform in html
    assert shown("For %(account)s", account=accounts[platform]) in html
    assert accounts[platform].name in html
    not_installed = shown(
        "The %(platform)s adapter is not installed yet, so this preview cannot "
        "be shown.",
        platform=accounts[platform].get_platform_display(),
    )
    assert not_installed not in html
    assert 'class="rm-error"' not in html
    assert 'aria-label="%s"' % shown("Platform limits") in html
    assert "尚未保存的新标题" in html
    release.refresh_from_db()
    assert release.title == "关于期末考试安排的通知"  # nothing was saved


def test_a_platform_without_target_account_shows_an_example(client, unit, editor):
    """A release with no account on the platform is shown for an example account
    that is never saved, and says so."""
    weibo = make_account(unit, "weibo", name="教务处微博")
    release = make_release(unit, targets=[ReleaseTarget(account=weibo)])
    client.force_login(editor)
    response = preview(client, release, "app")
    assert response.status_code == 200
    html = text_of(response)
    assert (
        shown(
            "This release has no target account on this platform: shown for an "
            "example account."
        )
        in html
    )
    assert "教务处微博" not in html
    assert not release.targets.filter(account__platform="app").exists()


def test_every_target_account_on_the_platform_is_shown(client, unit, editor):
    """Two Weibo accounts, each with its own title override, each get their part."""
    first = make_account(unit, "weibo", name="教务处微博")
    second = make_account(unit, "weibo", name="招生办微博")
    release = make_release(
        unit,
        targets=[
            ReleaseTarget(account=first, title_override="第一个账号的标题"),
            ReleaseTarget(account=second, title_override="第二个账号的标题"),
        ],
    )
    client.force_login(editor)
    html = text_of(preview(client, release, "weibo"))
    assert html.count('class="rm-account"') == 2
    assert html.index("第一个账号的标题") < html.index("第二个账号的标题")


def test_weibo_shows_the_length_as_weibo_counts_it(client, release, editor):
    """The Weibo card shows the status's length in Weibo's own count against 140,
    and a shortened text as a warning."""
    from channels.adapters.weibo import STATUS_LIMIT

    client.force_login(editor)
    long_digest = "这是一段很长的摘要。" * 40
    html = text_of(preview(client, release, "weibo", digest=long_digest))
    match = re.search(r'data-weibo-length="(\d+)"', html)
    assert match and int(match[1]) <= STATUS_LIMIT
    assert (
        shown(
            "%(length)s of %(limit)s characters, as Weibo counts them",
            length=match[1],
            limit=STATUS_LIMIT,
        )
        in html
    )
    shortened = shown(
        "The text was shortened to fit Weibo's %(limit)s characters.",
        limit=STATUS_LIMIT,
    )
    assert shortened in html
    assert problems_in(html, "warning") == ["text_shortened"]


def test_blocking_problems_are_shown_in_red(client, release, editor):
    """A problem that stops sending is marked as blocking (red) in the bar."""
    client.force_login(editor)
    # Douyin posts a video; this release has none.
    html = text_of(preview(client, release, "douyin"))
    assert problems_in(html, "blocking") == ["no_video"]
    assert shown("Blocks sending") in html
    assert shown("Douyin takes videos only: add a video block to the body.") in html


def test_the_wechat_article_shows_its_images(client, release, editor):
    """The WeChat article shows the body's images where the adapter left
    placeholders for the uploads, and the cover in the chat card."""
    cover = make_image("封面", color=(20, 80, 160))
    photo = make_image("现场", color=(30, 160, 60))
    release.cover_image = cover
    release.save_revision()
    client.force_login(editor)
    html = text_of(
        preview(
            client,
            release,
            "wechat_oa",
            body=[
                ("paragraph", rich_text("<p>考试安排如下。</p>")),
                ("image", {"image": photo.pk, "caption": "考场", "credit": ""}),
            ],
        )
    )
    assert "rongmei-image:" not in html
    assert photo.get_rendition("width-640").url in html
    assert cover.get_rendition("fill-160x160").url in html
    assert "考场" in html
    assert "cover_missing" not in problems_in(html, "blocking")


def test_douyin_shows_the_video_and_caption(client, release, editor):
    """The Douyin post plays the body's video and shows the caption, with its
    length against Douyin's limit."""
    from channels.adapters.douyin import CAPTION_LIMIT

    video = get_media_model().objects.create(
        title="宣传片",
        file=ContentFile(b"\x00\x00\x00\x18ftypmp42", name="clip.mp4"),
        type="video",
        duration=12,
    )
    client.force_login(editor)
    html = text_of(
        preview(
            client,
            release,
            "douyin",
            body=[("video", {"video": video.pk, "caption": "宣传片"})],
        )
    )
    assert '<video controls preload="metadata" src="%s"' % video.url in html
    assert not problems_in(html, "blocking")
    assert "关于期末考试安排的通知" in html
    assert str(CAPTION_LIMIT) in html


def test_the_app_mode_shows_the_webhook_body(client, release, editor, accounts):
    """The App mode shows the JSON body the app's webhook receives, pretty-printed,
    with the account and the release."""
    client.force_login(editor)
    html = text_of(preview(client, release, "app", title="新标题"))
    soup = BeautifulSoup(html, "html.parser")
    body = json.loads(soup.select_one("pre.app-json").get_text())
    assert body["event"] == "release.published"
    assert body["account"] == {"id": accounts["app"].pk, "name": "教务处app"}
    assert body["release"]["title"] == "新标题"
    assert shown("This platform sets no limits of its own.") in html


def test_a_missing_adapter_says_so(client, release, editor, monkeypatch):
    """A platform whose adapter module cannot be imported gets a clear message
    instead of an error page."""
    monkeypatch.setitem(base._registry, "weibo", "channels.adapters.not_there")
    client.force_login(editor)
    response = preview(client, release, "weibo")
    assert response.status_code == 200
    assert shown(
        "The %(platform)s adapter is not installed yet, so this preview cannot "
        "be shown.",
        platform=site_gettext("Weibo"),
    ) in text_of(response)


def test_preview_needs_the_right_to_edit(client, release, unit):
    """As in Wagtail, previewing needs the edit permission: a first reviewer of
    the unit may preview; an editor of another unit and an archivist of this one
    are sent back to the dashboard."""
    reviewer = make_user("reviewer", roles=[(unit, Role.FIRST_REVIEWER)])
    client.force_login(reviewer)
    assert preview(client, release, "weibo").status_code == 200

    other = make_user("other", roles=[(make_unit("保卫处", "bwc"), Role.EDITOR)])
    archivist = make_user("archivist", roles=[(unit, Role.ARCHIVIST)])
    url = reverse("wagtailadmin_pages:preview_on_edit", args=[release.pk])
    for user in (other, archivist):
        client.force_login(user)
        response = client.get(url, {"mode": "weibo"})
        assert response.status_code == 302, user
        assert response["Location"] == reverse("wagtailadmin_home")
        assert client.post(url, {"title": "x"}).status_code == 302


def test_limit_rows_name_the_limits_and_flag_what_is_over():
    """Adapter limits read as labelled rows with the length used where known; a
    length over its limit is flagged, sizes are shown for people."""
    rows = previews.limit_rows(
        {
            "status": {"limit": 140, "length": 150},
            "pic_bytes": 5 * 1024 * 1024,
            "title": 32,
            "digest": 128,
            "something_new": {"a": 1},
        },
        used={"title": 12},
    )
    by_key = {row["key"]: row for row in rows}
    assert str(by_key["status"]["label"]) == site_gettext(
        "Weibo text, as Weibo counts it"
    )
    assert by_key["status"]["value"] == site_gettext(
        "%(length)s of %(limit)s characters", length=150, limit=140
    )
    assert by_key["status"]["over"]
    assert by_key["title"]["value"] == site_gettext(
        "%(length)s of %(limit)s characters", length=12, limit=32
    )
    assert not by_key["title"]["over"]
    assert by_key["digest"]["value"] == site_gettext(
        "at most %(limit)s characters", limit=128
    )
    assert "5.0" in by_key["pic_bytes"]["value"]
    assert by_key["something_new"]["label"] == "something_new"


def test_problem_rows_put_blocking_first():
    """Blocking problems come first; a problem that does not say is blocking."""
    rows = previews.problem_rows(
        [
            {"code": "a", "message": "warn", "blocking": False},
            {"code": "b", "message": "stop"},
        ]
    )
    assert [row["code"] for row in rows] == ["b", "a"]
    assert rows[0]["blocking"]
