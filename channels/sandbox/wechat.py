"""WeChat official accounts (reference §1): tokens, images and materials, the
draft box, free publishing with its asynchronous jobs, and comments.

Errors are HTTP 200 with ``{"errcode", "errmsg"}``, the errmsg ending in a
``rid`` as the real one does. ``access_token`` goes in the query string.
"""

import copy
import hmac
import json
import re
import string
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import pages
from .faults import matched_words
from .sanitize import clean_article_html, plain_text
from .service import ApiError, Route, Service
from .web import Response, extension, json_response, not_found, sniff_type

ID_ALPHABET = string.ascii_letters + string.digits + "-_"
MMBIZ = "http://mmbiz.qpic.cn/"
MMBIZ_HOSTS = ("mmbiz.qpic.cn", "mmbiz.qlogo.cn")
#: Links an article may carry: other official-account articles.
LINK_HOSTS = ("mp.weixin.qq.com",)
TOKEN_KINDS = ("access", "stable")
MIME = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "bmp": "image/bmp",
}
OK = {"errcode": 0, "errmsg": "ok"}

# publish_status values (reference §1.8)
SUCCESS, PUBLISHING, ALL_DELETED = 0, 1, 5

ERRORS = {
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40004: "invalid media type",
    40005: "invalid file type",
    40006: "invalid file size",
    40007: "invalid media_id",
    40009: "invalid image size",
    40012: "invalid thumb size",
    40013: "invalid appid",
    40014: "invalid access_token",
    40033: "invalid charset. please check your request, if include \\uxxxx will "
    "create fail!",
    40097: "invalid args",
    41001: "access_token missing",
    41005: "media data missing",
    42001: "access_token expired",
    43001: "require GET method",
    43002: "require POST method",
    44002: "empty post data",
    44003: "empty news data",
    45002: "content size out of limit",
    45003: "title size out of limit",
    45004: "description size out of limit",
    45005: "url size out of limit",
    45008: "article size out of limit",
    45009: "reach max api daily quota limit",
    45110: "author size out of limit",
    45166: "invalid content",
    47001: "data format error",
    48001: "api unauthorized",
    53502: "invalid publish_id",
    53600: "invalid article_id",
    88000: "without comment privilege",
    88001: "msg_data is not exists",
    88005: "already reply",
    88007: "reply content beyond max len or content len is zero",
    88008: "comment is not exists",
    88010: "count range error. cout <= 0 or count > 50",
}

#: Comments the sandbox's readers leave on articles with comments open.
SEED_COMMENTS = (
    "写得很好，学习了！",
    "请问具体什么时间开始？",
    "支持，希望多发布这类信息。",
    "已转发给同事。",
    "有没有更详细的办理流程？",
    "点赞！",
)

# (file types by content, file extensions, size limit, error when too big)
MATERIAL_RULES = {
    "image": ({"jpeg", "png", "gif", "bmp"}, {"jpg", "jpeg", "png", "gif", "bmp"},
              "image_max_bytes", 40009),
    "thumb": ({"jpeg"}, {"jpg", "jpeg"}, "thumb_max_bytes", 40012),
    "voice": (None, {"mp3", "wma", "wav", "amr"}, "voice_max_bytes", 40006),
    "video": ({"mp4"}, {"mp4"}, "video_max_bytes", 40006),
}  # fmt: skip

_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)")
_CHECKED_FIELD = re.compile(r'"(?:title|author)"\s*:\s*"((?:[^"\\]|\\.)*)"')

_GET, _POST = ("GET",), ("POST",)
ROUTES = {
    "/cgi-bin/" + api: Route(api, methods, "api_" + api.replace("/", "_"))
    for api, methods in (
        ("token", _GET),
        ("stable_token", _POST),
        ("media/uploadimg", _POST),
        ("material/add_material", _POST),
        ("material/del_material", _POST),
        ("material/get_materialcount", _GET),
        ("draft/add", _POST),
        ("draft/get", _POST),
        ("draft/update", _POST),
        ("draft/delete", _POST),
        ("draft/count", _GET),
        ("draft/batchget", _POST),
        ("freepublish/submit", _POST),
        ("freepublish/get", _POST),
        ("freepublish/batchget", _POST),
        ("freepublish/getarticle", _POST),
        ("freepublish/delete", _POST),
        ("comment/open", _POST),
        ("comment/close", _POST),
        ("comment/list", _POST),
        ("comment/markelect", _POST),
        ("comment/unmarkelect", _POST),
        ("comment/delete", _POST),
        ("comment/reply/add", _POST),
        ("comment/reply/delete", _POST),
    )
}


@dataclass
class Material:
    media_id: str
    account: str
    type: str
    url: str
    created: float


@dataclass
class Draft:
    media_id: str
    account: str
    articles: list
    created: float
    updated: float


@dataclass
class Job:
    publish_id: str
    account: str
    draft_id: str
    msg_data_id: str
    articles: list
    finish_at: float
    #: The publish_status the job ends with, and the articles that failed.
    outcome: int
    fail_idx: list
    status: int = PUBLISHING
    article_id: str = ""


@dataclass
class Publication:
    """A successful free publish: its articles carry ``is_deleted``."""

    article_id: str
    account: str
    publish_id: str
    msg_data_id: str
    articles: list
    published_at: float

    @property
    def all_deleted(self):
        return all(a["is_deleted"] for a in self.articles)


def escaped_text_fields(text):
    """Whether a title or author in raw JSON has ``\\uXXXX`` non-ASCII escapes."""
    for match in _CHECKED_FIELD.finditer(text):
        for escape in _ESCAPE.finditer(match.group(1)):
            code = escape.group(1)
            if len(code) == 5 and int(code[1:], 16) >= 0x80:
                return True
    return False


def _int(value, default=0):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(40097) from None


class WeChat(Service):
    code = "wechat_oa"
    ROUTES = ROUTES
    LIMITS = {
        "token_lifetime": 7200,
        #: A new token leaves the previous one valid this long (5 minutes).
        "token_grace": 300,
        #: The stable token is renewed when less than this is left.
        "stable_renew_before": 300,
        "force_refresh_per_day": 20,
        "force_refresh_spacing": 30,
        "title_max_chars": 32,
        "author_max_chars": 16,
        "digest_max_chars": 128,
        #: A single article without digest gets this much of its text.
        "digest_auto_chars": 54,
        #: Content must be shorter than both (必须少于2万字符，小于1M).
        "content_max_chars": 20_000,
        "content_max_bytes": 1024 * 1024,
        "source_url_max_bytes": 1024,
        #: Articles per draft (the MP editor's limit; the reference cites an old 10).
        "articles_max": 8,
        "uploadimg_max_bytes": 1024 * 1024,
        "image_max_bytes": 10 * 1024 * 1024,
        "thumb_max_bytes": 64 * 1024,
        "voice_max_bytes": 2 * 1024 * 1024,
        "video_max_bytes": 10 * 1024 * 1024,
        "publish_delay_ms": 300,
        #: 45166 for links other than to official-account articles.
        "reject_external_links": True,
        #: comment/list pages must be shorter than 50.
        "comment_page_max": 49,
        #: Daily allowances (reference §1.4); 45009 beyond.
        "quota": {
            "token": 2000,
            "stable_token": 500_000,
            "media/uploadimg": 100_000,
            "draft/add": 1000,
            "draft/delete": 1000,
            "draft/update": 1000,
            "draft/count": 1000,
            "draft/batchget": 1000,
            "draft/get": 500,
            "freepublish/submit": 100,
            "freepublish/get": 100,
            "freepublish/delete": 10,
            "freepublish/getarticle": 100,
            "freepublish/batchget": 100,
        },
    }

    def new_db(self):
        return {
            "images": {},
            "materials": {},
            "drafts": {},
            "jobs": {},
            "pending": [],
            "publications": {},
            "by_msg": {},
            "comments": {},
            "forced": {},
        }

    # Accounts and plumbing ----------------------------------------------

    def register(self, body):
        credentials = body["credentials"]
        app_id = credentials.get("app_id") or credentials.get("appid")
        secret = credentials.get("app_secret") or credentials.get("secret")
        if not app_id or not secret:
            raise ValueError("WeChat accounts need app_id and app_secret")
        options = {"verified": body.get("verified", True), "uid": body.get("uid", "")}
        return self.state.add_account(
            self.code,
            app_id,
            body.get("name") or app_id,
            {"app_id": app_id, "app_secret": secret},
            options,
        )

    def is_api(self, request):
        return request.path.startswith("/cgi-bin/")

    def identify(self, request, route):
        if route.api == "token":
            key = request.query.get("appid", "")
        elif route.api == "stable_token":
            try:
                key = str(request.json().get("appid", ""))
            except (ValueError, AttributeError):
                return None
        else:
            token = self.state.find_token(
                request.query.get("access_token"), self.code, TOKEN_KINDS
            )
            return token.account if token else None
        return key if self.state.account(self.code, key) else None

    def handle(self, request, route, faults):
        try:
            if request.method not in route.methods:
                raise ApiError(43001 if route.methods == _GET else 43002)
            account = None
            if route.api not in ("token", "stable_token"):
                account = self.authorize(request, faults)
                self.take_quota(account, route.api, faults)
            handler = getattr(self, route.handler)
            return json_response(handler(request, account, faults))
        except ApiError as e:
            rid = "-".join(self.state.random_hex(8) for _ in range(3))
            message = e.message or ERRORS.get(e.code, "system error")
            return json_response(
                {"errcode": e.code, "errmsg": "%s rid: %s" % (message, rid)},
                code=e.code,
            )

    def authorize(self, request, faults):
        value = request.query.get("access_token", "")
        if not value:
            raise ApiError(41001)
        token = self.state.find_token(value, self.code, TOKEN_KINDS)
        if token is None:
            raise ApiError(40014)
        self.state.count_call(
            self.code, token.account, faults.expire_tokens_every, TOKEN_KINDS
        )
        problem = token.problem(self.state.now())
        if problem == "expired":
            raise ApiError(42001)
        if problem == "superseded":
            raise ApiError(40001)
        account = self.state.account(self.code, token.account)
        if account is None:
            raise ApiError(40014)
        return account

    def take_quota(self, account, api, faults):
        if not self.state.take_quota(
            self.code, account.key, api, self.quota(api, faults)
        ):
            raise ApiError(45009)

    def read_json(self, request, check_charset=False):
        if not request.body.strip():
            raise ApiError(44002)
        try:
            text = request.body.decode("utf-8")
            data = json.loads(text)
        except ValueError:
            raise ApiError(47001) from None
        if not isinstance(data, dict):
            raise ApiError(47001)
        if check_charset and escaped_text_fields(text):
            raise ApiError(40033)
        return data

    def new_id(self, length=43):
        return self.state.random_string(length, ID_ALPHABET)

    # Tokens -------------------------------------------------------------

    def check_app(self, app_id, secret):
        account = self.state.account(self.code, str(app_id or ""))
        if account is None:
            raise ApiError(40013)
        expected = account.credentials["app_secret"].encode()
        if not hmac.compare_digest(str(secret or "").encode(), expected):
            raise ApiError(40001, "invalid credential, AppSecret error")
        return account

    def issue(self, account, kind):
        value = "%d_%s" % (self.state.random.randint(80, 99), self.new_id(134))
        lifetime = self.limit("token_lifetime")
        return self.state.issue_token(self.code, account.key, kind, lifetime, value)

    def api_token(self, request, account, faults):
        query = request.query
        if query.get("grant_type") != "client_credential":
            raise ApiError(40002)
        account = self.check_app(query.get("appid"), query.get("secret"))
        self.take_quota(account, "token", faults)
        token = self.issue(account, "access")
        self.state.supersede(
            self.code, account.key, "access", self.limit("token_grace"), keep=token
        )
        return {"access_token": token.value, "expires_in": self.limit("token_lifetime")}

    def api_stable_token(self, request, account, faults):
        body = self.read_json(request)
        if body.get("grant_type") != "client_credential":
            raise ApiError(40002)
        account = self.check_app(body.get("appid"), body.get("secret"))
        self.take_quota(account, "stable_token", faults)
        now = self.state.now()
        live = [
            t
            for t in self.state.account_tokens(self.code, account.key, ("stable",))
            if t.problem(now) is None
        ]
        latest = max(live, key=lambda t: t.issued_at, default=None)
        if body.get("force_refresh"):
            last = self.db["forced"].get(account.key)
            if last is not None and now - last < self.limit("force_refresh_spacing"):
                raise ApiError(45009, "api freq out of limit")
            limit = self.limit("force_refresh_per_day")
            if not self.state.take_quota(self.code, account.key, "force", limit):
                raise ApiError(45009)
            self.db["forced"][account.key] = now
            token = self.issue(account, "stable")
            self.state.supersede(self.code, account.key, "stable", 0, keep=token)
        elif latest and latest.expires_at - now >= self.limit("stable_renew_before"):
            token = latest
        else:
            token = self.issue(account, "stable")
        return {
            "access_token": token.value,
            "expires_in": round(token.expires_at - now),
        }

    # Images and materials -------------------------------------------------

    def upload(self, request):
        upload = request.form()[1].get("media")
        if upload is None or not upload.data:
            raise ApiError(41005)
        return upload

    def store_image(self, data, kind):
        folder = "mmbiz_jpg" if kind == "jpeg" else "mmbiz_%s" % kind
        path = "%s/%s/0" % (folder, self.new_id(54))
        self.db["images"][path] = (data, MIME[kind])
        return MMBIZ + path

    def api_media_uploadimg(self, request, account, faults):
        upload = self.upload(request)
        kind, ext = sniff_type(upload.data), extension(upload.filename)
        if kind not in ("jpeg", "png") or ext not in ("", "jpg", "jpeg", "png"):
            raise ApiError(40005)
        if upload.size > self.limit("uploadimg_max_bytes"):
            raise ApiError(40009)
        return {"url": self.store_image(upload.data, kind), **OK}

    def api_material_add_material(self, request, account, faults):
        material_type = request.query.get("type", "")
        if material_type not in MATERIAL_RULES:
            raise ApiError(40004)
        kinds, extensions, size_limit, size_error = MATERIAL_RULES[material_type]
        upload = self.upload(request)
        kind, ext = sniff_type(upload.data), extension(upload.filename)
        if kinds is not None and kind not in kinds:
            raise ApiError(40005)
        if (ext or kinds is None) and ext not in extensions:
            raise ApiError(40005)
        if upload.size > self.limit(size_limit):
            raise ApiError(size_error)
        url = ""
        if material_type in ("image", "thumb"):
            url = self.store_image(upload.data, kind) + "?wx_fmt=" + kind
        media_id = self.new_id()
        self.db["materials"][media_id] = Material(
            media_id, account.key, material_type, url, self.state.now()
        )
        return {"media_id": media_id, "url": url} if url else {"media_id": media_id}

    def material(self, account, media_id, types=None):
        material = self.db["materials"].get(str(media_id or ""))
        if material is None or material.account != account.key:
            raise ApiError(40007)
        if types and material.type not in types:
            raise ApiError(40007)
        return material

    def api_material_del_material(self, request, account, faults):
        material = self.material(account, self.read_json(request).get("media_id"))
        del self.db["materials"][material.media_id]
        return OK

    def api_material_get_materialcount(self, request, account, faults):
        counts = {"voice_count": 0, "video_count": 0, "image_count": 0, "news_count": 0}
        for material in self.db["materials"].values():
            if material.account == account.key:
                kind = "image" if material.type == "thumb" else material.type
                counts["%s_count" % kind] += 1
        return counts

    # Drafts ---------------------------------------------------------------

    def image_ok(self, src):
        return (urlsplit(src).hostname or "") in MMBIZ_HOSTS

    def link_ok(self, href):
        if href.startswith("#"):
            return True
        parts = urlsplit(href)
        if parts.scheme not in ("http", "https"):
            return False
        if (parts.hostname or "") in LINK_HOSTS:
            return True
        own = urlsplit(self.state.base_url)
        return parts.netloc == own.netloc and parts.path.startswith("/wechat_oa/s/")

    def text_field(self, raw, name):
        value = raw.get(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ApiError(47001)
        return value

    def clean_article(self, account, raw):
        if not isinstance(raw, dict):
            raise ApiError(47001)
        article_type = raw.get("article_type") or "news"
        if article_type not in ("news", "newspic"):
            raise ApiError(40097)
        title, author, digest, content, source = (
            self.text_field(raw, name)
            for name in ("title", "author", "digest", "content", "content_source_url")
        )
        if not title.strip() or not content.strip():
            raise ApiError(44003)
        for value, limit, error in (
            (title, "title_max_chars", 45003),
            (author, "author_max_chars", 45110),
            (digest, "digest_max_chars", 45004),
        ):
            if len(value) > self.limit(limit):
                raise ApiError(error)
        if len(content) >= self.limit("content_max_chars") or len(
            content.encode("utf-8")
        ) >= self.limit("content_max_bytes"):
            raise ApiError(45002)
        if len(source.encode("utf-8")) > self.limit("source_url_max_bytes"):
            raise ApiError(45005)
        thumb_url = ""
        if article_type == "news":
            thumb = raw.get("thumb_media_id")
            thumb_url = self.material(account, thumb, ("image", "thumb")).url
        else:
            images = (raw.get("image_info") or {}).get("image_list") or []
            if not images:
                raise ApiError(44003)
            for image in images:
                self.material(account, (image or {}).get("image_media_id"), ("image",))
        cleaned, rejected, _dropped = clean_article_html(
            content, self.image_ok, self.link_ok
        )
        if rejected and self.limit("reject_external_links"):
            raise ApiError(45166)
        article = {
            "article_type": article_type,
            "title": title,
            "author": author,
            "digest": digest,
            "content": cleaned,
            "content_source_url": source,
            "thumb_media_id": raw.get("thumb_media_id", ""),
            "thumb_url": thumb_url,
            "show_cover_pic": 1 if raw.get("show_cover_pic") else 0,
            "need_open_comment": 1 if raw.get("need_open_comment") else 0,
            "only_fans_can_comment": 1 if raw.get("only_fans_can_comment") else 0,
        }
        for name in ("pic_crop_235_1", "pic_crop_1_1", "image_info", "cover_info"):
            if name in raw:
                article[name] = raw[name]
        return article

    def fill_digest(self, articles):
        if len(articles) == 1 and not articles[0]["digest"]:
            text = plain_text(articles[0]["content"])
            articles[0]["digest"] = text[: self.limit("digest_auto_chars")]

    def draft(self, account, media_id):
        draft = self.db["drafts"].get(str(media_id or ""))
        if draft is None or draft.account != account.key:
            raise ApiError(40007)
        return draft

    def news_item(self, article, url, with_content=True, deleted=None):
        item = {k: v for k, v in article.items() if with_content or k != "content"}
        item["url"] = url
        if deleted is not None:
            item["is_deleted"] = deleted
        return item

    def draft_url(self, draft, index):
        return "%s/wechat_oa/draft/%s?idx=%d" % (
            self.state.base_url,
            draft.media_id,
            index + 1,
        )

    def draft_items(self, draft, with_content=True):
        return [
            self.news_item(article, self.draft_url(draft, i), with_content)
            for i, article in enumerate(draft.articles)
        ]

    def api_draft_add(self, request, account, faults):
        body = self.read_json(request, check_charset=True)
        raw = body.get("articles")
        if not isinstance(raw, list) or not raw:
            raise ApiError(44003)
        if len(raw) > self.limit("articles_max"):
            raise ApiError(45008)
        articles = [self.clean_article(account, article) for article in raw]
        self.fill_digest(articles)
        now = self.state.now()
        draft = Draft(self.new_id(), account.key, articles, now, now)
        self.db["drafts"][draft.media_id] = draft
        return {"media_id": draft.media_id}

    def api_draft_get(self, request, account, faults):
        draft = self.draft(account, self.read_json(request).get("media_id"))
        return {
            "news_item": self.draft_items(draft),
            "create_time": int(draft.created),
            "update_time": int(draft.updated),
        }

    def api_draft_update(self, request, account, faults):
        body = self.read_json(request, check_charset=True)
        draft = self.draft(account, body.get("media_id"))
        index = _int(body.get("index", 0))
        if not 0 <= index < len(draft.articles):
            raise ApiError(40097)
        article = self.clean_article(account, body.get("articles"))
        articles = list(draft.articles)
        articles[index] = article
        self.fill_digest(articles)
        draft.articles = articles
        draft.updated = self.state.now()
        return OK

    def api_draft_delete(self, request, account, faults):
        draft = self.draft(account, self.read_json(request).get("media_id"))
        del self.db["drafts"][draft.media_id]
        return OK

    def api_draft_count(self, request, account, faults):
        drafts = self.db["drafts"].values()
        return {"total_count": sum(d.account == account.key for d in drafts)}

    def page_args(self, body):
        offset, count = _int(body.get("offset", 0)), _int(body.get("count", 0))
        if offset < 0 or not 1 <= count <= 20:
            raise ApiError(40097)
        return offset, count, bool(body.get("no_content"))

    def api_draft_batchget(self, request, account, faults):
        offset, count, no_content = self.page_args(self.read_json(request))
        drafts = sorted(
            (d for d in self.db["drafts"].values() if d.account == account.key),
            key=lambda d: d.updated,
            reverse=True,
        )
        chosen = drafts[offset : offset + count]
        return {
            "total_count": len(drafts),
            "item_count": len(chosen),
            "item": [
                {
                    "media_id": d.media_id,
                    "content": {
                        "news_item": self.draft_items(d, not no_content),
                        "create_time": int(d.created),
                        "update_time": int(d.updated),
                    },
                    "update_time": int(d.updated),
                }
                for d in chosen
            ],
        }

    # Free publishing --------------------------------------------------------

    def api_freepublish_submit(self, request, account, faults):
        if not account.options.get("verified", True):
            raise ApiError(48001)
        draft = self.draft(account, self.read_json(request).get("media_id"))
        fail_idx = [
            i + 1
            for i, a in enumerate(draft.articles)
            if matched_words(
                faults, a["title"], a["author"], a["digest"], plain_text(a["content"])
            )
        ]
        if faults.publish_status is not None:
            outcome = faults.publish_status
            fail_idx = fail_idx or list(range(1, len(draft.articles) + 1))
        else:
            outcome = 4 if fail_idx else SUCCESS
        delay = faults.publish_delay_ms
        if delay is None:
            delay = self.limit("publish_delay_ms")
        job = Job(
            publish_id=str(self.state.next_number("wechat_publish", 2247483648)),
            account=account.key,
            draft_id=draft.media_id,
            msg_data_id=str(self.state.next_number("wechat_msg", 2247500000)),
            articles=copy.deepcopy(draft.articles),
            finish_at=self.state.now() + delay / 1000,
            outcome=outcome,
            fail_idx=fail_idx,
        )
        self.db["jobs"][job.publish_id] = job
        self.db["pending"].append(job)
        return {**OK, "publish_id": job.publish_id, "msg_data_id": job.msg_data_id}

    def settle(self):
        pending = self.db["pending"]
        if not pending:
            return
        now = self.state.now()
        for job in [j for j in pending if j.finish_at <= now]:
            pending.remove(job)
            self.finish(job)

    def finish(self, job):
        job.status = job.outcome
        if job.outcome != SUCCESS:
            return
        articles = [{**a, "is_deleted": False} for a in job.articles]
        publication = Publication(
            self.new_id(), job.account, job.publish_id, job.msg_data_id, articles,
            job.finish_at,
        )  # fmt: skip
        job.article_id = publication.article_id
        self.db["publications"][publication.article_id] = publication
        self.db["by_msg"][job.msg_data_id] = publication.article_id
        # Published drafts leave the draft box.
        self.db["drafts"].pop(job.draft_id, None)
        for index, article in enumerate(articles):
            if article["need_open_comment"]:
                for text in self.state.random.sample(SEED_COMMENTS, 2):
                    self.new_comment(publication, index, text, job.finish_at)

    def article_url(self, publication, index):
        url = "%s/wechat_oa/s/%s" % (self.state.base_url, publication.article_id)
        return url if index == 0 else "%s?idx=%d" % (url, index + 1)

    def publication(self, account, article_id):
        publication = self.db["publications"].get(str(article_id or ""))
        if publication is None or publication.account != account.key:
            raise ApiError(53600)
        return publication

    def publication_items(self, publication, with_content=True):
        return [
            self.news_item(
                article,
                self.article_url(publication, i),
                with_content,
                article["is_deleted"],
            )
            for i, article in enumerate(publication.articles)
        ]

    def api_freepublish_get(self, request, account, faults):
        publish_id = str(self.read_json(request).get("publish_id", ""))
        job = self.db["jobs"].get(publish_id)
        if job is None or job.account != account.key:
            raise ApiError(53502)
        result = {"publish_id": job.publish_id, "publish_status": job.status}
        if job.article_id:
            publication = self.db["publications"][job.article_id]
            if publication.all_deleted:
                result["publish_status"] = ALL_DELETED
            result["article_id"] = job.article_id
            result["article_detail"] = {
                "count": len(publication.articles),
                "item": [
                    {"idx": i + 1, "article_url": self.article_url(publication, i)}
                    for i in range(len(publication.articles))
                ],
            }
        result["fail_idx"] = job.fail_idx if job.status in (2, 3, 4) else []
        return result

    def api_freepublish_batchget(self, request, account, faults):
        offset, count, no_content = self.page_args(self.read_json(request))
        publications = sorted(
            (
                p
                for p in self.db["publications"].values()
                if p.account == account.key and not p.all_deleted
            ),
            key=lambda p: p.published_at,
            reverse=True,
        )
        chosen = publications[offset : offset + count]
        return {
            "total_count": len(publications),
            "item_count": len(chosen),
            "item": [
                {
                    "article_id": p.article_id,
                    "content": {
                        "news_item": self.publication_items(p, not no_content),
                        "create_time": int(p.published_at),
                        "update_time": int(p.published_at),
                    },
                    "update_time": int(p.published_at),
                }
                for p in chosen
            ],
        }

    def api_freepublish_getarticle(self, request, account, faults):
        article_id = self.read_json(request).get("article_id")
        return {
            "news_item": self.publication_items(self.publication(account, article_id))
        }

    def api_freepublish_delete(self, request, account, faults):
        body = self.read_json(request)
        publication = self.publication(account, body.get("article_id"))
        index = _int(body.get("index") or 0)
        if not 0 <= index <= len(publication.articles):
            raise ApiError(40097)
        chosen = (
            publication.articles if index == 0 else [publication.articles[index - 1]]
        )
        for article in chosen:
            article["is_deleted"] = True
        return OK

    # Comments -------------------------------------------------------------

    def new_comment(self, publication, index, text, created, openid=None):
        comment = {
            "user_comment_id": self.state.next_number("wechat_comment"),
            "openid": openid or "o" + self.new_id(27),
            "create_time": int(created),
            "content": text,
            "comment_type": 0,
            "deleted": False,
        }
        key = (publication.msg_data_id, index)
        self.db["comments"].setdefault(key, []).append(comment)
        return comment

    def comment_target(self, account, body):
        article_id = self.db["by_msg"].get(str(body.get("msg_data_id", "")))
        publication = self.db["publications"].get(article_id)
        if publication is None or publication.account != account.key:
            raise ApiError(88001)
        index = _int(body.get("index", 0))
        if not 0 <= index < len(publication.articles):
            raise ApiError(40097)
        if publication.articles[index]["is_deleted"]:
            raise ApiError(88001)
        return publication, index

    def comments(self, publication, index):
        key = (publication.msg_data_id, index)
        return [c for c in self.db["comments"].get(key, []) if not c["deleted"]]

    def comment(self, account, body):
        publication, index = self.comment_target(account, body)
        wanted = _int(body.get("user_comment_id"))
        for comment in self.comments(publication, index):
            if comment["user_comment_id"] == wanted:
                return comment
        raise ApiError(88008)

    def set_comments_open(self, request, account, is_open):
        publication, index = self.comment_target(account, self.read_json(request))
        publication.articles[index]["need_open_comment"] = 1 if is_open else 0
        return OK

    def api_comment_open(self, request, account, faults):
        return self.set_comments_open(request, account, True)

    def api_comment_close(self, request, account, faults):
        return self.set_comments_open(request, account, False)

    def api_comment_list(self, request, account, faults):
        body = self.read_json(request)
        publication, index = self.comment_target(account, body)
        if not publication.articles[index]["need_open_comment"]:
            raise ApiError(88000)
        begin, count = _int(body.get("begin", 0)), _int(body.get("count", 0))
        kind = _int(body.get("type", 0))
        if begin < 0 or not 1 <= count <= self.limit("comment_page_max"):
            raise ApiError(88010)
        if kind not in (0, 1, 2):
            raise ApiError(40097)
        comments = [
            c
            for c in self.comments(publication, index)
            if kind == 0 or (kind == 2) == (c["comment_type"] == 1)
        ]
        return {
            **OK,
            "total": len(comments),
            "comment": [
                {k: v for k, v in c.items() if k != "deleted"}
                for c in comments[begin : begin + count]
            ],
        }

    def api_comment_markelect(self, request, account, faults):
        self.comment(account, self.read_json(request))["comment_type"] = 1
        return OK

    def api_comment_unmarkelect(self, request, account, faults):
        self.comment(account, self.read_json(request))["comment_type"] = 0
        return OK

    def api_comment_delete(self, request, account, faults):
        self.comment(account, self.read_json(request))["deleted"] = True
        return OK

    def api_comment_reply_add(self, request, account, faults):
        body = self.read_json(request)
        comment = self.comment(account, body)
        content = body.get("content")
        if not isinstance(content, str) or not content.strip():
            raise ApiError(88007)
        if "reply" in comment:
            raise ApiError(88005)
        comment["reply"] = {"content": content, "create_time": int(self.state.now())}
        return OK

    def api_comment_reply_delete(self, request, account, faults):
        comment = self.comment(account, self.read_json(request))
        if comment.pop("reply", None) is None:
            raise ApiError(88008)
        return OK

    def add_comment(self, body):
        publication = self.db["publications"].get(str(body.get("post", "")))
        if publication is None:
            raise ValueError("no published article %r" % body.get("post"))
        index = int(body.get("index", 0))
        if not 0 <= index < len(publication.articles):
            raise ValueError("no article %d in %s" % (index, publication.article_id))
        if not publication.articles[index]["need_open_comment"]:
            raise ValueError("comments are closed on this article")
        comment = self.new_comment(
            publication, index, str(body.get("text", "")), self.state.now(),
            body.get("user"),
        )  # fmt: skip
        return {**comment, "msg_data_id": publication.msg_data_id, "index": index}

    # What the public sees -------------------------------------------------

    def published(self):
        items = []
        for publication in self.db["publications"].values():
            for i, article in enumerate(publication.articles):
                deleted = article["is_deleted"]
                item = self.item(
                    publication.account,
                    publication.article_id,
                    self.article_url(publication, i),
                    article["title"],
                    plain_text(article["content"]),
                    publication.published_at,
                    deleted,
                    "deleted" if deleted else "published",
                )
                item["index"] = i + 1
                items.append(item)
        return items

    def page(self, request):
        kind, _sep, rest = request.path.strip("/").partition("/")
        index = max(1, _page_index(request.query.get("idx")))
        if kind == "s":
            publication = self.db["publications"].get(rest)
            if publication is None or index > len(publication.articles):
                return not_found()
            article = publication.articles[index - 1]
            return pages.wechat_article(
                self.state,
                self.state.account(self.code, publication.account),
                article,
                self.comments(publication, index - 1),
                published_at=publication.published_at,
            )
        if kind == "draft":
            draft = self.db["drafts"].get(rest)
            if draft is None or index > len(draft.articles):
                return not_found()
            return pages.wechat_article(
                self.state,
                self.state.account(self.code, draft.account),
                {**draft.articles[index - 1], "is_deleted": False},
                [],
                preview=True,
            )
        if kind == "mmbiz" and rest in self.db["images"]:
            data, mime = self.db["images"][rest]
            return Response(200, data, mime)
        return not_found()


def _page_index(value):
    try:
        return int(value or 1)
    except ValueError:
        return 1
