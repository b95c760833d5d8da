"""The render helpers every adapter shares (channels.render): pure, reusable."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels import render
from channels.models import ReleaseTarget
from cms.models import CreditedRendition
from tests.utils import make_account, make_image, make_release, make_unit

pytestmark = pytest.mark.django_db

KEY = "3f2b8c1d-9a4e-4b7f-8c21-5d6e7f809a1b"


@pytest.fixture
def unit():
    return make_unit()


@pytest.fixture
def account(unit):
    return make_account(unit, platform="wechat_oa")


def test_public_link_is_the_release_address(unit):
    """Without a key the link is the release's public address."""
    release = make_release(unit)
    assert render.public_link(release) == release.full_url
    assert render.public_link(release).startswith("http://testserver/")


def test_public_link_carries_twelve_hex_digits_of_the_key(unit):
    """With a key the link carries ?rm= and the key's first 12 hex digits."""
    release = make_release(unit)
    link = render.public_link(release, KEY)
    assert link == release.full_url + "?rm=3f2b8c1d9a4e"
    assert render.link_carries_key(link, KEY)
    assert render.link_carries_key(link, uuid.UUID(KEY))


def test_with_key_replaces_an_earlier_key_and_keeps_the_query():
    """Adding a key keeps other parameters and replaces an older key."""
    url = render.with_key("https://example.cn/a/?x=1&rm=000000000000", KEY)
    assert url == "https://example.cn/a/?x=1&rm=3f2b8c1d9a4e"


def test_link_carries_key_is_exact():
    """Another key, a longer marker or no link do not match."""
    other = "3f2b8c1d-9a4f-4b7f-8c21-5d6e7f809a1b"
    assert not render.link_carries_key("https://a.cn/?rm=3f2b8c1d9a4e", other)
    assert not render.link_carries_key("https://a.cn/?rm=3f2b8c1d9a4e5", KEY)
    assert not render.link_carries_key("", KEY)
    assert not render.link_carries_key("https://a.cn/?rm=3f2b8c1d9a4e", "")
    assert render.link_carries_key("转发 https://a.cn/x?rm=3f2b8c1d9a4e 看看", KEY)


def test_absolute_url_uses_the_public_address(settings):
    """Relative addresses are made absolute against RONGMEI_PUBLIC_BASE_URL."""
    settings.RONGMEI_PUBLIC_BASE_URL = "https://news.example.cn/"
    assert render.absolute_url("/documents/1/a.pdf") == (
        "https://news.example.cn/documents/1/a.pdf"
    )
    assert render.absolute_url("https://other.cn/x") == "https://other.cn/x"


def test_target_for_reads_the_revisions_own_targets(unit, account):
    """On a revision's release the per-account wording of that revision counts."""
    release = make_release(unit, title="原标题")
    release.targets.add(
        ReleaseTarget(
            account=account, title_override="公众号标题", text_override="导语"
        )
    )
    revision = release.save_revision()
    other = make_account(unit, platform="weibo")

    as_sent = render.release_of(revision)
    assert render.target_for(as_sent, account).title_override == "公众号标题"
    assert render.target_for(as_sent, other) is None
    assert render.release_title(as_sent, account) == "公众号标题"
    assert render.release_title(as_sent, other) == "原标题"
    assert render.release_title(as_sent) == "原标题"
    assert render.text_override(as_sent, account) == "导语"
    assert render.text_override(as_sent, other) == ""


def test_body_blocks_are_type_and_value_pairs_in_order(unit):
    """The body is iterated as (block type, value) pairs."""
    release = make_release(
        unit,
        body=[
            ("heading", "一、背景"),
            ("paragraph", "<p>第一段</p>"),
            ("quote", {"text": "名言", "attribution": "某人"}),
        ],
    )
    blocks = list(render.body_blocks(release))
    assert [t for t, _v in blocks] == ["heading", "paragraph", "quote"]
    assert blocks[0][1] == "一、背景"
    assert blocks[2][1]["attribution"] == "某人"


def test_image_asset_describes_the_file_without_opening_it(unit):
    """An image asset names the image, its file and type, and makes no rendition."""
    image = make_image(title="封面")
    with CaptureQueriesContext(connection) as queries:
        asset = render.image_asset(image, "cover")
    assert asset["role"] == "cover"
    assert asset["image_id"] == image.pk
    assert asset["name"].endswith(".jpg")
    assert asset["content_type"] == "image/jpeg"
    assert (asset["width"], asset["height"]) == (640, 360)
    assert len(queries) == 0
    assert not CreditedRendition.objects.exists()


def test_release_text_is_the_body_as_plain_lines(unit):
    """Each block with text gives one line; markup and extra spaces go."""
    release = make_release(
        unit,
        body=[
            ("heading", "小标题"),
            ("paragraph", "<p>第一段 <b>加粗</b></p><p>第二段</p>"),
            ("quote", {"text": "名言", "attribution": "某人"}),
        ],
    )
    assert render.release_text(release) == "小标题\n第一段 加粗\n第二段\n名言 ——某人"
    assert render.release_text(release, 6) == "小标题\n第…"


def test_shorten_cuts_only_what_is_too_long():
    """Derived text is cut to the limit, ending in an ellipsis."""
    assert render.shorten("一二三", 3) == "一二三"
    assert render.shorten("一二三四", 3) == "一二…"
    assert render.shorten("一二三四", None) == "一二三四"


def test_html_to_text_puts_blocks_on_lines():
    """Paragraphs, list items and line breaks each start a line."""
    html = "<p>甲<br>乙</p><ul><li>丙</li><li> 丁 </li></ul>"
    assert render.html_to_text(html) == "甲\n乙\n丙\n丁"


def test_problem_is_blocking_unless_said_otherwise():
    """A problem is a dict with code, message and whether it blocks sending."""
    assert render.problem("title_too_long", "太长") == {
        "code": "title_too_long",
        "message": "太长",
        "blocking": True,
    }
    assert render.problem("x", "y", blocking=False, field="title")["blocking"] is False
