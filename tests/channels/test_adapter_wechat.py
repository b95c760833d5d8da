"""The WeChat official-account adapter: the article it renders and the HTML
WeChat keeps, WeChat's answers and error codes, and publishing, polling,
finding, withdrawing and comments over real HTTP against the sandbox."""

import io
import json
import os
import re
import socket
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.documents import get_document_model

from channels import tokens
from channels.adapters.base import (
    AuthExpired,
    Outcome,
    RateLimited,
    Rejected,
    TransientError,
    UnknownOutcome,
    get_adapter,
)
from channels.adapters.wechat import (
    LIMITS,
    WechatAdapter,
    clean_style,
    error_for,
    fit_image,
    publish_outcome,
    reduce_html,
    replace_placeholders,
)
from channels.adapters.wechat import (
    _seconds_to_midnight as seconds_to_midnight,
)
from channels.models import Delivery, ReleaseTarget
from channels.render import link_carries_key
from cms.models import CreditedRendition
from tests.i18n import made_from, site_gettext
from tests.utils import make_account, make_image, make_release, make_unit, make_video

FIXTURES = Path(__file__).parent / "fixtures" / "wechat"
KEY = "5a1c3e9f-2b7d-4c6e-8f10-a2b3c4d5e6f7"
APP_SECRET = "wechat-secret-7d41c0"  # noqa: S105

SAID = "%(reason)s WeChat said: “%(errmsg)s”"
MSG_48001 = (
    "This WeChat account may not use the publishing API (48001). Since July "
    "2025 only verified accounts of organisations may: have the account "
    "verified on mp.weixin.qq.com, or send the release to another account."
)
MSG_REFUSED_AGAIN = (
    "WeChat refused the account's access token again after a "
    "refresh (%(code)s). Check the app_secret on the account's "
    "page, and that this server's address is on the account's "
    "IP whitelist (40164) on mp.weixin.qq.com."
)
MSG_REVIEW = "WeChat's review rejected the article."
MSG_FAILED_ARTICLES = "%(reason)s Failed articles: %(indexes)s."


def fixture(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def write_queries(queries):
    return [
        q["sql"]
        for q in queries.captured_queries
        if re.match(r"\s*(INSERT|UPDATE|DELETE)", q["sql"], re.I)
    ]


@pytest.fixture
def unit(db):
    return make_unit()


@pytest.fixture
def cover():
    return make_image(title="封面", color=(20, 90, 160))


def wechat_release(unit, cover, **kwargs):
    kwargs.setdefault("title", "我校举办2025年迎新晚会")
    kwargs.setdefault("author", "文／张三")
    kwargs.setdefault("digest", "晚会在大礼堂举行。")
    kwargs.setdefault(
        "body",
        [
            ("paragraph", "<p>9月1日晚，迎新晚会在大礼堂举行。</p>"),
            ("heading", "精彩节目"),
            ("quote", {"text": "欢迎新同学！", "attribution": "校长"}),
        ],
    )
    return make_release(unit, cover_image=cover, **kwargs)


def new_account(unit, sandbox=None, *, verified=True, **kwargs):
    app_id = "wx%s" % uuid.uuid4().hex[:16]
    if sandbox is not None:
        kwargs["api_base_url"] = sandbox.base_url("wechat_oa")
    account = make_account(
        unit,
        platform="wechat_oa",
        credentials={"app_id": app_id, "app_secret": APP_SECRET},
        is_verified=verified,
        **kwargs,
    )
    if sandbox is not None:
        sandbox.register(account)
    return account


# ---------------------------------------------------------------------------
# Rendering


def test_render_builds_the_draft_article(unit, cover):
    """The payload is draft/add's own body: title, byline, digest, reduced
    content with image placeholders, the public link, comments open."""
    account = new_account(unit)
    photo = make_image(title="现场", credit="摄影：李四")
    release = wechat_release(
        unit,
        cover,
        body=[
            ("paragraph", "<p>9月1日晚，迎新晚会举行。</p>"),
            ("image", {"image": photo, "caption": "晚会现场", "credit": ""}),
        ],
    )
    payload = WechatAdapter.render(release.latest_revision, account)

    assert payload.platform == "wechat_oa"
    assert payload.account_id == account.pk
    assert payload.title == "我校举办2025年迎新晚会"
    assert payload.problems == []
    (article,) = payload.content["articles"]
    assert article["title"] == "我校举办2025年迎新晚会"
    assert article["author"] == "文／张三"
    assert article["digest"] == "晚会在大礼堂举行。"
    assert article["thumb_media_id"] == ""
    assert article["need_open_comment"] == 1
    assert article["content_source_url"] == release.full_url == payload.link
    assert 'src="rongmei-image:%d"' % photo.pk in article["content"]
    assert "晚会现场 摄影：李四" in article["content"]
    assert [(a["role"], a["image_id"]) for a in payload.assets] == [
        ("cover", cover.pk),
        ("body_image", photo.pk),
    ]
    assert payload.assets[1]["placeholder"] == "rongmei-image:%d" % photo.pk
    assert payload.limits == {
        "title": 32,
        "author": 16,
        "digest": 128,
        "content_chars": 20000,
        "content_bytes": 1024 * 1024,
    }
    json.dumps(payload.as_json())


def test_render_writes_nothing(unit, cover):
    """Rendering (previews too) makes no rendition and writes nothing."""
    account = new_account(unit)
    release = wechat_release(
        unit,
        cover,
        body=[("image", {"image": make_image(), "caption": "", "credit": ""})],
    )
    revision = release.latest_revision
    with CaptureQueriesContext(connection) as queries:
        WechatAdapter.render(revision, account)
    assert write_queries(queries) == []
    assert not CreditedRendition.objects.exists()


def test_render_uses_the_accounts_own_wording(unit, cover):
    """The account's title override is the title; its text is the digest."""
    account = new_account(unit)
    release = wechat_release(unit, cover)
    release.targets.add(
        ReleaseTarget(
            account=account, title_override="迎新晚会今晚举行", text_override="一起来！"
        )
    )
    payload = WechatAdapter.render(release.save_revision(), account)
    article = payload.content["articles"][0]
    assert payload.title == article["title"] == "迎新晚会今晚举行"
    assert article["digest"] == "一起来！"


def test_render_reports_over_long_fields_and_cuts_nothing(unit, cover):
    """A title over 32, byline over 16 and digest over 128 characters are
    blocking problems; the fields are left whole."""
    account = new_account(unit)
    title = "标" * 33
    release = wechat_release(
        unit, cover, title=title, author="作" * 17, digest="摘" * 129
    )
    payload = WechatAdapter.render(release.latest_revision, account)

    codes = [p["code"] for p in payload.blocking_problems]
    assert codes == ["title_too_long", "author_too_long", "digest_too_long"]
    assert payload.content["articles"][0]["title"] == title
    assert made_from(
        payload.problems[0]["message"],
        "The %(field)s has %(length)d characters; WeChat allows %(limit)d.",
        length="33",
        limit="32",
    )


def test_render_derives_a_missing_digest_from_the_body(unit, cover):
    """Without a digest, the first 54 characters of the body are used."""
    account = new_account(unit)
    release = wechat_release(
        unit, cover, digest="", body=[("paragraph", "<p>%s</p>" % ("字" * 100))]
    )
    digest = WechatAdapter.render(release.latest_revision, account).content["articles"][
        0
    ]["digest"]
    assert digest == "字" * 53 + "…"


def test_render_needs_a_cover(unit):
    """WeChat requires a cover (thumb_media_id): none is a blocking problem."""
    account = new_account(unit)
    release = wechat_release(unit, None)
    payload = WechatAdapter.render(release.latest_revision, account)
    assert [p["code"] for p in payload.blocking_problems] == ["cover_missing"]
    assert not [a for a in payload.assets if a["role"] == "cover"]


def test_render_reports_a_body_too_long(unit, cover):
    """A body of 20,000 characters or more cannot be sent."""
    account = new_account(unit)
    release = wechat_release(
        unit,
        cover,
        body=[("paragraph", "<p>%s</p>" % ("字" * LIMITS["content_chars"]))],
    )
    payload = WechatAdapter.render(release.latest_revision, account)
    assert [p["code"] for p in payload.blocking_problems] == ["content_too_long"]


def test_render_of_a_reprint_names_its_source(unit, cover):
    """A reprint shows its source, original title and author, with the source's
    address as a note."""
    account = new_account(unit)
    release = wechat_release(
        unit,
        cover,
        origin="reprint",
        source_name="新华社",
        source_url="https://www.news.cn/a/1.html",
        original_title="原标题",
        original_author="记者甲",
    )
    content = WechatAdapter.render(release.latest_revision, account).content[
        "articles"
    ][0]["content"]
    assert site_gettext("Source: %(source)s", source="新华社<sup>[1]</sup>") in content
    assert site_gettext("Original title: %(title)s", title="原标题") in content
    assert site_gettext("Original author: %(author)s", author="记者甲") in content
    assert "<p>[1] https://www.news.cn/a/1.html</p>" in content
    assert site_gettext("Links in this article") in content


def test_render_points_to_what_wechat_cannot_carry(unit, cover):
    """A video becomes a line pointing to "Read more" (with a warning that
    does not block); an attachment becomes its title with the address as a
    note."""
    account = new_account(unit)
    video = make_video(title="晚会视频")
    document = get_document_model().objects.create(
        title="节目单", file=ContentFile(b"%PDF-1.4", name="programme.pdf")
    )
    release = wechat_release(
        unit,
        cover,
        body=[
            ("video", {"video": video, "caption": "晚会精彩瞬间"}),
            ("attachment", {"document": document, "title": ""}),
        ],
    )
    payload = WechatAdapter.render(release.latest_revision, account)
    content = payload.content["articles"][0]["content"]

    assert [(p["code"], p["blocking"]) for p in payload.problems] == [
        ("video_not_carried", False)
    ]
    assert payload.blocking_problems == []
    assert (
        site_gettext(
            "Video: %(caption)s (watch it through “Read more”)", caption="晚会精彩瞬间"
        )
        in content
    )
    assert "<p>节目单<sup>[1]</sup></p>" in content
    assert "[1] http://testserver%s" % document.url in content
    assert "<video" not in content and "<a " not in content


# ---------------------------------------------------------------------------
# What WeChat keeps of the HTML


def test_reduction_removes_active_and_embedded_elements():
    """script, style, iframe, form and the like go with everything inside."""
    reduced = reduce_html(
        "<p>甲</p><script>alert(1)</script><style>p{color:red}</style>"
        '<iframe src="https://v.qq.com/x"></iframe>'
        '<form action="/x"><input name="q"><button>搜</button></form>'
        "<noscript>无脚本</noscript><object>对象</object><!-- 注释 --><p>乙</p>"
    )
    assert reduced.html == "<p>甲</p><p>乙</p>"


def test_reduction_keeps_inline_styles_only():
    """class, id and event attributes go; inline styles stay, minus what
    WeChat drops; div becomes section and unknown tags their content."""
    reduced = reduce_html(
        '<div class="box" id="a" style="color:#333; position:absolute;'
        ' transform:rotate(3deg); background:url(https://x.cn/b.png)">'
        '<p onclick="x()" class="lead">正<b>文</b><font color="red">红</font></p>'
        "</div>"
    )
    assert reduced.html == (
        '<section style="color:#333;"><p>正<strong>文</strong>红</p></section>'
    )


def test_clean_style_drops_what_wechat_drops():
    """position, transform and url() declarations are removed."""
    assert clean_style("COLOR: red;position:fixed;;margin:0") == "color:red;margin:0;"
    assert clean_style("background-image:url(a.png)") == ""


def test_external_links_become_text_with_notes(settings):
    """A link elsewhere becomes its text and a numbered note with the address;
    links to WeChat articles stay; anchors and scripts leave only text."""
    settings.RONGMEI_PUBLIC_BASE_URL = "https://news.example.cn"
    reduced = reduce_html(
        '<p><a href="https://example.com/a" class="x">甲</a>、'
        '<a href="/documents/1/b.pdf">乙</a>、'
        '<a href="https://example.com/a">丙</a>、'
        '<a href="https://mp.weixin.qq.com/s/abc" target="_blank">公众号文章</a>、'
        '<a href="#top">顶部</a>、<a href="javascript:alert(1)">脚本</a></p>'
    )
    assert reduced.html == (
        "<p>甲<sup>[1]</sup>、乙<sup>[2]</sup>、丙<sup>[1]</sup>、"
        '<a href="https://mp.weixin.qq.com/s/abc">公众号文章</a>、顶部、脚本</p>'
    )
    assert reduced.notes == [
        "https://example.com/a",
        "https://news.example.cn/documents/1/b.pdf",
    ]


def test_images_not_hosted_by_wechat_are_marked_for_rehosting():
    """Other hosts' images get a placeholder and are listed once each;
    WeChat's own images and our placeholders stay; inline data goes."""
    reduced = reduce_html(
        '<p><img src="https://example.com/a.png" class="x" width="10">'
        '<img src="http://mmbiz.qpic.cn/mmbiz_jpg/abc/0">'
        '<img src="https://example.com/a.png">'
        '<img src="rongmei-image:7" alt="图">'
        '<img src="data:image/png;base64,AAAA"></p>'
    )
    assert reduced.html == (
        '<p><img src="rongmei-remote:1"/>'
        '<img src="http://mmbiz.qpic.cn/mmbiz_jpg/abc/0"/>'
        '<img src="rongmei-remote:1"/>'
        '<img alt="图" src="rongmei-image:7"/></p>'
    )
    assert reduced.remote_images == ["https://example.com/a.png"]


def test_replace_placeholders_is_exact():
    """Placeholder 1 is not mistaken for 12; addresses are escaped."""
    content = '<img src="rongmei-image:1"/><img src="rongmei-image:12"/>'
    replaced = replace_placeholders(
        content,
        {"rongmei-image:1": "http://a/1?x=1&y=2", "rongmei-image:12": "http://a/12"},
    )
    assert replaced == '<img src="http://a/1?x=1&amp;y=2"/><img src="http://a/12"/>'
    with pytest.raises(KeyError):
        replace_placeholders(content, {"rongmei-image:1": "x"})


# ---------------------------------------------------------------------------
# WeChat's answers (recorded JSON)


def test_a_finished_job_is_sent_with_its_article():
    """Status 0: sent, with the article id and its address."""
    outcome = publish_outcome(fixture("freepublish_get_success.json"))
    assert outcome.is_sent
    assert outcome.platform_id == "b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDvyWP4Hq4"
    assert outcome.url == "https://mp.weixin.qq.com/s/b5O2OUs25HBxRceL7hfReg"
    assert outcome.job_id == "2247503051"


def test_a_running_job_is_still_pending():
    """Status 1: still pending; a numeric publish_id becomes a string."""
    outcome = publish_outcome(fixture("freepublish_get_publishing.json"))
    assert outcome.state == Outcome.PENDING
    assert outcome.job_id == "2247503052"


def test_a_failed_job_is_rejected_with_the_failing_articles():
    """Status 3 and 4 are rejections naming the failed articles."""
    with pytest.raises(Rejected) as failed:
        publish_outcome(fixture("freepublish_get_failed.json"))
    assert failed.value.code == "publish_status=3"
    with pytest.raises(Rejected) as audit:
        publish_outcome(fixture("freepublish_get_audit_rejected.json"))
    assert audit.value.code == "publish_status=4"
    assert made_from(
        audit.value.message,
        MSG_FAILED_ARTICLES,
        reason=site_gettext(MSG_REVIEW),
        indexes="1, 2",
    )


def test_an_unknown_status_is_a_rejection_saying_so():
    """A status WeChat did not document is not taken for success."""
    with pytest.raises(Rejected) as error:
        publish_outcome(fixture("freepublish_get_unknown_status.json"))
    assert made_from(
        error.value.message,
        "WeChat reported the unknown publishing status %(status)s.",
        status="9",
    )


def test_a_draft_failing_the_publish_check_is_rejected():
    """errcode 53503 is a rejection with WeChat's message."""
    with pytest.raises(Rejected) as error:
        publish_outcome(fixture("freepublish_get_53503.json"))
    assert error.value.code == "53503"
    assert "该草稿未通过发布检查" in error.value.message


def test_error_codes_are_classified():
    """Quotas wait, busy is transient, 48001 says what to fix, unknown codes
    are refusals carrying WeChat's message."""
    daily = error_for(45009, fixture("quota_45009.json"), "freepublish/submit")
    assert isinstance(daily, RateLimited)
    assert 0 < daily.retry_after <= 86400
    minute = error_for(45011, fixture("minute_45011.json"), "draft/add")
    assert isinstance(minute, RateLimited) and minute.retry_after == 60
    assert type(error_for(-1, fixture("busy.json"), "draft/add")) is TransientError
    unauthorized = error_for(48001, fixture("freepublish_submit_48001.json"), "x")
    assert type(unauthorized) is Rejected
    assert site_gettext(MSG_48001) in unauthorized.message
    unknown = error_for(61451, fixture("unknown_errcode.json"), "draft/add")
    assert type(unknown) is Rejected and unknown.code == "61451"
    assert "invalid parameter" in unknown.message
    assert isinstance(error_for(40164, {"errcode": 40164}, "token"), AuthExpired)


def test_the_daily_quota_returns_at_midnight_in_beijing():
    """45009 waits until the next midnight, Asia/Shanghai."""
    now = datetime(2025, 3, 1, 23, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert seconds_to_midnight(now) == 3600
    assert seconds_to_midnight(datetime(2025, 3, 1, 15, 30, tzinfo=UTC)) == 30 * 60


def test_comments_are_read_into_messages():
    """A comment/list item becomes a Message keyed for the reply."""
    first, second = (
        WechatAdapter.comment_message(c, "2247500001", 0, "ART1")
        for c in fixture("comment_list.json")["comment"]
    )
    assert first.platform_id == "2247500001:0:1"
    assert first.text == "写得很好，学习了！"
    assert first.author == "oV5CrjpxgaGXNHIQigzNlgLTnwic"
    assert first.created_at == datetime(2025, 1, 1, tzinfo=UTC)
    assert first.post_id == "ART1"
    assert first.extra["elected"] is True
    assert first.extra["reply"]["content"] == "谢谢支持"
    assert second.author == ""
    assert second.extra["reply"] is None


# ---------------------------------------------------------------------------
# Images WeChat takes


def _image_bytes(fmt, size=(64, 48), mode="RGB", noise=False):
    image = PILImage.new(mode, size, (200, 40, 40, 128)[: len(mode)])
    if noise:
        image = PILImage.frombytes(mode, size, os.urandom(3 * size[0] * size[1]))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def test_a_small_jpeg_or_png_is_sent_as_it_is():
    """JPG and PNG under the limit are not touched; the name follows the type."""
    data = _image_bytes("PNG")
    assert fit_image(data, "a.jpeg", max_bytes=1024 * 1024) == (
        data,
        "a.png",
        "image/png",
    )


def test_other_images_become_jpegs_under_the_limit():
    """A GIF, a transparent PNG and a PNG over 1 MB become JPEGs under 1 MB."""
    for data in (
        _image_bytes("GIF"),
        _image_bytes("PNG", mode="RGBA"),
        _image_bytes("PNG", size=(1200, 1200), noise=True),
    ):
        fitted, name, content_type = fit_image(
            data, "图.png", max_bytes=1024 * 1024, formats=("JPEG",)
        )
        assert content_type == "image/jpeg" and name == "图.jpg"
        assert len(fitted) < 1024 * 1024
        assert PILImage.open(io.BytesIO(fitted)).format == "JPEG"
    big = _image_bytes("PNG", size=(1200, 1200), noise=True)
    assert len(big) > 1024 * 1024
    fitted, name, _type = fit_image(big, "big.png", max_bytes=1024 * 1024)
    assert name == "big.jpg" and len(fitted) < 1024 * 1024


def test_a_file_that_is_no_image_is_rejected():
    """What Pillow cannot read is a permanent refusal."""
    with pytest.raises(Rejected):
        fit_image(b"%PDF-1.4", "a.png", max_bytes=1024)


# ---------------------------------------------------------------------------
# Against the sandbox


class Checkpoints(dict):
    """Records checkpoints as the engine would store them; ``on`` runs a
    function right after the named step (to switch a fault on mid-publish)."""

    def __init__(self):
        super().__init__()
        self.hooks = {}

    def on(self, name, function):
        self.hooks[name] = function

    def __call__(self, name, value):
        self[name] = value
        hook = self.hooks.pop(name, None)
        if hook is not None:
            hook()


@pytest.fixture
def account(unit, sandbox):
    return new_account(unit, sandbox)


def app_id(account):
    return account.get_credentials()["app_id"]


def adapter_for(account, checkpoints=None, progress=None, cls=WechatAdapter):
    adapter = cls(account, timeout=(2, 5), checkpoint=checkpoints)
    adapter.progress = dict(progress or {})
    return adapter


def payload_for(release, account, key=KEY):
    payload = WechatAdapter.render(release.latest_revision, account)
    payload.key = key
    return payload


def apis(sandbox, since=0):
    return [entry["api"] for entry in sandbox.log(since)]


def settle(sandbox, adapter, outcome):
    """Let the sandbox finish the job, then poll it."""
    sandbox.advance(1)
    return adapter.poll(outcome)


def wechat_api(account, path, body):
    """Call the sandbox as WeChat with the account's stored token."""
    token = tokens.current(account, "access_token").value
    response = requests.post(
        "%s/cgi-bin/%s" % (account.api_base_url, path),
        params={"access_token": token},
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        timeout=5,
    )
    return response.json()


def test_publish_end_to_end(unit, cover, account, sandbox):
    """Upload the images, make the draft, submit it, poll: the article is
    published with the key in its link, in as many calls as promised."""
    photo = make_image(title="现场")
    release = wechat_release(
        unit,
        cover,
        body=[
            ("paragraph", "<p>9月1日晚，迎新晚会举行。</p>"),
            ("image", {"image": photo, "caption": "晚会现场", "credit": ""}),
        ],
    )
    checkpoints = Checkpoints()
    adapter = get_adapter(account, checkpoint=checkpoints, timeout=(2, 5))
    assert isinstance(adapter, WechatAdapter)
    payload = payload_for(release, account)

    pending = adapter.publish(payload)

    assert pending.state == Outcome.PENDING
    assert pending.job_id == checkpoints["publish_id"]
    assert set(checkpoints) == {
        "body_images",
        "cover_media_id",
        "draft_media_id",
        "publish_id",
        "msg_data_id",
    }
    assert checkpoints["body_images"][str(photo.pk)].startswith("http://mmbiz.qpic.cn/")

    sent = settle(sandbox, adapter, pending)

    assert sent.is_sent
    assert sent.url == "%s/wechat_oa/s/%s" % (sandbox.url, sent.platform_id)
    assert sent.extra["draft_media_id"] == checkpoints["draft_media_id"]
    (item,) = sandbox.published(platform="wechat_oa")
    assert item["id"] == sent.platform_id
    assert item["title"] == "我校举办2025年迎新晚会"
    assert item["status"] == "published"
    calls = apis(sandbox)
    assert calls == [
        "token",
        "media/uploadimg",
        "material/add_material",
        "draft/add",
        "freepublish/submit",
        "freepublish/get",
    ]
    per_image = calls.count("media/uploadimg") + calls.count("token")
    assert len(calls) - per_image == WechatAdapter.calls_per_publish

    (article,) = wechat_api(
        account, "freepublish/getarticle", {"article_id": sent.platform_id}
    )["news_item"]
    assert link_carries_key(article["content_source_url"], KEY)
    assert checkpoints["body_images"][str(photo.pk)] in article["content"]
    assert "rongmei-image:" not in article["content"]
    assert article["author"] == "文／张三"


def test_publish_resumes_from_its_checkpoints(unit, cover, account, sandbox):
    """A later publish reuses what progress holds: a submitted job is only
    reported again, an existing draft is submitted, never a second draft."""
    release = wechat_release(unit, cover)
    payload = payload_for(release, account)
    checkpoints = Checkpoints()
    first = adapter_for(account, checkpoints)
    checkpoints.on(
        "draft_media_id",
        lambda: sandbox.faults(app_id(account), quota={"freepublish/submit": 0}),
    )
    with pytest.raises(RateLimited):
        first.publish(payload)
    sandbox.clear_faults()
    seen = sandbox.log().last

    again = adapter_for(account, progress=dict(checkpoints))
    pending = again.publish(payload)
    assert apis(sandbox, seen) == ["freepublish/submit"]

    seen = sandbox.log().last
    once_more = adapter_for(account, progress=again.progress)
    assert once_more.publish(payload).job_id == pending.job_id
    assert apis(sandbox, seen) == []
    assert settle(sandbox, once_more, pending).is_sent
    assert len(sandbox.published(platform="wechat_oa")) == 1


def test_a_payload_with_blocking_problems_is_refused_before_any_call(
    unit, account, sandbox
):
    """Nothing is sent for a payload with a blocking problem."""
    payload = payload_for(wechat_release(unit, None), account)
    with pytest.raises(Rejected) as error:
        adapter_for(account).publish(payload)
    assert error.value.code == "render"
    assert sandbox.log() == []


def test_an_unreachable_platform_is_transient(unit, cover):
    """Nothing listens: the connection is refused, nothing was sent."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    account = new_account(unit, api_base_url="http://127.0.0.1:%d/wechat_oa" % port)
    payload = payload_for(wechat_release(unit, cover), account)
    with pytest.raises(TransientError) as error:
        adapter_for(account).publish(payload)
    assert type(error.value) is TransientError
    assert "secret" not in str(error.value).lower()


def test_an_expired_token_is_refreshed_once(unit, cover, account, sandbox):
    """After every token expired, the next call gets 42001: the token is
    fetched again once and the call repeated."""
    adapter = adapter_for(account)
    adapter.publish(payload_for(wechat_release(unit, cover), account))
    sandbox.expire_tokens(app_id(account))
    seen = sandbox.log().last

    later = adapter_for(account)
    pending = later.publish(
        payload_for(wechat_release(unit, cover), account, key=str(uuid.uuid4()))
    )

    entries = sandbox.log(seen)
    assert [e["api"] for e in entries].count("token") == 1
    assert [e["code"] for e in entries if e["code"]] == ["42001"]
    assert pending.state == Outcome.PENDING
    assert tokens.current(account, "access_token").generation == 2


@pytest.mark.django_db(transaction=True)
def test_workers_refresh_an_expired_token_once(sandbox):
    """Two workers meeting the expired token at once fetch one new token
    between them (a second fetch would void the first)."""
    unit = make_unit()
    account = new_account(unit, sandbox)
    release = wechat_release(unit, make_image())
    pending = adapter_for(account).publish(payload_for(release, account))
    sandbox.expire_tokens(app_id(account))
    seen = sandbox.log().last
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            adapter = adapter_for(account)
            adapter._access_token()
            barrier.wait(timeout=10)
            results.append(adapter.poll(pending))
        except Exception as e:  # noqa: BLE001 - reported by the test
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert len(results) == 2
    assert apis(sandbox, seen).count("token") == 1


class SharedAppAdapter(WechatAdapter):
    """An adapter whose app_id another system also uses: right after each of
    our token fetches, it fetches one too, and five minutes pass."""

    sandbox = None

    def _fetch_token(self):
        fetched = super()._fetch_token()
        credentials = self.credentials()
        requests.get(
            "%s/cgi-bin/token" % self.base_url,
            params={
                "grant_type": "client_credential",
                "appid": credentials["app_id"],
                "secret": credentials["app_secret"],
            },
            timeout=5,
        )
        self.sandbox.advance(301)
        return fetched


def test_a_token_refused_again_after_a_refresh_is_auth_expired(
    unit, cover, account, sandbox
):
    """40001 twice (our token voided by another fetcher each time): refreshed
    once, then AuthExpired telling the maintainer what to check."""
    adapter = adapter_for(account, cls=SharedAppAdapter)
    adapter.sandbox = sandbox
    with pytest.raises(AuthExpired) as error:
        adapter.find(payload_for(wechat_release(unit, cover), account), {})
    assert error.value.code == "40001"
    assert error.value.message == site_gettext(MSG_REFUSED_AGAIN, code="40001")
    entries = sandbox.log()
    assert [e["code"] for e in entries if e["api"] != "token"] == ["40001", "40001"]


def test_a_wrong_app_secret_is_auth_expired(unit, cover, sandbox):
    """The token call refusing the secret needs the maintainer at once."""
    account = new_account(unit, sandbox)
    sandbox.register(
        {
            "platform": "wechat_oa",
            "credentials": {"app_id": app_id(account), "app_secret": "another"},
        }
    )
    with pytest.raises(AuthExpired) as error:
        adapter_for(account).publish(payload_for(wechat_release(unit, cover), account))
    assert error.value.code == "40001"
    assert APP_SECRET not in str(error.value) + repr(error.value.detail)
    assert apis(sandbox) == ["token"]


def test_the_daily_quota_is_a_rate_limit(unit, cover, account, sandbox):
    """45009 on submit: wait until midnight in Beijing."""
    sandbox.faults(app_id(account), quota={"freepublish/submit": 0})
    with pytest.raises(RateLimited) as error:
        adapter_for(account).publish(payload_for(wechat_release(unit, cover), account))
    assert error.value.code == "45009"
    assert error.value.retry_after == pytest.approx(seconds_to_midnight(), abs=5)


def test_an_unverified_account_is_rejected_with_guidance(unit, cover, sandbox):
    """48001: the account may not free-publish; the message says what to do."""
    account = new_account(unit, sandbox, verified=False)
    with pytest.raises(Rejected) as error:
        adapter_for(account).publish(payload_for(wechat_release(unit, cover), account))
    assert error.value.code == "48001"
    assert made_from(
        error.value.message,
        SAID,
        reason=site_gettext(MSG_48001),
    )


def test_a_review_rejection_is_rejected_with_its_reason(unit, cover, account, sandbox):
    """Submitted, then refused by review (status 4): a rejection naming the
    failed article."""
    sandbox.faults(app_id(account), reject_words=["违禁词"])
    release = wechat_release(
        unit, cover, body=[("paragraph", "<p>这里有一个违禁词。</p>")]
    )
    adapter = adapter_for(account)
    pending = adapter.publish(payload_for(release, account))
    with pytest.raises(Rejected) as error:
        settle(sandbox, adapter, pending)
    assert error.value.code == "publish_status=4"
    assert made_from(
        error.value.message,
        MSG_FAILED_ARTICLES,
        reason=site_gettext(MSG_REVIEW),
        indexes="1",
    )
    assert sandbox.published(platform="wechat_oa") == []


def _time_out(sandbox, account, mode):
    return lambda: sandbox.faults(
        app_id(account), timeout_rate=1, timeout_mode=mode, timeout_seconds=3
    )


def test_a_submit_whose_answer_is_lost_is_found(unit, cover, account, sandbox):
    """The submit arrived but its answer timed out: unknown outcome; find()
    then sees the published article carrying the key, without resending."""
    checkpoints = Checkpoints()
    checkpoints.on("draft_media_id", _time_out(sandbox, account, "after"))
    adapter = adapter_for(account, checkpoints)
    adapter.timeout = (2, 0.5)
    payload = payload_for(wechat_release(unit, cover), account)
    with pytest.raises(UnknownOutcome):
        adapter.publish(payload)
    assert "publish_id" not in checkpoints
    sandbox.clear_faults()
    sandbox.advance(1)
    seen = sandbox.log().last

    found = adapter_for(account, checkpoints).find(payload, dict(checkpoints))

    assert found.is_sent
    (item,) = sandbox.published(platform="wechat_oa")
    assert found.platform_id == item["id"]
    assert found.url == item["url"]
    assert "freepublish/submit" not in apis(sandbox, seen)


def test_a_draft_whose_answer_is_lost_is_reused(unit, cover, account, sandbox):
    """draft/add arrived but its answer timed out: find() finds the draft by
    the key, checkpoints it and says absent; the next publish submits it."""
    checkpoints = Checkpoints()
    checkpoints.on("cover_media_id", _time_out(sandbox, account, "after"))
    adapter = adapter_for(account, checkpoints)
    adapter.timeout = (2, 0.5)
    payload = payload_for(wechat_release(unit, cover), account)
    with pytest.raises(UnknownOutcome):
        adapter.publish(payload)
    sandbox.clear_faults()
    assert "draft_media_id" not in checkpoints

    finder = adapter_for(account, checkpoints)
    assert finder.find(payload, dict(checkpoints)) is None
    assert checkpoints["draft_media_id"]

    again = adapter_for(account, checkpoints, progress=dict(checkpoints))
    assert settle(sandbox, again, again.publish(payload)).is_sent
    assert apis(sandbox).count("draft/add") == 1
    assert len(sandbox.published(platform="wechat_oa")) == 1


def test_a_draft_that_never_arrived_is_absent(unit, cover, account, sandbox):
    """draft/add timed out before WeChat saw it: find() says absent, and the
    next publish makes the draft once, reusing the uploads."""
    checkpoints = Checkpoints()
    checkpoints.on("cover_media_id", _time_out(sandbox, account, "before"))
    adapter = adapter_for(account, checkpoints)
    adapter.timeout = (2, 0.5)
    payload = payload_for(wechat_release(unit, cover), account)
    with pytest.raises(UnknownOutcome):
        adapter.publish(payload)
    sandbox.clear_faults()

    assert adapter_for(account, checkpoints).find(payload, dict(checkpoints)) is None
    assert "draft_media_id" not in checkpoints

    seen = sandbox.log().last
    again = adapter_for(account, checkpoints, progress=dict(checkpoints))
    assert settle(sandbox, again, again.publish(payload)).is_sent
    assert "material/add_material" not in apis(sandbox, seen)
    assert len(sandbox.published(platform="wechat_oa")) == 1


def test_find_asks_about_a_known_job(unit, cover, account, sandbox):
    """With the job id in progress, find() is a poll."""
    adapter = adapter_for(account, Checkpoints())
    payload = payload_for(wechat_release(unit, cover), account)
    pending = adapter.publish(payload)
    sandbox.advance(1)
    found = adapter_for(account).find(payload, {"publish_id": pending.job_id})
    assert found.is_sent
    assert found.job_id == pending.job_id


def test_find_without_any_trace_is_absent(unit, cover, account, sandbox):
    """Nothing was ever sent for the key: absent."""
    payload = payload_for(wechat_release(unit, cover), account)
    assert adapter_for(account).find(payload, {}) is None
    assert set(apis(sandbox)) == {"token", "freepublish/batchget", "draft/batchget"}


def _sent_delivery(unit, cover, account, sandbox):
    release = wechat_release(unit, cover)
    checkpoints = Checkpoints()
    adapter = adapter_for(account, checkpoints)
    sent = settle(sandbox, adapter, adapter.publish(payload_for(release, account)))
    now = timezone.now()
    delivery = Delivery.objects.create(
        release=release,
        revision=release.latest_revision,
        account=account,
        status=Delivery.Status.SENT,
        due_at=now,
        next_attempt_at=now,
        sent_at=now,
        platform_id=sent.platform_id,
        platform_url=sent.url,
        progress=dict(checkpoints),
    )
    return delivery, adapter


def test_withdraw_deletes_the_article(unit, cover, account, sandbox):
    """The published article is deleted on WeChat; its comments are gone."""
    delivery, adapter = _sent_delivery(unit, cover, account, sandbox)
    assert len(adapter.fetch_messages(None)) == 2
    adapter.withdraw(delivery)
    (item,) = sandbox.published(platform="wechat_oa")
    assert item["deleted"] is True
    assert adapter.fetch_messages(None) == []
    with pytest.raises(Rejected) as error:
        adapter.poll(Outcome(Outcome.PENDING, job_id=delivery.progress["publish_id"]))
    assert error.value.code == "publish_status=5"


def test_comments_are_fetched_and_answered(unit, cover, account, sandbox):
    """Comments on sent articles come back as messages; a reply reaches the
    comment, and only once."""
    delivery, adapter = _sent_delivery(unit, cover, account, sandbox)
    seeded = adapter.fetch_messages(None)
    assert len(seeded) == 2
    assert {m.post_id for m in seeded} == {delivery.platform_id}

    sandbox.advance(60)
    sandbox.add_comment("wechat_oa", delivery.platform_id, "什么时候开始报名？")
    new = adapter.fetch_messages(seeded[-1].created_at)
    assert [m.text for m in new] == ["什么时候开始报名？"]

    adapter.reply(new[0], "下周一开始。")
    (answered,) = [m for m in adapter.fetch_messages(None) if m.text == new[0].text]
    assert answered.extra["reply"]["content"] == "下周一开始。"
    with pytest.raises(Rejected) as error:
        adapter.reply(new[0], "再答一次")
    assert error.value.code == "88005"


def test_fetch_metrics_has_nothing_to_offer(unit, cover, account, sandbox):
    """The reference has no statistics API for free-published articles."""
    assert adapter_for(account).fetch_metrics(None) == {}
    assert sandbox.log() == []


class _ImageHandler(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):  # noqa: N802 - the stdlib's name
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format, *args):  # noqa: A002
        pass


@pytest.fixture
def image_server():
    """Another site on loopback serving one PNG."""
    _ImageHandler.body = _image_bytes("PNG", size=(80, 60))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ImageHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


def test_an_image_from_another_site_is_rehosted(
    unit, cover, account, sandbox, image_server
):
    """An image hosted elsewhere is fetched, uploaded with uploadimg, and the
    article shows WeChat's copy."""
    src = image_server + "/chart.png"
    release = wechat_release(
        unit, cover, body=[("paragraph", '<p>图表：<img src="%s"></p>' % src)]
    )
    checkpoints = Checkpoints()
    adapter = adapter_for(account, checkpoints)
    payload = payload_for(release, account)
    assert [a["role"] for a in payload.assets] == ["cover", "remote_image"]

    sent = settle(sandbox, adapter, adapter.publish(payload))

    hosted = checkpoints["body_images"][src]
    assert hosted.startswith("http://mmbiz.qpic.cn/")
    (article,) = wechat_api(
        account, "freepublish/getarticle", {"article_id": sent.platform_id}
    )["news_item"]
    assert 'src="%s"' % hosted in article["content"]
    assert image_server not in article["content"]
