import pytest

from channels.models import ReleaseTarget
from cms.models import ReleasePage
from moderation.checks import DocumentError, ReleaseDocument, run_checks
from moderation.checks.base import html_to_text
from moderation.checks.lexicon import default_lexicon
from tests.i18n import made_from, site_language
from tests.utils import make_account, make_image, make_release, make_unit


def test_html_to_text_keeps_positions_and_links():
    text, links = html_to_text(
        "<p>第一段<b>加粗</b>，&lt;转义&gt;</p>\n<ul><li>一</li><li>二</li></ul>"
        "<p>见<a href='https://www.gov.cn/a'>政府网</a>。<script>x()</script></p>"
    )
    assert text == "第一段加粗，<转义>\n一\n二\n见政府网。"
    ((url, start, end),) = links
    assert url == "https://www.gov.cn/a"
    assert text[start:end] == "政府网"


def test_html_to_text_of_plain_text():
    assert html_to_text("  只是文字 ") == ("只是文字", [])


def test_from_json_fields_in_order():
    doc = ReleaseDocument.from_json(
        {
            "title": "标题",
            "subtitle": "副标题",
            "digest": "摘要",
            "body_html": "<p>正文<a href='https://a.cn'>链接</a></p><video src='v'>",
            "targets": ["wechat_oa", "weibo"],
            "images": [{"credit": "摄影：张三", "caption": "图说"}, {"credit": ""}],
        }
    )
    assert [f.name for f in doc.fields] == [
        "title",
        "subtitle",
        "digest",
        "body",
        "images[0].caption",
    ]
    assert doc.platforms == ["wechat_oa", "weibo"]
    assert doc.has_video
    assert doc.links[0].url == "https://a.cn"
    assert [i.field for i in doc.images] == ["images[0]", "images[1]"]


@pytest.mark.parametrize(
    "data, message, values",
    [
        ([], "The release must be a JSON object, not %(type)s.", {"type": "list"}),
        ({}, "%(key)s: required.", {"key": "title"}),
        (
            {"title": 3},
            "%(key)s: expected a string, got %(type)s.",
            {"key": "title", "type": "number"},
        ),
        (
            {"title": "t", "titel": "x"},
            "Unknown keys: %(keys)s (allowed: %(allowed)s).",
            {"keys": "titel"},
        ),
        (
            {"title": "t", "origin": "copy"},
            "origin: expected one of %(choices)s, got %(value)r.",
            {"value": "'copy'"},
        ),
        (
            {"title": "t", "targets": "weibo"},
            "targets: expected a list of platform codes, got %(type)s.",
            {"type": "string"},
        ),
        (
            {"title": "t", "targets": ["weibo", "wechat"]},
            "targets[%(index)d]: unknown platform %(value)s "
            "(expected one of: %(choices)s).",
            {"index": "1", "value": "'wechat'"},
        ),
        (
            {"title": "t", "images": [3]},
            "%(key)s: expected an object, got %(type)s.",
            {"key": "images[0]", "type": "number"},
        ),
        (
            {"title": "t", "images": [{"is_map": "yes"}]},
            "%(key)s: expected true or false, got %(type)s.",
            {"key": "images[0].is_map", "type": "string"},
        ),
        (
            {"title": "t", "images": [{"credit": 1}]},
            "%(key)s: expected a string, got %(type)s.",
            {"key": "images[0].credit", "type": "number"},
        ),
        (
            {"title": "t", "has_video": 1},
            "%(key)s: expected true or false, got %(type)s.",
            {"key": "has_video", "type": "number"},
        ),
    ],
)
def test_from_json_says_what_is_wrong_and_where(data, message, values):
    """Each error is the message for what is wrong (in the site language), naming
    the key and the value or type found there."""
    with pytest.raises(DocumentError) as excinfo, site_language():
        ReleaseDocument.from_json(data)
    errors = excinfo.value.errors
    assert any(made_from(error, message, **values) for error in errors), errors


def test_from_json_reports_every_error():
    with pytest.raises(DocumentError) as excinfo:
        ReleaseDocument.from_json({"title": 1, "targets": ["x"], "foo": 1})
    assert len(excinfo.value.errors) == 3


@pytest.fixture
def reprint_release(db):
    unit = make_unit()
    uncredited = make_image("无署名", credit="")
    map_image = make_image("地图", credit="自然资源部", is_map=True)
    cover = make_image("封面", credit="摄影：李四")
    release = make_release(
        unit,
        title="中华人民共合国成立纪念",
        subtitle="副标题",
        digest="摘要：内部资料",
        author="文／张三",
        origin=ReleasePage.Origin.REPRINT,
        source_name="新华社",
        source_url="https://www.news.cn/a.htm",
        original_title="原标题",
        original_author="王五",
        cover_image=cover,
        body=[
            ("paragraph", "<p>第一段<a href='https://item.taobao.com/1'>购买</a></p>"),
            ("heading", "小标题"),
            ("image", {"image": uncredited, "caption": "图说一", "credit": ""}),
            ("image", {"image": map_image, "caption": "", "credit": "标准地图服务"}),
            ("quote", {"text": "引文", "attribution": "某人"}),
            ("embed", "https://v.qq.com/x/page/abc.html"),
        ],
    )
    ReleaseTarget.objects.create(
        release=release,
        account=make_account(unit, platform="weibo", name="某微博"),
        title_override="微博" * 70,
    )
    ReleaseTarget.objects.create(
        release=release, account=make_account(unit, platform="douyin", name="某抖音")
    )
    # Saved before the rule existed, say: the check must see it all the same.
    ReleasePage.objects.filter(pk=release.pk).update(original_author="")
    return ReleasePage.objects.get(pk=release.pk)


def test_from_release_reads_text_images_targets_and_source(reprint_release):
    doc = ReleaseDocument.from_release(reprint_release)
    assert [f.name for f in doc.fields] == [
        "title",
        "subtitle",
        "digest",
        "author",
        "body.0",
        "body.1",
        "body.2.caption",
        "body.4",
        "body.4.attribution",
        "targets.0.title",
    ]
    assert doc.text("body.0") == "第一段购买"
    assert [(i.field, i.credit, i.is_map) for i in doc.images] == [
        ("cover", "摄影：李四", False),
        ("body.2", "", False),
        ("body.3", "标准地图服务", True),
    ]
    assert [(t.platform, t.title_field) for t in doc.targets] == [
        ("weibo", "targets.0.title"),
        ("douyin", ""),
    ]
    assert doc.targets[0].account.startswith("某微博")
    assert {link.url for link in doc.links} == {
        "https://item.taobao.com/1",
        "https://v.qq.com/x/page/abc.html",
    }
    assert doc.is_reprint and doc.source_name == "新华社"
    assert "第一段" in doc.body_html


def test_checks_on_a_release(reprint_release):
    findings = run_checks(
        ReleaseDocument.from_release(reprint_release), lexicon=default_lexicon()
    )
    codes = {(f.code, f.field) for f in findings}
    assert {
        ("protected_name.near_miss", "title"),
        ("secrecy.term", "digest"),
        ("image.no_credit", "body.2"),
        ("map.no_approval_number", "body.3"),
        ("reprint.missing_original_author", "original_author"),
        ("ads.link", "body.0"),
        ("length.weibo_status", "targets.0.title"),
        ("video.douyin_missing", "body"),
    } <= codes
    assert ("image.no_credit", "cover") not in codes
    fields = [f.field for f in findings]
    assert fields.index("title") < fields.index("digest") < fields.index("body.2")


def test_from_release_on_an_unsaved_revision(reprint_release):
    """The editor's latest revision is read, not the saved page."""
    page = reprint_release
    page.title = "新的标题"
    page.original_author = "王五"
    page.body = [("paragraph", "<p>己经改过的正文</p>")]
    revision = page.save_revision()
    draft = revision.as_object()
    doc = ReleaseDocument.from_release(draft)
    assert doc.title == "新的标题"
    assert doc.text("body.0") == "己经改过的正文"
    assert [t.platform for t in doc.targets] == ["weibo", "douyin"]
    findings = run_checks(doc, lexicon=default_lexicon())
    assert ("typo.confusion", "body.0") in {(f.code, f.field) for f in findings}


@pytest.mark.django_db
def test_from_release_of_a_plain_release():
    release = make_release(make_unit())
    doc = ReleaseDocument.from_release(release)
    assert [f.name for f in doc.fields][:2] == ["title", "digest"]
    assert doc.targets == () and doc.images == ()
    assert run_checks(doc, lexicon=default_lexicon()) == []
