"""Douyin open platform (reference §3): OAuth, video upload (single and in
parts), ``create_video``, the account's video list, and comments.

Always HTTP 200 with the ``data``/``extra`` envelope. Error codes: the older
table's code in ``error_code`` (2190008 expired token, 2190002 invalid token,
2100005 bad parameter, 2190001 quota), the newer one in
``extra.sub_error_code`` where one exists (28001008, 28001015, 28003017).
"""

import base64
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from urllib.parse import urlencode, urlsplit, urlunsplit

from . import pages
from .faults import matched_words
from .service import ApiError, Route, Service
from .state import CHINA
from .web import Response, json_response, not_found, redirect, sniff_type

ERRORS = {
    10003: "client_key 不存在",
    10005: "缺少参数",
    10007: "授权码 code 无效或已过期",
    10010: "refresh_token 已过期，请重新授权",
    10013: "client_key 或者 client_secret 错误",
    10020: "refresh_token 刷新次数超过限制",
    2100005: "参数不合法",
    2190001: "quota 已用完",
    2190002: "access_token 无效",
    2190008: "access_token 过期，请刷新或重新授权",
}
#: Newer codes sent as ``extra.sub_error_code`` beside the older ones.
SUB_CODES = {2190008: 28001008, 2190001: 28003017}

SEED_USERS = ("抖友小明", "吃瓜群众", "本地生活家")
SEED_COMMENTS = ("拍得真好！", "在哪里可以报名？", "支持支持", "收藏了")

# video_status values (reference §3.3)
REVIEWING, PUBLIC = 4, 5

_GET, _POST = ("GET",), ("POST",)
_V1 = "/api/douyin/v1/video/"
ROUTES = {
    path: Route(api, methods, handler)
    for path, api, methods, handler in (
        ("/oauth/access_token/", "oauth/access_token", _GET + _POST, "oauth_access"),
        ("/oauth/refresh_token/", "oauth/refresh_token", _GET + _POST, "oauth_refresh"),
        ("/oauth/renew_refresh_token/", "oauth/renew_refresh_token", _GET + _POST,
         "oauth_renew"),
        ("/oauth/client_token/", "oauth/client_token", _GET + _POST, "oauth_client"),
        (_V1 + "upload_video/", "video/upload_video", _POST, "api_upload_video"),
        (_V1 + "init_video_part_upload/", "video/init_video_part_upload", _POST,
         "api_init_part_upload"),
        (_V1 + "upload_video_part/", "video/upload_video_part", _POST,
         "api_upload_part"),
        (_V1 + "complete_video_part_upload/", "video/complete_video_part_upload",
         _POST, "api_complete_part_upload"),
        (_V1 + "create_video/", "video/create_video", _POST, "api_create_video"),
        (_V1 + "video_list/", "video/video_list", _GET, "api_video_list"),
        (_V1 + "video_data/", "video/video_data", _POST, "api_video_data"),
        (_V1 + "delete_video/", "video/delete_video", _POST, "api_delete_video"),
        ("/video/delete/", "video/delete_video", _POST, "api_delete_video"),
        ("/item/comment/list/", "item/comment/list", _GET, "api_comment_list"),
        ("/item/comment/reply/list/", "item/comment/reply/list", _GET,
         "api_reply_list"),
        ("/item/comment/reply/", "item/comment/reply", _POST, "api_comment_reply"),
    )
}  # fmt: skip


@dataclass
class Video:
    video_id: str
    account: str
    size: int
    kind: str
    data: bytes = b""


@dataclass
class PartUpload:
    upload_id: str
    account: str
    expires_at: float
    parts: dict = field(default_factory=dict)


@dataclass
class Post:
    item_id: str
    aweme_id: str
    account: str
    video_id: str
    text: str
    created: float
    review_at: float
    status: int = REVIEWING
    deleted: bool = False
    comments: list = field(default_factory=list)


class Douyin(Service):
    code = "douyin"
    ROUTES = ROUTES
    LIMITS = {
        "access_lifetime": 15 * 86400,
        "refresh_lifetime": 30 * 86400,
        "refresh_renewals_max": 5,
        "client_token_lifetime": 7200,
        "code_lifetime": 600,
        "upload_id_lifetime": 2 * 3600,
        #: Single uploads up to this; larger files must go in parts.
        "video_max_bytes": 128 * 1024 * 1024,
        "part_min_bytes": 5 * 1024 * 1024,
        "part_max_bytes": 20 * 1024 * 1024,
        "parts_total_max_bytes": 4 * 1024**3,
        #: Videos kept for the post page up to this size (larger: not playable).
        "video_keep_bytes": 32 * 1024 * 1024,
        #: Caption limit (undocumented; a community wrapper's 1000).
        "text_max_chars": 1000,
        #: Time a new post spends in review (video_status 4) before it is public.
        "publish_delay_ms": 300,
        "quota": {},
    }

    def new_db(self):
        return {"codes": {}, "videos": {}, "uploads": {}, "posts": {}}

    # Accounts and plumbing ----------------------------------------------

    def register(self, body):
        credentials = body["credentials"]
        open_id = credentials.get("open_id") or body.get("uid")
        needed = ("client_key", "client_secret", "access_token", "refresh_token")
        if not open_id or not all(credentials.get(name) for name in needed):
            raise ValueError(
                "Douyin accounts need open_id, client_key, client_secret, "
                "access_token and refresh_token"
            )
        stored = {name: credentials[name] for name in needed}
        stored["open_id"] = open_id
        account = self.state.add_account(
            self.code, open_id, body.get("name") or open_id, stored
        )
        for old in self.state.account_tokens(self.code, open_id):
            del self.state.tokens[old.value]
        self.issue_access(account, credentials["access_token"])
        self.issue_refresh(account, credentials["refresh_token"], renewals=0)
        return account

    def issue_access(self, account, value=None):
        value = value or "act." + self.state.random_hex(32) + self.state.random_string(
            24
        )
        return self.state.issue_token(
            self.code, account.key, "access", self.limit("access_lifetime"), value,
            open_id=account.key, client_key=account.credentials["client_key"],
        )  # fmt: skip

    def issue_refresh(self, account, value=None, renewals=0):
        value = value or "rft." + self.state.random_hex(32) + self.state.random_string(
            24
        )
        return self.state.issue_token(
            self.code, account.key, "refresh", self.limit("refresh_lifetime"), value,
            open_id=account.key, client_key=account.credentials["client_key"],
            renewals=renewals,
        )  # fmt: skip

    def is_api(self, request):
        return request.path.startswith(("/oauth/", "/api/", "/video/", "/item/"))

    def route(self, request):
        path = request.path if request.path.endswith("/") else request.path + "/"
        return self.ROUTES.get(path)

    def identify(self, request, route):
        if route.api.startswith("oauth/"):
            params = self.oauth_params(request)
            token = self.state.find_token(params.get("refresh_token"), self.code)
            if token:
                return token.account
            accounts = self.apps().get(params.get("client_key", ""), [])
            return accounts[0].key if len(accounts) == 1 else None
        token = self.state.find_token(self.token_value(request), self.code, ("access",))
        return token.account if token else None

    def apps(self):
        """Accounts by client_key."""
        apps = {}
        for account in self.state.accounts_on(self.code):
            apps.setdefault(account.credentials["client_key"], []).append(account)
        return apps

    def envelope(self, data, code=0, description="", sub_code=0):
        now = self.state.now()
        extra = {
            "error_code": code,
            "description": description,
            "sub_error_code": sub_code,
            "sub_description": "",
            "logid": datetime.fromtimestamp(now, CHINA).strftime("%Y%m%d%H%M%S")
            + self.state.random_hex(20).upper(),
            "now": int(now * 1000),
        }
        return {"data": {**data, "error_code": code, "description": description},
                "extra": extra}  # fmt: skip

    def handle(self, request, route, faults):
        oauth = route.api.startswith("oauth/")
        try:
            if request.method not in route.methods:
                raise ApiError(2100005, "请求方法不支持")
            account = None if oauth else self.authorize(request, faults)
            if account is not None:
                limit = self.quota(route.api, faults)
                if not self.state.take_quota(self.code, account.key, route.api, limit):
                    raise ApiError(2190001)
            data = getattr(self, route.handler)(request, account, faults)
        except ApiError as e:
            description = e.message or ERRORS.get(e.code, "")
            sub = e.extra.get("sub_code", SUB_CODES.get(e.code, 0))
            body = self.envelope({}, e.code, description, sub)
            if oauth:
                body["message"] = "error"
            return json_response(body, code=e.code)
        if oauth:
            return json_response(
                {
                    "data": {**data, "error_code": 0, "description": ""},
                    "message": "success",
                }
            )
        return json_response(self.envelope(data))

    def token_value(self, request):
        return request.header("access-token") or request.query.get("access_token", "")

    def authorize(self, request, faults):
        token = self.state.find_token(self.token_value(request), self.code, ("access",))
        if token is None:
            raise ApiError(2190002)
        self.state.count_call(
            self.code, token.account, faults.expire_tokens_every, ("access",)
        )
        if token.problem(self.state.now()):
            raise ApiError(2190008)
        open_id = request.query.get("open_id")
        if not open_id:
            raise ApiError(2100005, "缺少参数 open_id")
        if open_id != token.account:
            raise ApiError(2190002, "access_token 与 open_id 不匹配", sub_code=28001015)
        account = self.state.account(self.code, token.account)
        if account is None:
            raise ApiError(2190002)
        return account

    def read_json(self, request):
        try:
            data = request.json() if request.body.strip() else {}
        except ValueError:
            raise ApiError(2100005, "请求体不是合法的 JSON") from None
        if not isinstance(data, dict):
            raise ApiError(2100005, "请求体不是合法的 JSON")
        return data

    # OAuth ----------------------------------------------------------------

    def oauth_params(self, request):
        """Form fields (the documented way), query (older SDKs) or JSON."""
        params = dict(request.params())
        if "json" in request.content_type:
            try:
                params.update(
                    {k: str(v) for k, v in request.json().items() if v is not None}
                )
            except (ValueError, AttributeError):
                pass
        return params

    def check_client(self, params, secret=True):
        for name in ("client_key", *(("client_secret",) if secret else ())):
            if not params.get(name):
                raise ApiError(10005, "缺少参数 %s" % name)
        accounts = self.apps().get(params["client_key"])
        if not accounts:
            raise ApiError(10003)
        if secret and not hmac.compare_digest(
            params["client_secret"].encode(),
            accounts[0].credentials["client_secret"].encode(),
        ):
            raise ApiError(10013)
        return accounts

    def token_data(self, access, refresh):
        now = self.state.now()
        return {
            "access_token": access.value,
            "expires_in": round(access.expires_at - now),
            "open_id": access.account,
            "refresh_token": refresh.value,
            "refresh_expires_in": round(refresh.expires_at - now),
            "scope": "user_info,video.create.bind,video.data.bind,item.comment",
            "captcha": "",
            "desc_url": "",
            "log_id": self.state.random_hex(34).upper(),
        }

    def oauth_access(self, request, account, faults):
        params = self.oauth_params(request)
        self.check_client(params)
        if params.get("grant_type") != "authorization_code":
            raise ApiError(10005, "grant_type 必须为 authorization_code")
        if not params.get("code"):
            raise ApiError(10005, "缺少参数 code")
        grant = self.db["codes"].pop(params["code"], None)
        if (
            grant is None
            or grant["expires_at"] <= self.state.now()
            or grant["client_key"] != params["client_key"]
        ):
            raise ApiError(10007)
        account = self.state.account(self.code, grant["open_id"])
        return self.token_data(self.issue_access(account), self.issue_refresh(account))

    def refresh_token(self, params):
        self.check_client(params, secret=False)
        token = self.state.find_token(
            params.get("refresh_token"), self.code, ("refresh",)
        )
        if (
            token is None
            or token.problem(self.state.now())
            or token.meta["client_key"] != params["client_key"]
        ):
            raise ApiError(10010)
        return token

    def oauth_refresh(self, request, account, faults):
        params = self.oauth_params(request)
        if params.get("grant_type") != "refresh_token":
            raise ApiError(10005, "grant_type 必须为 refresh_token")
        refresh = self.refresh_token(params)
        account = self.state.account(self.code, refresh.account)
        return self.token_data(self.issue_access(account), refresh)

    def oauth_renew(self, request, account, faults):
        refresh = self.refresh_token(self.oauth_params(request))
        renewals = refresh.meta.get("renewals", 0)
        if renewals >= self.limit("refresh_renewals_max"):
            raise ApiError(10020)
        account = self.state.account(self.code, refresh.account)
        new = self.issue_refresh(account, renewals=renewals + 1)
        refresh.superseded_at = self.state.now()
        return {
            "refresh_token": new.value,
            "expires_in": self.limit("refresh_lifetime"),
        }

    def oauth_client(self, request, account, faults):
        params = self.oauth_params(request)
        self.check_client(params)
        if params.get("grant_type") != "client_credential":
            raise ApiError(10005, "grant_type 必须为 client_credential")
        key = "app:" + params["client_key"]
        value = "clt." + self.state.random_hex(32) + self.state.random_string(24)
        token = self.state.issue_token(
            self.code, key, "client", self.limit("client_token_lifetime"), value
        )
        self.state.supersede(self.code, key, "client", 300, keep=token)
        return {
            "access_token": token.value,
            "expires_in": round(token.expires_at - token.issued_at),
        }

    def authorize_page(self, request):
        """The consent page: pick the account, go back with a code."""
        query = request.query
        accounts = self.apps().get(query.get("client_key", ""), [])
        redirect_uri = query.get("redirect_uri", "")
        if not accounts or not urlsplit(redirect_uri).scheme:
            return pages.layout(
                "授权失败", '<p class="gone">client_key 或 redirect_uri 无效</p>'
            )
        chosen = query.get("open_id")
        if chosen and any(a.key == chosen for a in accounts):
            code = self.state.random_hex(32)
            for old, grant in list(self.db["codes"].items()):
                if grant["open_id"] == chosen:
                    del self.db["codes"][old]
            self.db["codes"][code] = {
                "open_id": chosen,
                "client_key": query["client_key"],
                "expires_at": self.state.now() + self.limit("code_lifetime"),
            }
            parts = urlsplit(redirect_uri)
            extra = urlencode({"code": code, "state": query.get("state", "")})
            joined = parts.query + "&" + extra if parts.query else extra
            return redirect(urlunsplit(parts._replace(query=joined)))
        links = "".join(
            '<p><a href="?%s">以「%s」授权</a></p>'
            % (escape(urlencode({**query, "open_id": a.key})), escape(a.name))
            for a in accounts
        )
        return pages.layout("抖音授权", "<h1>授权登录</h1>%s" % links, "douyin")

    # Uploads ----------------------------------------------------------------

    def video_file(self, request):
        upload = request.form()[1].get("video") if request.is_multipart else None
        if upload is None or not upload.data:
            raise ApiError(2100005, "缺少视频文件 video")
        return upload

    def new_video(self, account, data, kind, size):
        video_id = "v0200f" + self.state.random_string(26).lower()
        keep = data if size <= self.limit("video_keep_bytes") else b""
        self.db["videos"][video_id] = Video(video_id, account.key, size, kind, keep)
        return {"video": {"video_id": video_id, "width": 720, "height": 1280}}

    def api_upload_video(self, request, account, faults):
        upload = self.video_file(request)
        kind = sniff_type(upload.data)
        if kind not in ("mp4", "webm"):
            raise ApiError(2100005, "不支持的视频格式")
        if upload.size > self.limit("video_max_bytes"):
            raise ApiError(2100005, "视频超过 128 MB，请使用分片上传")
        return self.new_video(account, upload.data, kind, upload.size)

    def api_init_part_upload(self, request, account, faults):
        upload_id = "@" + base64.b64encode(self.state.random.randbytes(36)).decode()
        self.db["uploads"][upload_id] = PartUpload(
            upload_id, account.key, self.state.now() + self.limit("upload_id_lifetime")
        )
        return {"upload_id": upload_id}

    def part_upload(self, request, account):
        upload = self.db["uploads"].get(request.query.get("upload_id", ""))
        if (
            upload is None
            or upload.account != account.key
            or upload.expires_at <= self.state.now()
        ):
            raise ApiError(2100005, "upload_id 无效或已过期")
        return upload

    def api_upload_part(self, request, account, faults):
        upload = self.part_upload(request, account)
        try:
            number = int(request.query.get("part_number", ""))
        except ValueError:
            number = 0
        if number < 1:
            raise ApiError(2100005, "part_number 必须从 1 开始")
        part = self.video_file(request)
        if part.size > self.limit("part_max_bytes"):
            raise ApiError(2100005, "分片超过 20 MB")
        upload.parts[number] = part.data
        return {}

    def api_complete_part_upload(self, request, account, faults):
        upload = self.part_upload(request, account)
        numbers = sorted(upload.parts)
        if not numbers or numbers != list(range(1, len(numbers) + 1)):
            raise ApiError(2100005, "分片不完整")
        sizes = [len(upload.parts[n]) for n in numbers]
        if any(size < self.limit("part_min_bytes") for size in sizes[:-1]):
            raise ApiError(2100005, "除最后一片外，分片不得小于 5 MB")
        if sum(sizes) > self.limit("parts_total_max_bytes"):
            raise ApiError(2100005, "视频超过 4 GB")
        kind = sniff_type(upload.parts[1])
        if kind not in ("mp4", "webm"):
            raise ApiError(2100005, "不支持的视频格式")
        del self.db["uploads"][upload.upload_id]
        data = b"".join(upload.parts[n] for n in numbers)
        return self.new_video(account, data, kind, sum(sizes))

    # Posts ------------------------------------------------------------------

    def api_create_video(self, request, account, faults):
        body = self.read_json(request)
        video = self.db["videos"].get(str(body.get("video_id") or ""))
        if video is None or video.account != account.key:
            raise ApiError(2100005, "video_id 无效")
        text = body.get("text") or ""
        if not isinstance(text, str) or len(text) > self.limit("text_max_chars"):
            raise ApiError(2100005, "text 过长")
        if matched_words(faults, text):
            raise ApiError(2100005, "内容包含违规信息")
        delay = faults.publish_delay_ms
        if delay is None:
            delay = self.limit("publish_delay_ms")
        now = self.state.now()
        number = self.state.next_number("douyin_post")
        post = Post(
            item_id="@" + base64.b64encode(self.state.random.randbytes(64)).decode(),
            aweme_id=str(7_300_000_000_000_000_000 + number * 10_000
                         + self.state.random.randrange(10_000)),
            account=account.key,
            video_id=video.video_id,
            text=text,
            created=now,
            review_at=now + delay / 1000,
        )  # fmt: skip
        self.db["posts"][post.item_id] = post
        return {"item_id": post.item_id, "video_id": video.video_id}

    def settle(self):
        now = self.state.now()
        for post in self.db["posts"].values():
            if post.status == REVIEWING and post.review_at <= now:
                post.status = PUBLIC
                users = self.state.random.sample(SEED_USERS, 2)
                texts = self.state.random.sample(SEED_COMMENTS, 2)
                for user, text in zip(users, texts, strict=True):
                    self.new_comment(post, text, user, post.review_at)

    def share_url(self, post):
        return "%s/douyin/share/video/%s/" % (self.state.base_url, post.aweme_id)

    def post_json(self, post):
        visible = [c for c in post.comments if not c["reply_to"]]
        return {
            "item_id": post.item_id,
            "title": post.text,
            "cover": "",
            "create_time": int(post.created),
            "is_reviewed": post.status == PUBLIC,
            "is_top": False,
            "share_url": self.share_url(post),
            "video_status": post.status,
            "media_type": 4,
            "statistics": {
                "comment_count": len(visible),
                "digg_count": 0,
                "download_count": 0,
                "forward_count": 0,
                "play_count": 0,
                "share_count": 0,
            },
        }

    def own_posts(self, account):
        posts = [
            p
            for p in self.db["posts"].values()
            if p.account == account.key and not p.deleted
        ]
        return sorted(posts, key=lambda p: p.created, reverse=True)

    def api_video_list(self, request, account, faults):
        cursor = _int(request.query.get("cursor"), 0)
        count = _int(request.query.get("count"), 10)
        if cursor < 0 or not 1 <= count <= 20:
            raise ApiError(2100005, "cursor 或 count 不合法")
        posts = self.own_posts(account)
        chosen = posts[cursor : cursor + count]
        return {
            "list": [self.post_json(p) for p in chosen],
            "cursor": cursor + len(chosen),
            "has_more": cursor + len(chosen) < len(posts),
        }

    def api_video_data(self, request, account, faults):
        wanted = self.read_json(request).get("item_ids") or []
        if not isinstance(wanted, list):
            raise ApiError(2100005, "item_ids 必须是列表")
        return {
            "list": [
                self.post_json(p)
                for p in self.own_posts(account)
                if p.item_id in wanted
            ]
        }

    def post(self, account, item_id):
        post = self.db["posts"].get(str(item_id or ""))
        if post is None or post.deleted or post.account != account.key:
            raise ApiError(2100005, "item_id 无效")
        return post

    def api_delete_video(self, request, account, faults):
        self.post(account, self.read_json(request).get("item_id")).deleted = True
        return {}

    # Comments ---------------------------------------------------------------

    def new_comment(self, post, text, user, created, reply_to=None):
        comment = {
            "comment_id": "@" + self.state.random_string(40),
            "comment_user_id": user,
            "content": text,
            "create_time": int(created),
            "digg_count": 0,
            "reply_comment_total": 0,
            "top": False,
            "reply_to": reply_to,
        }
        post.comments.append(comment)
        if reply_to:
            for parent in post.comments:
                if parent["comment_id"] == reply_to:
                    parent["reply_comment_total"] += 1
        return comment

    def comment_page(self, request, comments):
        cursor = _int(request.query.get("cursor"), 0)
        count = _int(request.query.get("count"), 10)
        if cursor < 0 or not 1 <= count <= 50:
            raise ApiError(2100005, "cursor 或 count 不合法")
        if request.query.get("sort_type") != "time_asc":
            comments = list(reversed(comments))
        chosen = comments[cursor : cursor + count]
        return {
            "list": [{k: v for k, v in c.items() if k != "reply_to"} for c in chosen],
            "cursor": cursor + len(chosen),
            "has_more": cursor + len(chosen) < len(comments),
        }

    def api_comment_list(self, request, account, faults):
        post = self.post(account, request.query.get("item_id"))
        return self.comment_page(
            request, [c for c in post.comments if not c["reply_to"]]
        )

    def api_reply_list(self, request, account, faults):
        post = self.post(account, request.query.get("item_id"))
        parent = request.query.get("comment_id", "")
        replies = [c for c in post.comments if c["reply_to"] == parent]
        return self.comment_page(request, replies)

    def api_comment_reply(self, request, account, faults):
        body = self.read_json(request)
        post = self.post(account, body.get("item_id"))
        content = body.get("content")
        if not isinstance(content, str) or not content.strip():
            raise ApiError(2100005, "content 不能为空")
        if matched_words(faults, content):
            raise ApiError(2100005, "内容包含违规信息")
        parent = body.get("comment_id") or None
        if parent and not any(c["comment_id"] == parent for c in post.comments):
            raise ApiError(2100005, "comment_id 无效")
        comment = self.new_comment(post, content, account.key, self.state.now(), parent)
        return {"comment_id": comment["comment_id"]}

    def add_comment(self, body):
        post = self.db["posts"].get(str(body.get("post", "")))
        if post is None or post.deleted:
            raise ValueError("no post %r" % body.get("post"))
        comment = self.new_comment(
            post, str(body.get("text", "")), body.get("user") or "抖友",
            self.state.now(),
        )  # fmt: skip
        return {k: v for k, v in comment.items() if k != "reply_to"}

    # What the public sees -------------------------------------------------

    def published(self):
        return [
            self.item(
                p.account,
                p.item_id,
                self.share_url(p),
                p.text,
                p.text,
                p.created,
                p.deleted,
                "deleted"
                if p.deleted
                else "public"
                if p.status == PUBLIC
                else "reviewing",
            )  # fmt: skip
            for p in self.db["posts"].values()
        ]

    def page(self, request):
        path = request.path.strip("/")
        if path == "platform/oauth/connect":
            return self.authorize_page(request)
        parts = path.split("/")
        if parts[:2] == ["share", "video"] and len(parts) == 3:
            post = next(
                (p for p in self.db["posts"].values() if p.aweme_id == parts[2]), None
            )
            if post is None:
                return not_found()
            account = self.state.account(self.code, post.account)
            video = self.db["videos"].get(post.video_id)
            src = ""
            if video is not None and video.data:
                src = "%s/douyin/media/%s" % (self.state.base_url, video.video_id)
            comments = [
                {
                    "who": _who(self.state, c),
                    "text": c["content"],
                    "at": c["create_time"],
                }
                for c in post.comments
            ]
            return pages.douyin_post(account, post, src, comments)
        if parts[0] == "media" and len(parts) == 2:
            video = self.db["videos"].get(parts[1])
            if video is not None and video.data:
                mime = "video/webm" if video.kind == "webm" else "video/mp4"
                return Response(200, video.data, mime)
        return not_found()


def _who(state, comment):
    account = state.account("douyin", comment["comment_user_id"])
    return account.name if account else comment["comment_user_id"]


def _int(value, default):
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        raise ApiError(2100005, "参数不合法") from None
