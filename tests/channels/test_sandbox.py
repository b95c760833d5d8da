"""The platform sandbox: real HTTP over loopback against the fake WeChat, Weibo,
Douyin and app receiver, their errors and limits as the reference describes,
fault injection, the request log and the pages the public would see.

Time is moved with ``sandbox.advance()`` instead of sleeping.
"""

import io
import json
import os
import re
import signal
import threading
import time

import pytest
import requests
from django.core.management import CommandError, call_command
from PIL import Image

from channels.management.commands.sandbox import points_at, sandbox_accounts
from channels.sandbox.app import sign
from channels.sandbox.server import SandboxServer
from tests.i18n import made_from, site_gettext
from tests.utils import make_account, make_unit

MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + bytes(2048)
WEBHOOK_SECRET = "app-webhook-secret-93b1"
WECHAT_SECRET = "wechat-secret-7d1"
WEIBO_TOKEN = "weibo-token-4c1f"


def image_bytes(fmt="JPEG", size=(64, 48), pad=0):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue() + b"\0" * pad


# ---------------------------------------------------------------------------
# Helpers: one account per platform, spoken to over HTTP


class WeChat:
    """Calls to the sandbox's WeChat API as one account."""

    def __init__(self, sandbox, app_id="wx5f2c9a0d1e", secret=WECHAT_SECRET, **options):
        self.sandbox = sandbox
        self.base = sandbox.base_url("wechat_oa") + "/cgi-bin/"
        self.app_id, self.secret = app_id, secret
        sandbox.register(
            {
                "platform": "wechat_oa",
                "name": "教务处公众号",
                "credentials": {"app_id": app_id, "app_secret": secret},
                **options,
            }
        )
        self.access_token = ""

    def token(self, **params):
        query = {
            "grant_type": "client_credential",
            "appid": self.app_id,
            "secret": self.secret,
            **params,
        }
        return requests.get(self.base + "token", params=query, timeout=5).json()

    def login(self):
        self.access_token = self.token()["access_token"]
        return self.access_token

    def post(self, api, body=None, raw=None, token=None, **params):
        params.setdefault("access_token", token or self.access_token)
        data = raw if raw is not None else json.dumps(body or {}, ensure_ascii=False)
        if isinstance(data, str):
            data = data.encode("utf-8")
        return requests.post(
            self.base + api, params=params, data=data, timeout=5
        ).json()

    def get(self, api, token=None, **params):
        params.setdefault("access_token", token or self.access_token)
        return requests.get(self.base + api, params=params, timeout=5).json()

    def upload(self, api, data, filename="photo.jpg", **params):
        params.setdefault("access_token", self.access_token)
        files = {"media": (filename, data)}
        return requests.post(
            self.base + api, params=params, files=files, timeout=5
        ).json()

    def cover(self):
        data = image_bytes()
        return self.upload("material/add_material", data, type="image")["media_id"]

    def article(self, thumb, **fields):
        return {
            "title": "开学通知",
            "author": "教务处",
            "content": "<p>九月一日开学，请按时报到。</p>",
            "thumb_media_id": thumb,
            **fields,
        }

    def draft(self, *articles):
        return self.post("draft/add", {"articles": list(articles)})["media_id"]

    def submit(self, media_id):
        return self.post("freepublish/submit", {"media_id": media_id})

    def status(self, publish_id):
        return self.post("freepublish/get", {"publish_id": publish_id})


@pytest.fixture
def wechat(sandbox):
    api = WeChat(sandbox)
    api.login()
    return api


class Weibo:
    def __init__(self, sandbox, uid="5012345678", token=WEIBO_TOKEN):
        self.sandbox = sandbox
        self.base = sandbox.base_url("weibo") + "/2/"
        self.uid, self.token = uid, token
        sandbox.register(
            {
                "platform": "weibo",
                "name": "教务处微博",
                "uid": uid,
                "credentials": {"access_token": token},
                "safe_domains": ["news.example.edu.cn"],
            }
        )

    def share(self, status, pic=None, token=None, **fields):
        data = {
            "access_token": token or self.token,
            "status": status,
            "rip": "10.1.2.3",
        }
        data.update(fields)
        files = {"pic": ("p.jpg", pic)} if pic is not None else None
        return requests.post(
            self.base + "statuses/share.json", data=data, files=files, timeout=5
        )

    def get(self, api, **params):
        params.setdefault("access_token", self.token)
        return requests.get(self.base + api, params=params, timeout=5)

    def post(self, api, **data):
        data.setdefault("access_token", self.token)
        return requests.post(self.base + api, data=data, timeout=5)


@pytest.fixture
def weibo(sandbox):
    return Weibo(sandbox)


def notice(n=1):
    return "第%d期校园通知，详见 http://testserver/news/%d/" % (n, n)


class Douyin:
    def __init__(self, sandbox, open_id="open-id-7f3a"):
        self.sandbox = sandbox
        self.root = sandbox.base_url("douyin")
        self.base = self.root + "/api/douyin/v1/video/"
        self.open_id = open_id
        self.credentials = {
            "client_key": "awclientkey01",
            "client_secret": "douyin-secret-2e9",
            "access_token": "act.registered-token",
            "refresh_token": "rft.registered-refresh",
            "open_id": open_id,
        }
        sandbox.register(
            {
                "platform": "douyin",
                "name": "教务处抖音",
                "credentials": self.credentials,
            }
        )
        self.access_token = self.credentials["access_token"]

    def call(self, method, url, token=None, params=None, **kwargs):
        params = {"open_id": self.open_id, **(params or {})}
        headers = {"access-token": token or self.access_token}
        response = requests.request(
            method, url, params=params, headers=headers, timeout=5, **kwargs
        )
        assert response.status_code == 200
        return response.json()

    def upload(self, data=MP4, filename="clip.mp4"):
        return self.call(
            "POST", self.base + "upload_video/", files={"video": (filename, data)}
        )

    def create(self, text="新生开学典礼", video_id=None):
        if video_id is None:
            video_id = self.upload()["data"]["video"]["video_id"]
        body = {"video_id": video_id, "text": text}
        return self.call("POST", self.base + "create_video/", json=body)

    def oauth(self, path, **form):
        return requests.post(
            self.root + "/oauth/%s/" % path, data=form, timeout=5
        ).json()


@pytest.fixture
def douyin(sandbox):
    return Douyin(sandbox)


def webhook(
    sandbox,
    payload,
    secret=WEBHOOK_SECRET,
    timestamp=None,
    delivery="d-1",
    signature=None,
):
    body = json.dumps(payload, ensure_ascii=False).encode()
    timestamp = str(int(sandbox.now() if timestamp is None else timestamp))
    headers = {
        "Content-Type": "application/json",
        "X-Rongmei-Timestamp": timestamp,
        "X-Rongmei-Signature": signature or sign(secret, timestamp, body),
        "X-Rongmei-Delivery": delivery,
    }
    return requests.post(
        sandbox.base_url("app") + "/webhook", data=body, headers=headers, timeout=5
    )


@pytest.fixture
def app_account(sandbox):
    return sandbox.register(
        {
            "platform": "app",
            "name": "校园客户端",
            "credentials": {"secret": WEBHOOK_SECRET},
        }
    )


# ---------------------------------------------------------------------------
# WeChat: tokens


def test_wechat_token_is_issued_for_the_right_credentials_only(sandbox):
    """The token call answers a token valid 7200 s, or 40002 (grant_type), 40013
    (appid) or 40001 (secret) with HTTP 200."""
    api = WeChat(sandbox)
    good = api.token()
    assert good["expires_in"] == 7200 and len(good["access_token"]) > 100
    assert api.token(grant_type="password")["errcode"] == 40002
    assert api.token(appid="wx-unknown")["errcode"] == 40013
    wrong = api.token(secret="nope")
    assert wrong["errcode"] == 40001 and " rid: " in wrong["errmsg"]


def test_new_token_leaves_the_previous_one_valid_for_five_minutes(sandbox):
    """After a refetch the old token keeps working for 300 s, then answers 40001;
    the new one works until its 7200 s are up, then answers 42001."""
    api = WeChat(sandbox)
    old = api.login()
    new = api.login()
    assert old != new
    assert "total_count" in api.get("draft/count", token=old)
    sandbox.advance(299)
    assert "total_count" in api.get("draft/count", token=old)
    sandbox.advance(2)
    assert api.get("draft/count", token=old)["errcode"] == 40001
    assert "total_count" in api.get("draft/count", token=new)
    sandbox.advance(7200)
    assert api.get("draft/count", token=new)["errcode"] == 42001


def test_missing_unknown_and_force_expired_tokens(wechat, sandbox):
    """No token is 41001, an unknown one 40014; expire-tokens makes every issued
    token answer 42001 until a new one is fetched."""
    assert wechat.get("draft/count", token=None, access_token="")["errcode"] == 41001
    assert wechat.get("draft/count", token="bogus")["errcode"] == 40014
    assert sandbox.expire_tokens() == 1
    assert wechat.get("draft/count")["errcode"] == 42001
    wechat.login()
    assert wechat.get("draft/count") == {"total_count": 0}


def test_stable_token_is_reused_until_forced(sandbox):
    """stable_token returns the same token while it is valid; force_refresh issues
    a new one, invalidates the old at once, and may not repeat within 30 s."""
    api = WeChat(sandbox)
    body = {
        "grant_type": "client_credential",
        "appid": api.app_id,
        "secret": api.secret,
    }

    def stable(**extra):
        data = json.dumps({**body, **extra})
        return requests.post(api.base + "stable_token", data=data, timeout=5).json()

    first = stable()
    assert stable()["access_token"] == first["access_token"]
    forced = stable(force_refresh=True)
    assert forced["access_token"] != first["access_token"]
    assert api.get("draft/count", token=first["access_token"])["errcode"] == 40001
    assert stable(force_refresh=True)["errcode"] == 45009
    sandbox.advance(31)
    assert "access_token" in stable(force_refresh=True)


# ---------------------------------------------------------------------------
# WeChat: bodies, uploads, drafts


def test_bodies_must_be_utf8_json_without_escaped_titles(wechat):
    """An empty body is 44002, one that is not JSON 47001, a title sent as \\uXXXX
    escapes 40033; a GET on a POST-only API is 43002."""
    thumb = wechat.cover()
    article = wechat.article(thumb)
    assert wechat.post("draft/add", raw=b"")["errcode"] == 44002
    assert wechat.post("draft/add", raw=b"{not json")["errcode"] == 47001
    assert wechat.post("draft/add", raw="标题".encode("gbk"))["errcode"] == 47001
    escaped = json.dumps({"articles": [article]})  # ensure_ascii: \u5f00…
    assert wechat.post("draft/add", raw=escaped)["errcode"] == 40033
    assert "media_id" in wechat.post("draft/add", {"articles": [article]})
    assert wechat.get("draft/add")["errcode"] == 43002


def test_uploadimg_takes_small_jpg_and_png_only(wechat, sandbox):
    """Body images: JPG/PNG under 1 MB, else 40005 / 40009; no file is 41005. The
    URL is an mmbiz one, and the sandbox serves the image under /wechat_oa/mmbiz/."""
    ok = wechat.upload("media/uploadimg", image_bytes("PNG"), "a.png")
    assert ok["url"].startswith("http://mmbiz.qpic.cn/mmbiz_png/")
    local = ok["url"].replace(
        "http://mmbiz.qpic.cn/", sandbox.url + "/wechat_oa/mmbiz/"
    )
    served = requests.get(local, timeout=5)
    assert served.headers["Content-Type"] == "image/png"
    assert served.content == image_bytes("PNG")
    gif = wechat.upload("media/uploadimg", image_bytes("GIF"), "a.gif")
    assert gif["errcode"] == 40005
    renamed = wechat.upload("media/uploadimg", image_bytes(), "a.gif")
    assert renamed["errcode"] == 40005
    big = wechat.upload("media/uploadimg", image_bytes(pad=1024 * 1024))
    assert big["errcode"] == 40009
    response = requests.post(
        wechat.base + "media/uploadimg",
        params={"access_token": wechat.access_token},
        files={"other": ("a.jpg", image_bytes())},
        timeout=5,
    )
    assert response.json()["errcode"] == 41005


def test_permanent_materials_check_type_and_size(wechat):
    """add_material: type must be image|thumb|voice|video (40004); a thumb is a
    JPG of at most 64 KB (40005, 40012); images return a media_id and a url."""
    image = wechat.upload(
        "material/add_material", image_bytes("PNG"), "c.png", type="image"
    )
    assert image["media_id"] and image["url"].startswith("http://mmbiz.qpic.cn/")
    assert (
        wechat.upload("material/add_material", image_bytes(), type="news")["errcode"]
        == 40004
    )
    png_thumb = wechat.upload(
        "material/add_material", image_bytes("PNG"), "t.png", type="thumb"
    )
    assert png_thumb["errcode"] == 40005
    big_thumb = wechat.upload(
        "material/add_material", image_bytes(pad=65 * 1024), type="thumb"
    )
    assert big_thumb["errcode"] == 40012
    assert wechat.get("material/get_materialcount")["image_count"] == 1
    assert wechat.post("material/del_material", {"media_id": image["media_id"]}) == {
        "errcode": 0,
        "errmsg": "ok",
    }
    assert wechat.post("material/del_material", {"media_id": "x"})["errcode"] == 40007


@pytest.mark.parametrize(
    "changes, errcode",
    [
        ({"title": "题" * 33}, 45003),
        ({"author": "作" * 17}, 45110),
        ({"digest": "摘" * 129}, 45004),
        ({"content": "<p>%s</p>" % ("字" * 19_993)}, 45002),
        ({"content_source_url": "http://testserver/" + "a" * 1010}, 45005),
        ({"thumb_media_id": "not-a-material"}, 40007),
        ({"title": ""}, 44003),
        ({"content": '<p><a href="https://example.com/">外链</a></p>'}, 45166),
    ],
)
def test_draft_field_limits(wechat, changes, errcode):
    """Each draft field limit of the reference answers its own errcode."""
    article = wechat.article(wechat.cover(), **changes)
    assert wechat.post("draft/add", {"articles": [article]})["errcode"] == errcode


def test_draft_limits_at_their_edges_are_accepted(wechat):
    """A 32-character title, 16-character author, 128-character digest and a
    19,999-character body are within the limits; nine articles are not."""
    article = wechat.article(
        wechat.cover(),
        title="题" * 32,
        author="作" * 16,
        digest="摘" * 128,
        content="字" * 19_999,
    )
    assert "media_id" in wechat.post("draft/add", {"articles": [article]})
    assert wechat.post("draft/add", {"articles": [article] * 9})["errcode"] == 45008


def test_draft_content_is_cleaned_as_wechat_does(wechat, sandbox):
    """Scripts and iframes are removed, images not on mmbiz are dropped, links to
    official-account articles and anchors stay, a missing digest becomes the first
    54 characters; drafts can be read, listed, counted, updated and deleted."""
    mmbiz = wechat.upload("media/uploadimg", image_bytes())["url"]
    content = (
        '<section class="x" style="color: red; position: absolute">'
        "<p>第一段文字，" + "较长的正文" * 20 + "</p><script>alert(1)</script>"
        '<iframe src="https://evil.example/"></iframe>'
        '<img src="%s"><img src="https://img.example.com/a.png" onerror="x()">'
        '<a href="https://mp.weixin.qq.com/s/abc">往期</a><a href="#note1">注1</a>'
        "</section>" % mmbiz
    )
    media_id = wechat.draft(wechat.article(wechat.cover(), content=content))
    item = wechat.post("draft/get", {"media_id": media_id})["news_item"][0]
    kept = item["content"]
    assert "script" not in kept and "iframe" not in kept and "onerror" not in kept
    assert mmbiz in kept and "img.example.com" not in kept
    assert 'href="https://mp.weixin.qq.com/s/abc"' in kept and 'href="#note1"' in kept
    assert "position" not in kept and 'class="x"' not in kept and "color: red" in kept
    assert item["digest"] == ("第一段文字，" + "较长的正文" * 20)[:54]
    assert item["url"].startswith(sandbox.url + "/wechat_oa/draft/")
    assert "预览" in requests.get(item["url"], timeout=5).text

    update = {
        "media_id": media_id,
        "index": 0,
        "articles": wechat.article(wechat.cover(), title="更新后的标题"),
    }
    assert wechat.post("draft/update", update)["errcode"] == 0
    listing = wechat.post("draft/batchget", {"offset": 0, "count": 20, "no_content": 1})
    assert listing["total_count"] == 1 and listing["item_count"] == 1
    listed = listing["item"][0]["content"]["news_item"][0]
    assert listed["title"] == "更新后的标题" and "content" not in listed
    assert wechat.post("draft/batchget", {"offset": 0, "count": 21})["errcode"] == 40097
    assert wechat.get("draft/count") == {"total_count": 1}
    assert wechat.post("draft/delete", {"media_id": media_id})["errcode"] == 0
    assert wechat.post("draft/get", {"media_id": media_id})["errcode"] == 40007


def test_other_wechat_refusals(wechat, sandbox):
    """A POST to a GET-only API is 43001; a voice over its size 40006; a video
    that is not MP4 40005; stable_token for an unknown appid 40013; an unknown
    comment 88008."""
    assert wechat.post("draft/count")["errcode"] == 43001
    sandbox.limits(wechat_oa={"voice_max_bytes": 10})
    voice = wechat.upload(
        "material/add_material", b"ID3" + bytes(100), "v.mp3", type="voice"
    )
    assert voice["errcode"] == 40006
    video = wechat.upload("material/add_material", image_bytes(), "v.mp4", type="video")
    assert video["errcode"] == 40005
    body = {"grant_type": "client_credential", "appid": "wx-nobody", "secret": "x"}
    stable = requests.post(wechat.base + "stable_token", json=body, timeout=5).json()
    assert stable["errcode"] == 40013
    media_id = wechat.draft(wechat.article(wechat.cover(), need_open_comment=1))
    msg_data_id = wechat.submit(media_id)["msg_data_id"]
    sandbox.advance(1)
    unknown = {"msg_data_id": msg_data_id, "index": 0, "user_comment_id": 999}
    assert wechat.post("comment/markelect", unknown)["errcode"] == 88008


# ---------------------------------------------------------------------------
# WeChat: free publishing


def test_free_publish_goes_from_publishing_to_success(wechat, sandbox):
    """submit answers a publish_id; the job is publishing (1) until the delay has
    passed, then succeeded (0) with an article_id and the article's URL, which
    shows the article; the draft has left the draft box."""
    body_image = wechat.upload("media/uploadimg", image_bytes())["url"]
    media_id = wechat.draft(
        wechat.article(
            wechat.cover(),
            content='<p>九月一日开学。</p><img src="%s">' % body_image,
        ),
        wechat.article(wechat.cover(), title="第二篇：报到须知"),
    )
    submitted = wechat.submit(media_id)
    assert submitted["errcode"] == 0
    assert submitted["publish_id"].isdigit() and submitted["msg_data_id"]
    publishing = wechat.status(submitted["publish_id"])
    assert publishing["publish_status"] == 1 and "article_id" not in publishing
    assert sandbox.published() == []

    sandbox.advance(1)
    done = wechat.status(submitted["publish_id"])
    assert done["publish_status"] == 0 and done["fail_idx"] == []
    detail = done["article_detail"]
    assert detail["count"] == 2
    first, second = (item["article_url"] for item in detail["item"])
    assert first == "%s/wechat_oa/s/%s" % (sandbox.url, done["article_id"])
    assert second == first + "?idx=2"

    page = requests.get(first, timeout=5)
    assert page.status_code == 200
    assert "<h1>开学通知</h1>" in page.text and "教务处公众号" in page.text
    local_image = body_image.replace(
        "http://mmbiz.qpic.cn/", sandbox.url + "/wechat_oa/mmbiz/"
    )
    assert local_image in page.text
    assert requests.get(local_image, timeout=5).content == image_bytes()
    assert "第二篇：报到须知" in requests.get(second, timeout=5).text

    published = sandbox.published(platform="wechat_oa")
    assert [(p["title"], p["url"], p["deleted"]) for p in published] == [
        ("开学通知", first, False),
        ("第二篇：报到须知", second, False),
    ]
    assert wechat.submit(media_id)["errcode"] == 40007
    assert wechat.get("draft/count") == {"total_count": 0}


def test_published_articles_can_be_listed_read_and_deleted(wechat, sandbox):
    """batchget and getarticle show published articles; delete with an index
    removes one article, index 0 all of them (publish_status 5); the page then
    says so and the published record marks them deleted."""
    media_id = wechat.draft(
        wechat.article(wechat.cover()), wechat.article(wechat.cover(), title="其二")
    )
    publish_id = wechat.submit(media_id)["publish_id"]
    sandbox.advance(1)
    article_id = wechat.status(publish_id)["article_id"]
    listing = wechat.post("freepublish/batchget", {"offset": 0, "count": 10})
    assert listing["total_count"] == 1
    assert listing["item"][0]["article_id"] == article_id
    news = wechat.post("freepublish/getarticle", {"article_id": article_id})[
        "news_item"
    ]
    assert [n["is_deleted"] for n in news] == [False, False]

    assert wechat.post(
        "freepublish/delete", {"article_id": article_id, "index": 2}
    ) == {
        "errcode": 0,
        "errmsg": "ok",
    }
    assert [p["deleted"] for p in sandbox.published()] == [False, True]
    wechat.post("freepublish/delete", {"article_id": article_id, "index": 0})
    assert wechat.status(publish_id)["publish_status"] == 5
    page = requests.get(sandbox.published()[0]["url"], timeout=5)
    assert "该内容已被发布者删除" in page.text
    assert (
        wechat.post("freepublish/batchget", {"offset": 0, "count": 10})["total_count"]
        == 0
    )
    bad = wechat.post("freepublish/getarticle", {"article_id": "nope"})
    assert bad["errcode"] == 53600
    assert wechat.status("1")["errcode"] == 53502


def test_reject_words_fail_the_audit_with_fail_idx(wechat, sandbox):
    """With reject_words set, the job ends in status 4 (audit rejected) listing
    the offending article; nothing is published and the draft stays."""
    account = wechat.app_id
    sandbox.faults(account=account, reject_words=["内部资料"])
    media_id = wechat.draft(
        wechat.article(wechat.cover()),
        wechat.article(wechat.cover(), content="<p>这是内部资料。</p>"),
    )
    publish_id = wechat.submit(media_id)["publish_id"]
    sandbox.advance(1)
    status = wechat.status(publish_id)
    assert status["publish_status"] == 4 and status["fail_idx"] == [2]
    assert sandbox.published() == []
    assert wechat.get("draft/count") == {"total_count": 1}


def test_publish_status_fault_forces_a_plain_failure(wechat, sandbox):
    """The publish_status fault makes the job end in 3 with every article in
    fail_idx."""
    sandbox.faults(publish_status=3)
    publish_id = wechat.submit(wechat.draft(wechat.article(wechat.cover())))[
        "publish_id"
    ]
    sandbox.advance(1)
    assert wechat.status(publish_id) == {
        "publish_id": publish_id,
        "publish_status": 3,
        "fail_idx": [1],
    }


def test_publish_delay_also_passes_in_real_time(wechat, sandbox):
    """publish_delay_ms is real time too: a short delay finishes without moving
    the clock."""
    sandbox.faults(publish_delay_ms=50)
    publish_id = wechat.submit(wechat.draft(wechat.article(wechat.cover())))[
        "publish_id"
    ]
    time.sleep(0.1)
    assert wechat.status(publish_id)["publish_status"] == 0


def test_daily_quota_answers_45009_until_the_next_day(wechat, sandbox):
    """Past its daily quota an API answers 45009; the count restarts at the next
    Beijing day."""
    sandbox.faults(quota={"draft/count": 2})
    assert "total_count" in wechat.get("draft/count")
    assert "total_count" in wechat.get("draft/count")
    assert wechat.get("draft/count")["errcode"] == 45009
    sandbox.advance(86_400)
    wechat.login()
    assert "total_count" in wechat.get("draft/count")


def test_unverified_accounts_cannot_free_publish(sandbox):
    """An account registered as unverified gets 48001 from freepublish."""
    api = WeChat(sandbox, verified=False)
    api.login()
    media_id = api.draft(api.article(api.cover()))
    assert api.submit(media_id)["errcode"] == 48001


def test_comments_on_published_articles(wechat, sandbox):
    """Articles published with comments open come with two readers' comments;
    they can be listed, elected, answered once and deleted; closed articles give
    88000, pages of 50 or more 88010."""
    media_id = wechat.draft(
        wechat.article(wechat.cover(), need_open_comment=1),
        wechat.article(wechat.cover(), title="不开放留言"),
    )
    submitted = wechat.submit(media_id)
    sandbox.advance(1)
    key = {"msg_data_id": submitted["msg_data_id"], "index": 0}
    listing = wechat.post("comment/list", {**key, "begin": 0, "count": 10, "type": 0})
    assert listing["total"] == 2
    first = listing["comment"][0]
    assert first["openid"].startswith("o") and first["content"]
    comment = {**key, "user_comment_id": first["user_comment_id"]}
    assert (
        wechat.post("comment/reply/add", {**comment, "content": "谢谢关注"})["errcode"]
        == 0
    )
    again = wechat.post("comment/reply/add", {**comment, "content": "再次回复"})
    assert again["errcode"] == 88005
    assert (
        wechat.post("comment/reply/add", {**comment, "content": " "})["errcode"]
        == 88007
    )
    wechat.post("comment/markelect", comment)
    elected = wechat.post("comment/list", {**key, "begin": 0, "count": 10, "type": 2})
    assert [c["reply"]["content"] for c in elected["comment"]] == ["谢谢关注"]
    assert (
        wechat.post("comment/list", {**key, "begin": 0, "count": 50})["errcode"]
        == 88010
    )
    closed = {**key, "index": 1, "begin": 0, "count": 10}
    assert wechat.post("comment/list", closed)["errcode"] == 88000
    unknown = {"msg_data_id": "1", "index": 0, "begin": 0, "count": 10}
    assert wechat.post("comment/list", unknown)["errcode"] == 88001

    article_id = wechat.status(submitted["publish_id"])["article_id"]
    sandbox.add_comment("wechat_oa", article_id, "什么时候报到？", user="oReader1")
    wechat.post("comment/delete", comment)
    texts = [
        c["content"]
        for c in wechat.post("comment/list", {**key, "begin": 0, "count": 10})[
            "comment"
        ]
    ]
    assert len(texts) == 2 and "什么时候报到？" in texts
    page = requests.get(sandbox.published()[0]["url"], timeout=5).text
    assert "什么时候报到？" in page


# ---------------------------------------------------------------------------
# Weibo


def test_weibo_share_returns_a_status_seen_in_the_timeline_and_card(weibo, sandbox):
    """A valid share answers the status object; the user's timeline lists it, the
    card page shows it with its picture, and it is in the published record."""
    response = weibo.share(notice(), pic=image_bytes("PNG"))
    assert response.status_code == 200
    status = response.json()
    assert status["text"] == notice() and status["idstr"] == str(status["id"])
    assert status["user"]["idstr"] == weibo.uid
    assert re.fullmatch(
        r"\w{3} \w{3} \d\d \d\d:\d\d:\d\d \+0800 \d{4}", status["created_at"]
    )
    assert status["original_pic"].startswith("https://wx1.sinaimg.cn/large/")
    timeline = weibo.get("statuses/user_timeline.json").json()
    assert [s["id"] for s in timeline["statuses"]] == [status["id"]]
    url = "%s/weibo/%s/%s" % (sandbox.url, weibo.uid, status["id"])
    card = requests.get(url, timeout=5).text
    assert "第1期校园通知" in card and "教务处微博" in card
    assert 'href="http://testserver/news/1/"' in card
    picture = re.search(r'<img src="([^"]+)"', card).group(1)
    assert requests.get(picture, timeout=5).content == image_bytes("PNG")
    assert [(p["text"], p["url"]) for p in sandbox.published()] == [(notice(), url)]


@pytest.mark.parametrize(
    "fields, code",
    [
        ({"status": None}, "10016"),
        ({"rip": ""}, "10016"),
        ({"status": "  "}, "20008"),
        ({"status": notice() + "字" * 120}, "20012"),
        ({"status": notice() + " #开学季#"}, "10017"),
        ({"status": "没有链接的微博"}, "10017"),
        ({"status": "外站链接 https://example.com/a"}, "10017"),
    ],
)
def test_weibo_share_errors(weibo, fields, code):
    """Missing status or rip, empty or over-long text, a #topic# and a text
    without a URL on the safe domain are refused with HTTP 400 and Weibo's error
    shape."""
    data = {"access_token": weibo.token, "status": notice(), "rip": "10.1.2.3"}
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    response = requests.post(weibo.base + "statuses/share.json", data=data, timeout=5)
    assert response.status_code == 400
    assert response.json()["error_code"] == code
    assert response.json()["request"] == "/2/statuses/share.json"
    assert response.json()["error"]


def test_weibo_counts_every_character_and_takes_registered_domains(weibo):
    """140 characters (ASCII counting one each) pass, 141 do not; links to the
    account's registered safe domain (and its subdomains) are accepted."""
    base = "http://news.example.edu.cn/a "
    assert weibo.share(base + "字" * (140 - len(base))).status_code == 200
    too_long = weibo.share(base + "字" * (141 - len(base)))
    assert too_long.json()["error_code"] == "20012"
    assert weibo.share("见 https://www.news.example.edu.cn/b").status_code == 200


def test_weibo_refuses_the_same_text_twice_in_a_row(weibo):
    """Posting the text of the previous post again is 20019; once that post is
    deleted the text may be posted."""
    first = weibo.share(notice()).json()
    repeat = weibo.share(notice())
    assert repeat.status_code == 400 and repeat.json()["error_code"] == "20019"
    deleted = weibo.post("statuses/destroy.json", id=first["id"])
    assert deleted.status_code == 200
    assert weibo.share(notice()).status_code == 200


def test_weibo_hourly_post_limit(weibo, sandbox):
    """Over the hourly posting allowance Weibo answers 20016 with HTTP 403; an
    hour later posting works again."""
    sandbox.faults(quota={"statuses/share": 2})
    assert weibo.share(notice(1)).status_code == 200
    assert weibo.share(notice(2)).status_code == 200
    limited = weibo.share(notice(3))
    assert limited.status_code == 403 and limited.json()["error_code"] == "20016"
    sandbox.advance(3600)
    assert weibo.share(notice(3)).status_code == 200


def test_weibo_pictures_are_checked(weibo, sandbox):
    """pic must be JPEG/GIF/PNG (20005) under 5 MB (20006); a multipart post
    without pic is 20007."""
    assert weibo.share(notice(1), pic=image_bytes("GIF")).status_code == 200
    assert weibo.share(notice(2), pic=image_bytes("BMP")).json()["error_code"] == (
        "20005"
    )
    sandbox.limits(weibo={"pic_max_bytes": 2000})
    assert weibo.share(notice(3), pic=image_bytes(pad=2000)).json()["error_code"] == (
        "20006"
    )
    data = {"access_token": weibo.token, "status": notice(4), "rip": "1.2.3.4"}
    response = requests.post(
        weibo.base + "statuses/share.json",
        data=data,
        files={"other": ("a.txt", b"x")},
        timeout=5,
    )
    assert response.json()["error_code"] == "20007"


def test_weibo_token_errors(weibo, sandbox):
    """No token is 10006, an unknown one 21332 and an expired one 21327, all HTTP
    401; the Authorization: OAuth2 header is accepted."""
    assert weibo.share(notice(), token=" ").json()["error_code"] in ("10006", "21332")
    unknown = weibo.share(notice(), token="bogus")
    assert unknown.status_code == 401 and unknown.json()["error_code"] == "21332"
    header = requests.get(
        weibo.base + "statuses/user_timeline.json",
        headers={"Authorization": "OAuth2 " + weibo.token},
        timeout=5,
    )
    assert header.status_code == 200
    missing = requests.get(weibo.base + "statuses/user_timeline.json", timeout=5)
    assert missing.status_code == 401 and missing.json()["error_code"] == "10006"
    sandbox.expire_tokens(weibo.uid)
    expired = weibo.share(notice())
    assert expired.status_code == 401 and expired.json()["error_code"] == "21327"


def test_weibo_reject_words_are_illegal_content(weibo, sandbox):
    """reject_words make Weibo refuse the post as illegal content (20021)."""
    sandbox.faults(account=weibo.uid, reject_words=["谣言"])
    response = weibo.share(notice() + " 谣言")
    assert response.json()["error_code"] == "20021"
    assert sandbox.published() == []


def test_weibo_comments_and_deletion(weibo, sandbox):
    """New posts get two comments from the public; a reply is prefixed with
    回复@name: unless without_mention; a deleted post's card says it is gone."""
    status = weibo.share(notice()).json()
    comments = weibo.get("comments/show.json", id=status["id"]).json()
    assert comments["total_number"] == 2
    first = comments["comments"][0]
    reply = weibo.post(
        "comments/reply.json", id=status["id"], cid=first["id"], comment="感谢关注"
    ).json()
    assert reply["text"] == "回复@%s:感谢关注" % first["user"]["screen_name"]
    assert reply["reply_comment"]["id"] == first["id"]
    plain = weibo.post(
        "comments/reply.json",
        id=status["id"],
        cid=first["id"],
        comment="好的",
        without_mention="1",
    ).json()
    assert plain["text"] == "好的"
    unknown = weibo.post("comments/reply.json", id=status["id"], cid="1", comment="x")
    assert unknown.json()["error_code"] == "20201"
    assert weibo.get("comments/show.json", id=status["id"]).json()["total_number"] == 4

    weibo.post("statuses/destroy.json", id=status["id"])
    card = requests.get(sandbox.published()[0]["url"], timeout=5).text
    assert "已被作者删除" in card
    assert sandbox.published()[0]["deleted"] is True
    assert weibo.get("statuses/user_timeline.json").json()["statuses"] == []
    gone = weibo.post("statuses/destroy.json", id=status["id"])
    assert gone.json()["error_code"] == "20101"


# ---------------------------------------------------------------------------
# Douyin


def test_douyin_publishes_through_upload_and_create(douyin, sandbox):
    """upload_video then create_video answer in the data/extra envelope with
    error codes 0; the post is under review, then public in video_list with a
    share page, and in the published record."""
    uploaded = douyin.upload()
    assert uploaded["data"]["error_code"] == 0
    assert set(uploaded["extra"]) >= {"error_code", "sub_error_code", "logid", "now"}
    video_id = uploaded["data"]["video"]["video_id"]
    assert video_id.startswith("v0200f")
    created = douyin.create(video_id=video_id)
    item_id = created["data"]["item_id"]
    assert item_id.startswith("@") and created["extra"]["error_code"] == 0
    listing = douyin.call("GET", douyin.base + "video_list/", params={"count": 10})
    post = listing["data"]["list"][0]
    assert post["item_id"] == item_id and post["video_status"] == 4
    assert sandbox.published()[0]["status"] == "reviewing"
    sandbox.advance(1)
    listing = douyin.call("GET", douyin.base + "video_list/", params={"count": 10})
    post = listing["data"]["list"][0]
    assert post["video_status"] == 5 and post["is_reviewed"] is True
    assert listing["data"]["has_more"] is False
    page = requests.get(post["share_url"], timeout=5).text
    assert "新生开学典礼" in page and "<video" in page
    video = re.search(r'<video src="([^"]+)"', page).group(1)
    assert requests.get(video, timeout=5).content == MP4
    assert sandbox.published()[0]["url"] == post["share_url"]
    data = douyin.call(
        "POST", douyin.base + "video_data/", json={"item_ids": [item_id]}
    )
    assert [p["item_id"] for p in data["data"]["list"]] == [item_id]


def test_douyin_token_errors_keep_http_200(douyin, sandbox):
    """Token problems answer HTTP 200 with error codes in the envelope: unknown
    2190002, another user's open_id 2190002/28001015, expired 2190008/28001008."""
    unknown = douyin.call("GET", douyin.base + "video_list/", token="act.bogus")
    assert unknown["data"]["error_code"] == 2190002
    other = douyin.call("GET", douyin.base + "video_list/", params={"open_id": "x"})
    assert other["extra"]["sub_error_code"] == 28001015
    sandbox.expire_tokens(douyin.open_id)
    expired = douyin.call("GET", douyin.base + "video_list/")
    assert expired["data"]["error_code"] == 2190008
    assert expired["extra"]["error_code"] == 2190008
    assert expired["extra"]["sub_error_code"] == 28001008


def test_douyin_checks_uploaded_videos(douyin, sandbox):
    """Only MP4/WebM are taken, and single uploads only up to the size limit
    (128 MB, lowered here): both refusals are 2100005."""
    wrong = douyin.upload(image_bytes(), "clip.jpg")
    assert wrong["data"]["error_code"] == 2100005
    sandbox.limits(douyin={"video_max_bytes": 1000})
    assert douyin.upload()["data"]["error_code"] == 2100005


def test_douyin_part_upload(douyin, sandbox):
    """Part upload: init gives an upload_id; parts above the maximum are refused;
    completing needs every part but the last to reach the minimum; the video can
    be published; an upload_id expires after two hours."""
    sandbox.limits(douyin={"part_min_bytes": 1000, "part_max_bytes": 3000})
    base = douyin.base

    def init():
        return douyin.call("POST", base + "init_video_part_upload/")["data"][
            "upload_id"
        ]

    def part(upload_id, number, data):
        params = {"upload_id": upload_id, "part_number": number}
        return douyin.call(
            "POST",
            base + "upload_video_part/",
            params=params,
            files={"video": ("p", data)},
        )["data"]

    def complete(upload_id):
        params = {"upload_id": upload_id}
        return douyin.call("POST", base + "complete_video_part_upload/", params=params)

    upload_id = init()
    assert part(upload_id, 1, MP4[:1500])["error_code"] == 0
    assert part(upload_id, 2, MP4[1500:])["error_code"] == 0
    assert part(upload_id, 3, bytes(3001))["error_code"] == 2100005
    video_id = complete(upload_id)["data"]["video"]["video_id"]
    assert douyin.create(video_id=video_id)["data"]["item_id"]

    short = init()
    part(short, 1, MP4[:500])
    part(short, 2, MP4[500:])
    assert complete(short)["data"]["error_code"] == 2100005
    gap = init()
    part(gap, 2, MP4)
    assert complete(gap)["data"]["error_code"] == 2100005
    late = init()
    sandbox.advance(2 * 3600)
    douyin.access_token = douyin.oauth(
        "refresh_token",
        client_key=douyin.credentials["client_key"],
        grant_type="refresh_token",
        refresh_token=douyin.credentials["refresh_token"],
    )["data"]["access_token"]
    assert part(late, 1, MP4)["error_code"] == 2100005


def test_douyin_refresh_and_renewal_limits(douyin, sandbox):
    """refresh_token gives a new 15-day access token; renew_refresh_token gives a
    new refresh token (the old one stops working) at most five times (10020);
    a refresh token past 30 days is 10010."""
    key = douyin.credentials["client_key"]
    refresh = douyin.credentials["refresh_token"]
    sandbox.advance(15 * 86400)
    assert douyin.upload()["data"]["error_code"] == 2190008
    fresh = douyin.oauth(
        "refresh_token",
        client_key=key,
        grant_type="refresh_token",
        refresh_token=refresh,
    )
    assert fresh["message"] == "success" and fresh["data"]["expires_in"] == 1_296_000
    douyin.access_token = fresh["data"]["access_token"]
    assert douyin.upload()["data"]["error_code"] == 0
    for _renewal in range(5):
        renewed = douyin.oauth(
            "renew_refresh_token", client_key=key, refresh_token=refresh
        )
        assert renewed["data"]["expires_in"] == 30 * 86400
        old, refresh = refresh, renewed["data"]["refresh_token"]
        stale = douyin.oauth(
            "refresh_token",
            client_key=key,
            grant_type="refresh_token",
            refresh_token=old,
        )
        assert stale["data"]["error_code"] == 10010
    over = douyin.oauth("renew_refresh_token", client_key=key, refresh_token=refresh)
    assert over["data"]["error_code"] == 10020
    sandbox.advance(30 * 86400)
    expired = douyin.oauth(
        "refresh_token",
        client_key=key,
        grant_type="refresh_token",
        refresh_token=refresh,
    )
    assert expired["data"]["error_code"] == 10010


def test_douyin_authorization_code_flow(douyin, sandbox):
    """The consent page sends the browser back with a code; the code buys an
    access and refresh token once (a second use is 10007); a wrong secret is
    10013."""
    key = douyin.credentials["client_key"]
    connect = requests.get(
        douyin.root + "/platform/oauth/connect/",
        params={
            "client_key": key,
            "redirect_uri": "https://testserver/cb",
            "state": "s1",
            "open_id": douyin.open_id,
        },
        allow_redirects=False,
        timeout=5,
    )
    assert connect.status_code == 302
    code = re.search(r"code=(\w+)&state=s1", connect.headers["Location"]).group(1)
    secret = douyin.credentials["client_secret"]
    tokens = douyin.oauth(
        "access_token",
        client_key=key,
        client_secret=secret,
        code=code,
        grant_type="authorization_code",
    )
    assert tokens["data"]["open_id"] == douyin.open_id
    assert tokens["data"]["access_token"].startswith("act.")
    again = douyin.oauth(
        "access_token",
        client_key=key,
        client_secret=secret,
        code=code,
        grant_type="authorization_code",
    )
    assert again["data"]["error_code"] == 10007
    wrong = douyin.oauth(
        "access_token",
        client_key=key,
        client_secret="x",
        code=code,
        grant_type="authorization_code",
    )
    assert wrong["data"]["error_code"] == 10013


def test_douyin_reject_words_refuse_create_video(douyin, sandbox):
    """reject_words make create_video answer 2100005; nothing is published."""
    sandbox.faults(reject_words=["赌博"])
    refused = douyin.create(text="线上赌博广告")
    assert refused["data"]["error_code"] == 2100005
    assert sandbox.published() == []


def test_douyin_comments_and_deletion(douyin, sandbox):
    """Public posts get comments, which can be listed and replied to; a deleted
    post leaves the video list and its page says so."""
    item_id = douyin.create()["data"]["item_id"]
    sandbox.advance(1)
    params = {"item_id": item_id, "cursor": 0, "count": 10}
    listing = douyin.call("GET", douyin.root + "/item/comment/list/", params=params)
    comments = listing["data"]["list"]
    assert len(comments) == 2
    reply = douyin.call(
        "POST",
        douyin.root + "/item/comment/reply/",
        json={
            "item_id": item_id,
            "comment_id": comments[0]["comment_id"],
            "content": "欢迎报名",
        },
    )
    assert reply["data"]["comment_id"]
    replies = douyin.call(
        "GET",
        douyin.root + "/item/comment/reply/list/",
        params={**params, "comment_id": comments[0]["comment_id"]},
    )
    assert [r["content"] for r in replies["data"]["list"]] == ["欢迎报名"]
    deleted = douyin.call(
        "POST", douyin.base + "delete_video/", json={"item_id": item_id}
    )
    assert deleted["data"]["error_code"] == 0
    assert douyin.call("GET", douyin.base + "video_list/")["data"]["list"] == []
    assert "作品已删除" in requests.get(sandbox.published()[0]["url"], timeout=5).text
    again = douyin.call(
        "POST", douyin.base + "delete_video/", json={"item_id": item_id}
    )
    assert again["data"]["error_code"] == 2100005


# ---------------------------------------------------------------------------
# App webhook receiver


def test_app_webhook_checks_signature_time_and_delivery(sandbox, app_account):
    """A signed, fresh delivery is stored; a bad signature or a timestamp over
    five minutes old is 401; a repeated delivery id answers duplicate without
    storing twice; a missing delivery id is 400."""
    payload = {"title": "开学通知", "text": "九月一日开学", "id": "r-1"}
    first = webhook(sandbox, payload)
    assert first.status_code == 200
    assert first.json()["duplicate"] is False
    assert first.json()["url"] == sandbox.url + "/app/received/1"
    bad = webhook(sandbox, payload, delivery="d-2", signature="0" * 64)
    assert bad.status_code == 401 and bad.json()["error"] == "bad signature"
    other_key = webhook(sandbox, payload, delivery="d-2", secret="other")
    assert other_key.status_code == 401
    old = webhook(sandbox, payload, delivery="d-3", timestamp=sandbox.now() - 301)
    assert old.status_code == 401 and old.json()["error"] == "stale timestamp"
    repeat = webhook(sandbox, payload)
    assert repeat.status_code == 200 and repeat.json()["duplicate"] is True
    assert webhook(sandbox, payload, delivery="").status_code == 400
    published = sandbox.published(platform="app")
    assert [(p["title"], p["text"], p["account"]) for p in published] == [
        ("开学通知", "九月一日开学", app_account)
    ]
    listing = requests.get(sandbox.url + "/app/", timeout=5).text
    assert "开学通知" in listing
    detail = requests.get(first.json()["url"], timeout=5).text
    assert "九月一日开学" in detail and "d-1" in detail


def test_app_webhook_rejects_words_and_records_withdrawals(sandbox, app_account):
    """reject_words make the receiver answer 422 with a reason; a withdrawal
    event marks the earlier payload with the same id deleted."""
    sandbox.faults(account=app_account, reject_words=["机密"])
    refused = webhook(sandbox, {"title": "机密文件", "id": "r-9"})
    assert refused.status_code == 422 and "机密" in refused.json()["reason"]
    sandbox.clear_faults()
    webhook(sandbox, {"title": "开学通知", "id": "r-1"})
    webhook(sandbox, {"event": "release.withdrawn", "id": "r-1"}, delivery="d-2")
    assert [p["deleted"] for p in sandbox.published(platform="app")] == [True]


# ---------------------------------------------------------------------------
# Faults


def test_latency_delays_answers(wechat, sandbox):
    """latency_ms is added to every call of the account."""
    sandbox.faults(account=wechat.app_id, latency_ms=150)
    started = time.monotonic()
    wechat.get("draft/count")
    assert time.monotonic() - started >= 0.15
    assert sandbox.log()[-1]["fault"] == "latency"


def test_error_rate_answers_gateway_errors_without_processing(weibo, sandbox):
    """With error_rate 0.5 about half the calls get a gateway's 502/503 HTML page
    and are not processed: only the others are published."""
    sandbox.faults(error_rate=0.5)
    statuses = [weibo.share(notice(n)).status_code for n in range(40)]
    errors = [s for s in statuses if s in (502, 503)]
    assert 8 <= len(errors) <= 32
    assert set(statuses) <= {200, 502, 503}
    assert len(sandbox.published()) == statuses.count(200)
    faulted = [e for e in sandbox.log() if e["fault"] == "error"]
    assert len(faulted) == len(errors)


def test_gateway_error_pages_look_real(weibo, sandbox):
    """A 5xx fault answers an HTML page like the platform's front proxy."""
    sandbox.faults(error_rate=1)
    response = weibo.share(notice())
    assert response.status_code in (502, 503)
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<center>nginx</center>" in response.text


def test_timeout_after_processes_the_call_then_withholds_the_answer(weibo, sandbox):
    """timeout_mode "after": the client times out, yet the post was made."""
    sandbox.faults(timeout_rate=1, timeout_seconds=5, timeout_mode="after")
    with pytest.raises(requests.ReadTimeout):
        requests.post(
            weibo.base + "statuses/share.json",
            data={"access_token": weibo.token, "status": notice(), "rip": "1.1.1.1"},
            timeout=0.5,
        )
    assert [p["text"] for p in sandbox.published()] == [notice()]
    assert sandbox.log()[-1]["fault"] == "timeout_after"


def test_timeout_before_never_processes_the_call(weibo, sandbox):
    """timeout_mode "before": the client times out and nothing was posted."""
    sandbox.faults(timeout_rate=1, timeout_seconds=5, timeout_mode="before")
    with pytest.raises(requests.ReadTimeout):
        requests.post(
            weibo.base + "statuses/share.json",
            data={"access_token": weibo.token, "status": notice(), "rip": "1.1.1.1"},
            timeout=0.5,
        )
    assert sandbox.published() == []
    assert sandbox.log()[-1]["fault"] == "timeout_before"


def test_faults_apply_to_their_account_only(sandbox, weibo):
    """Faults set for one account leave the others alone; clearing them ends
    them."""
    other = Weibo(sandbox, uid="5099999999", token="other-token")
    sandbox.faults(account=weibo.uid, error_rate=1)
    assert weibo.share(notice(1)).status_code in (502, 503)
    assert other.share(notice(1)).status_code == 200
    sandbox.clear_faults(weibo.uid)
    assert weibo.share(notice(1)).status_code == 200


def test_expire_tokens_every_n_calls(wechat, sandbox):
    """expire_tokens_every 3: every third authenticated call finds the token
    expired (42001) and a fresh token works again."""
    sandbox.faults(account=wechat.app_id, expire_tokens_every=3)
    assert "total_count" in wechat.get("draft/count")
    assert "total_count" in wechat.get("draft/count")
    assert wechat.get("draft/count")["errcode"] == 42001
    wechat.login()
    assert "total_count" in wechat.get("draft/count")


def test_bad_fault_settings_are_refused(sandbox):
    """Unknown faults and impossible values are a 400 from the control API."""
    from channels.sandbox.client import SandboxError

    with pytest.raises(SandboxError, match="unknown fault"):
        sandbox.faults(nonsense=1)
    with pytest.raises(SandboxError, match="between 0 and 1"):
        sandbox.faults(error_rate=2)
    with pytest.raises(SandboxError, match="timeout_mode"):
        sandbox.faults(timeout_mode="sometimes")


# ---------------------------------------------------------------------------
# Log, pages, server


def test_request_log_keeps_no_secrets(wechat, weibo, douyin, sandbox):
    """Every platform call is logged with its path, status and code, but no
    access token, secret or refresh token appears anywhere in the log."""
    since = sandbox.log().last
    wechat.get("draft/count", token="wrong-token")
    weibo.share(notice())
    douyin.oauth(
        "refresh_token",
        client_key=douyin.credentials["client_key"],
        grant_type="refresh_token",
        refresh_token=douyin.credentials["refresh_token"],
    )
    douyin.upload()
    entries = sandbox.log(since=since)
    assert [e["api"] for e in entries] == [
        "draft/count",
        "statuses/share",
        "oauth/refresh_token",
        "video/upload_video",
    ]
    assert entries[0]["code"] == "40014" and entries[0]["status"] == 200
    assert entries[0]["path"] == "/wechat_oa/cgi-bin/draft/count"
    assert entries[3][
        "path"
    ] == "/douyin/api/douyin/v1/video/upload_video/?open_id=%s" % (douyin.open_id)
    text = json.dumps(sandbox.log(), ensure_ascii=False)
    secrets = [
        wechat.secret,
        wechat.access_token,
        "wrong-token",
        weibo.token,
        *[v for k, v in douyin.credentials.items() if k != "open_id"],
    ]
    for secret in secrets:
        assert secret not in text


def test_index_page_lists_accounts_and_what_they_published(weibo, sandbox):
    """The index shows each platform's accounts and links to published items."""
    status = weibo.share(notice()).json()
    page = requests.get(sandbox.url + "/", timeout=5)
    assert page.status_code == 200
    assert "教务处微博" in page.text and "/weibo/%s/%s" % (weibo.uid, status["id"]) in (
        page.text
    )


def test_pages_escape_what_they_show(weibo, sandbox):
    """Text from the outside is escaped on the pages."""
    weibo.share("<script>alert(1)</script> " + notice())
    card = requests.get(sandbox.published()[0]["url"], timeout=5).text
    assert "<script>alert(1)" not in card and "&lt;script&gt;" in card


def test_same_seed_gives_the_same_ids():
    """Two sandboxes with one seed answer the same calls with the same ids."""
    tokens = []
    for _run in range(2):
        with SandboxServer(port=0, seed=7) as server:
            from channels.sandbox.client import SandboxClient

            api = WeChat(SandboxClient(server.url))
            tokens.append(api.token()["access_token"])
    assert tokens[0] == tokens[1]


def test_only_loopback_addresses_are_served():
    """The server and the command refuse any address that is not loopback."""
    with pytest.raises(ValueError, match="loopback"):
        SandboxServer(host="0.0.0.0")  # noqa: S104 - refused
    with pytest.raises(CommandError) as refused:
        call_command("sandbox", host="192.168.1.10", stdout=io.StringIO())
    assert made_from(
        str(refused.value),
        "The sandbox listens on loopback addresses only (127.0.0.1, ::1, "
        "localhost), not %(host)s.",
        host="192.168.1.10",
    )
    assert points_at("http://127.0.0.1:8300/weibo", 8300)
    assert points_at("http://localhost:8300/app/webhook", 8300)
    assert not points_at("http://10.0.0.1:8300/weibo", 8300)
    assert not points_at("https://api.weibo.com", 8300)


def test_reset_can_keep_accounts(weibo, douyin, sandbox):
    """reset empties everything; with keep_accounts the accounts are registered
    again as they were, their registered tokens working."""
    weibo.share(notice())
    sandbox.reset(keep_accounts=True)
    assert sandbox.published() == []
    accounts = requests.get(sandbox.url + "/_sandbox/accounts", timeout=5).json()
    assert {a["account"] for a in accounts["accounts"]} == {weibo.uid, douyin.open_id}
    assert weibo.share(notice()).status_code == 200
    assert douyin.upload()["data"]["error_code"] == 0
    sandbox.reset()
    accounts = requests.get(sandbox.url + "/_sandbox/accounts", timeout=5).json()
    assert accounts["accounts"] == []


@pytest.mark.django_db
def test_command_registers_the_accounts_pointing_at_it(sandbox):
    """The accounts whose API (or app webhook) address is this sandbox are
    registered with their credentials; others are left out."""
    port = sandbox.server.port
    unit = make_unit()
    base = "http://127.0.0.1:%d" % port
    wechat = make_account(
        unit,
        "wechat_oa",
        api_base_url=base + "/wechat_oa",
        credentials={"app_id": "wx-demo", "app_secret": "s"},
    )
    app = make_account(
        unit,
        "app",
        name="客户端",
        api_base_url=base + "/app",
        credentials={"webhook_url": base + "/app/webhook", "secret": "hook"},
    )
    make_account(unit, "weibo", credentials={"access_token": "real"})
    found = [account for account, problem in sandbox_accounts(port) if not problem]
    assert set(found) == {wechat, app}
    keys = {sandbox.register(account) for account in found}
    assert keys == {"wx-demo", "客户端"}
    assert WeChat(sandbox, "wx-demo", "s").token()["expires_in"] == 7200


def test_command_serves_until_sigterm():
    """manage.py sandbox prints its address, serves, and stops cleanly on
    SIGTERM."""
    output, done, seen = _Output(), threading.Event(), {}

    def stop_when_serving():
        while not output.ready.wait(0.05):
            if done.is_set():
                return
        url = re.search(r"http://127\.0\.0\.1:\d+", output.getvalue()).group(0)
        seen["status"] = requests.get(url + "/_sandbox/clock", timeout=5).status_code
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=stop_when_serving)
    thread.start()
    try:
        call_command("sandbox", port=0, no_accounts=True, stdout=output)
    finally:
        done.set()
        thread.join()
    assert seen == {"status": 200}
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    assert output.getvalue().rstrip().endswith(site_gettext("Sandbox stopped."))


class _Output(io.StringIO):
    """Command output that tells when the address has been printed."""

    def __init__(self):
        super().__init__()
        self.ready = threading.Event()

    def write(self, text):
        written = super().write(text)
        if "http://" in text:
            self.ready.set()
        return written
