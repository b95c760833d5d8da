"""Weibo (reference §2): ``statuses/share`` and the calls around it.

Errors are HTTP 4xx with ``{"request", "error_code", "error"}``; ``error_code``
is a string, as in the official sample. Token errors answer 401, rate limits
403, everything else 400.

Text length: every character counts as one (Chinese or not), the stricter
reading of "≤ 140 Chinese characters"; set the limit ``length_mode`` to
"weibo" to count two ASCII characters as one.
"""

import math
import re
import string
from dataclasses import dataclass, field
from datetime import datetime

from . import pages
from .faults import matched_words
from .service import ApiError, Route, Service
from .state import CHINA, fingerprint
from .web import Response, json_response, not_found, sniff_type

ERRORS = {
    10006: "source paramter(appkey) is missing",
    10008: "param error, see doc for more info",
    10016: "miss required parameter (%s) , see doc for more info",
    10017: "parameter (%s)'s value invalid, expect (%s) , but get (%s) , see doc "
    "for more info",
    10021: "HTTP method is not suported for this request",
    10024: "user requests for (%s) out of rate limit",
    20005: "unsupported image type, only suport JPG, GIF, PNG",
    20006: "image size too large",
    20007: "does multipart has image",
    20008: "content is null",
    20012: "text too long, please input text less than 140 characters",
    20016: "out of limit",
    20019: "repeat content!",
    20021: "content is illegal",
    20101: "target weibo does not exist",
    20102: "not your own weibo",
    20201: "comment does not exist",
    20203: "not your own comment",
    20204: "comment id is null",
    21301: "auth faild",
    21327: "expired_token",
    21332: "invalid_access_token",
    21335: "request uid's value must be the current user",
}
_HTTP_STATUS = {10006: 401, 21301: 401, 21327: 401, 21332: 401, 10024: 403, 20016: 403}

#: Users of the sandbox who comment on every new post.
SEED_USERS = ("热心网友", "城市观察员", "路过的小王", "爱生活的李同学")
SEED_COMMENTS = (
    "转发了，大家关注一下。",
    "请问在哪里可以看到全文？",
    "好消息！",
    "已收到，谢谢。",
)

_URL = re.compile(r"https?://[^\s<>\"'，。）]+")
_TOPIC = re.compile(r"#[^#\s][^#]*#")
_EXT = {"jpeg": "jpg", "gif": "gif", "png": "png"}
_MIME = {"jpeg": "image/jpeg", "gif": "image/gif", "png": "image/png"}

_GET, _POST = ("GET",), ("POST",)
ROUTES = {
    "/2/%s.json" % api: Route(api, methods, "api_" + api.replace("/", "_"))
    for api, methods in (
        ("statuses/share", _POST),
        ("statuses/user_timeline", _GET),
        ("statuses/show", _GET),
        ("statuses/destroy", _POST),
        ("comments/show", _GET),
        ("comments/create", _POST),
        ("comments/reply", _POST),
        ("comments/destroy", _POST),
    )
}
ROUTES["/oauth2/get_token_info"] = Route(
    "oauth2/get_token_info", _POST, "api_token_info"
)


def weibo_length(text, mode="chars"):
    if mode == "weibo":
        return math.ceil(sum(0.5 if ord(c) < 128 else 1 for c in text))
    return len(text)


def weibo_time(ts):
    return datetime.fromtimestamp(ts, CHINA).strftime("%a %b %d %H:%M:%S +0800 %Y")


@dataclass
class Status:
    id: int
    account: str
    text: str
    created: float
    pic: str = ""
    pic_kind: str = ""
    deleted: bool = False
    comments: list = field(default_factory=list)


class Weibo(Service):
    code = "weibo"
    ROUTES = ROUTES
    LIMITS = {
        #: The developer's own authorisation lasts 5 years.
        "token_lifetime": 157_679_999,
        "status_max": 140,
        "comment_max": 140,
        #: "chars": every character counts 1; "weibo": ASCII counts ½.
        "length_mode": "chars",
        "pic_max_bytes": 5 * 1024 * 1024,
        #: Hosts every account's posts may link to, besides its own safe domains.
        "safe_domains": ["127.0.0.1", "localhost", "testserver"],
        #: Per user per hour (reference §2.5); "comments" covers create and reply.
        "quota": {"statuses/share": 30, "comments": 60},
    }

    def new_db(self):
        return {"statuses": {}, "pics": {}}

    # Accounts and plumbing ----------------------------------------------

    def register(self, body):
        token = body["credentials"].get("access_token")
        if not token:
            raise ValueError("Weibo accounts need an access_token")
        uid = str(body.get("uid") or int(fingerprint(token)[:8], 16) + 1_000_000_000)
        domains = body.get("safe_domains") or []
        if isinstance(domains, str):
            domains = [domains]
        account = self.state.add_account(
            self.code,
            uid,
            body.get("name") or uid,
            {"access_token": token},
            {"safe_domains": [d.lower() for d in domains]},
        )
        for old in self.state.account_tokens(self.code, uid):
            del self.state.tokens[old.value]
        self.state.issue_token(
            self.code, uid, "access", self.limit("token_lifetime"), value=token
        )
        return account

    def is_api(self, request):
        return request.path.startswith(("/2/", "/oauth2/"))

    def token_value(self, request):
        header = request.header("authorization")
        if header.lower().startswith("oauth2 "):
            return header[7:].strip()
        return request.params().get("access_token", "")

    def identify(self, request, route):
        token = self.state.find_token(self.token_value(request), self.code)
        return token.account if token else None

    def handle(self, request, route, faults):
        try:
            if request.method not in route.methods:
                raise ApiError(10021)
            account = self.authorize(request, faults)
            return json_response(getattr(self, route.handler)(request, account, faults))
        except ApiError as e:
            message = e.message or ERRORS.get(e.code, "system error")
            if "%s" in message:
                message = message % (e.extra.get("args") or ("",) * message.count("%s"))
            body = {
                "request": request.path,
                "error_code": str(e.code),
                "error": message,
            }
            return json_response(
                body, status=_HTTP_STATUS.get(e.code, 400), code=e.code
            )

    def authorize(self, request, faults):
        value = self.token_value(request)
        if not value:
            raise ApiError(10006)
        token = self.state.find_token(value, self.code)
        if token is None:
            raise ApiError(21332)
        self.state.count_call(
            self.code, token.account, faults.expire_tokens_every, ("access",)
        )
        if token.problem(self.state.now()):
            raise ApiError(21327)
        account = self.state.account(self.code, token.account)
        if account is None:
            raise ApiError(21332)
        return account

    def rate(self, account, api, faults, code):
        limit = self.quota(api, faults)
        if not self.state.take_quota(self.code, account.key, api, limit, "hour"):
            raise ApiError(code, args=("/" + api,))

    def user(self, account):
        uid = account.key
        return {
            "id": int(uid) if uid.isdigit() else uid,
            "idstr": uid,
            "screen_name": account.name,
            "name": account.name,
            "profile_url": "u/%s" % uid,
            "verified": True,
        }

    # Statuses -------------------------------------------------------------

    def safe(self, account, url):
        host = (re.match(r"https?://([^/:?#]+)", url).group(1) or "").lower()
        domains = self.limit("safe_domains") + account.options.get("safe_domains", [])
        return any(host == d or host.endswith("." + d) for d in domains)

    def status_url(self, status):
        return "%s/weibo/%s/%s" % (self.state.base_url, status.account, status.id)

    def status_json(self, status, with_user=True):
        data = {
            "created_at": weibo_time(status.created),
            "id": status.id,
            "idstr": str(status.id),
            "mid": str(status.id),
            "text": status.text,
            "source": '<a href="%s" rel="nofollow">融媒</a>' % self.state.base_url,
            "favorited": False,
            "truncated": False,
            "in_reply_to_status_id": "",
            "in_reply_to_user_id": "",
            "in_reply_to_screen_name": "",
            "geo": None,
            "pic_urls": [],
            "reposts_count": 0,
            "comments_count": len([c for c in status.comments if not c["deleted"]]),
            "attitudes_count": 0,
            "visible": {"type": 0, "list_id": 0},
        }
        if status.pic:
            ext = _EXT[status.pic_kind]
            sizes = {
                "thumbnail_pic": "thumbnail",
                "bmiddle_pic": "bmiddle",
                "original_pic": "large",
            }
            for name, size in sizes.items():
                data[name] = "https://wx1.sinaimg.cn/%s/%s.%s" % (size, status.pic, ext)
            data["pic_urls"] = [{"thumbnail_pic": data["thumbnail_pic"]}]
        if with_user:
            data["user"] = self.user(self.state.account(self.code, status.account))
        return data

    def own_statuses(self, account):
        return [
            s
            for s in self.db["statuses"].values()
            if s.account == account.key and not s.deleted
        ]

    def api_statuses_share(self, request, account, faults):
        params = request.params()
        text = params.get("status")
        if text is None:
            raise ApiError(10016, args=("status",))
        if not text.strip():
            raise ApiError(20008)
        if not params.get("rip"):
            raise ApiError(10016, args=("rip",))
        pic = request.form()[1].get("pic") if request.is_multipart else None
        if request.is_multipart and (pic is None or not pic.data):
            raise ApiError(20007)
        kind = ""
        if pic is not None:
            kind = sniff_type(pic.data)
            if kind not in _EXT:
                raise ApiError(20005)
            if pic.size >= self.limit("pic_max_bytes"):
                raise ApiError(20006)
        length = weibo_length(text, self.limit("length_mode"))
        if length > self.limit("status_max"):
            raise ApiError(20012)
        topic = _TOPIC.search(text)
        if topic:
            raise ApiError(
                10017, args=("status", "text without #topic#", topic.group())
            )
        if not any(self.safe(account, url) for url in _URL.findall(text)):
            raise ApiError(10017, "appkey not bind domain!")
        if matched_words(faults, text):
            raise ApiError(20021)
        previous = max(self.own_statuses(account), key=lambda s: s.id, default=None)
        if previous is not None and previous.text == text:
            raise ApiError(20019)
        self.rate(account, "statuses/share", faults, 20016)
        status = Status(
            self.new_id("weibo_status"), account.key, text, self.state.now()
        )
        if pic is not None:
            status.pic = self.state.random_string(
                32, string.ascii_lowercase + string.digits
            )
            status.pic_kind = kind
            self.db["pics"][status.pic] = (pic.data, _MIME[kind])
        self.db["statuses"][status.id] = status
        for user, words in zip(
            self.state.random.sample(SEED_USERS, 2),
            self.state.random.sample(SEED_COMMENTS, 2),
            strict=True,
        ):
            self.new_comment(status, words, user, status.created)
        return self.status_json(status)

    def new_id(self, name):
        step = self.state.next_number(name)
        return 4_900_000_000_000_000 + step * 1000 + self.state.random.randrange(1000)

    def status(self, account, value, own=True):
        try:
            status = self.db["statuses"].get(int(value))
        except (TypeError, ValueError):
            raise ApiError(10016, args=("id",)) from None
        if status is None or status.deleted:
            raise ApiError(20101)
        if own and status.account != account.key:
            raise ApiError(20102)
        return status

    def api_statuses_user_timeline(self, request, account, faults):
        params = request.query
        if params.get("uid") and params["uid"] != account.key:
            raise ApiError(21335)
        count, page = _number(params.get("count"), 20), _number(params.get("page"), 1)
        if not 1 <= count <= 100 or page < 1:
            raise ApiError(10008)
        since_id, max_id = (
            _number(params.get("since_id"), 0),
            _number(params.get("max_id"), 0),
        )
        statuses = sorted(self.own_statuses(account), key=lambda s: s.id, reverse=True)
        statuses = [
            s for s in statuses if s.id > since_id and (not max_id or s.id <= max_id)
        ]
        chosen = statuses[(page - 1) * count : page * count]
        trim = params.get("trim_user") == "1"
        return {
            "statuses": [self.status_json(s, with_user=not trim) for s in chosen],
            "total_number": len(statuses),
            "previous_cursor": 0,
            "next_cursor": chosen[-1].id if len(statuses) > page * count else 0,
            "hasvisible": False,
            "marks": [],
        }

    def api_statuses_show(self, request, account, faults):
        return self.status_json(
            self.status(account, request.query.get("id"), own=False)
        )

    def api_statuses_destroy(self, request, account, faults):
        status = self.status(account, request.params().get("id"))
        status.deleted = True
        return self.status_json(status)

    # Comments -------------------------------------------------------------

    def new_comment(self, status, text, user, created, reply_to=None):
        comment = {
            "id": self.new_id("weibo_comment"),
            "text": text,
            "user": user,
            "created": created,
            "reply_to": reply_to,
            "deleted": False,
        }
        status.comments.append(comment)
        return comment

    def comment_json(self, status, comment, nested=True):
        user = comment["user"]
        if isinstance(user, str):
            user = {
                "id": 0,
                "idstr": "0",
                "screen_name": user,
                "name": user,
                "profile_url": "",
                "verified": False,
            }
        data = {
            "created_at": weibo_time(comment["created"]),
            "id": comment["id"],
            "idstr": str(comment["id"]),
            "mid": str(comment["id"]),
            "text": comment["text"],
            "source": "",
            "user": user,
        }
        if nested:
            data["status"] = self.status_json(status)
            if comment["reply_to"]:
                data["reply_comment"] = self.comment_json(
                    status, comment["reply_to"], nested=False
                )
        return data

    def api_comments_show(self, request, account, faults):
        params = request.query
        status = self.status(account, params.get("id"), own=False)
        count, page = _number(params.get("count"), 50), _number(params.get("page"), 1)
        if not 1 <= count <= 200 or page < 1:
            raise ApiError(10008)
        since_id, max_id = (
            _number(params.get("since_id"), 0),
            _number(params.get("max_id"), 0),
        )
        comments = [
            c
            for c in reversed(status.comments)
            if not c["deleted"]
            and c["id"] > since_id
            and (not max_id or c["id"] <= max_id)
        ]
        chosen = comments[(page - 1) * count : page * count]
        return {
            "comments": [self.comment_json(status, c) for c in chosen],
            "previous_cursor": 0,
            "next_cursor": chosen[-1]["id"] if len(comments) > page * count else 0,
            "total_number": len(comments),
        }

    def comment_text(self, params, faults):
        text = params.get("comment")
        if text is None:
            raise ApiError(10016, args=("comment",))
        if not text.strip():
            raise ApiError(20008)
        if weibo_length(text, self.limit("length_mode")) > self.limit("comment_max"):
            raise ApiError(20012)
        if matched_words(faults, text):
            raise ApiError(20021)
        return text

    def api_comments_create(self, request, account, faults):
        params = request.params()
        status = self.status(account, params.get("id"), own=False)
        text = self.comment_text(params, faults)
        self.rate(account, "comments", faults, 10024)
        comment = self.new_comment(status, text, self.user(account), self.state.now())
        return self.comment_json(status, comment)

    def find_comment(self, value, status=None):
        if not value:
            raise ApiError(20204)
        for candidate in [status] if status else self.db["statuses"].values():
            for comment in candidate.comments:
                if str(comment["id"]) == str(value) and not comment["deleted"]:
                    return candidate, comment
        raise ApiError(20201)

    def api_comments_reply(self, request, account, faults):
        params = request.params()
        status = self.status(account, params.get("id"), own=False)
        _status, original = self.find_comment(params.get("cid"), status)
        text = self.comment_text(params, faults)
        if params.get("without_mention") != "1":
            name = original["user"]
            name = name if isinstance(name, str) else name["screen_name"]
            text = "回复@%s:%s" % (name, text)
        self.rate(account, "comments", faults, 10024)
        comment = self.new_comment(
            status, text, self.user(account), self.state.now(), reply_to=original
        )
        return self.comment_json(status, comment)

    def api_comments_destroy(self, request, account, faults):
        status, comment = self.find_comment(request.params().get("cid"))
        user = comment["user"]
        if isinstance(user, str) or user["idstr"] != account.key:
            raise ApiError(20203)
        comment["deleted"] = True
        return self.comment_json(status, comment)

    def api_token_info(self, request, account, faults):
        token = self.state.find_token(self.token_value(request), self.code)
        return {
            "uid": account.key,
            "appkey": "sandbox",
            "scope": "",
            "create_at": int(token.issued_at),
            "expire_in": round(token.expires_at - self.state.now()),
        }

    def add_comment(self, body):
        try:
            status = self.db["statuses"].get(int(body.get("post")))
        except (TypeError, ValueError):
            status = None
        if status is None or status.deleted:
            raise ValueError("no status %r" % body.get("post"))
        comment = self.new_comment(
            status, str(body.get("text", "")), body.get("user") or "网友",
            self.state.now(),
        )  # fmt: skip
        return self.comment_json(status, comment, nested=False)

    # What the public sees -------------------------------------------------

    def published(self):
        return [
            self.item(
                s.account,
                str(s.id),
                self.status_url(s),
                "",
                s.text,
                s.created,
                s.deleted,
                "deleted" if s.deleted else "public",
            )  # fmt: skip
            for s in self.db["statuses"].values()
        ]

    def page(self, request):
        parts = request.path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "sinaimg" and parts[1] in self.db["pics"]:
            data, mime = self.db["pics"][parts[1]]
            return Response(200, data, mime)
        if len(parts) == 2 and parts[1].isdigit():
            status = self.db["statuses"].get(int(parts[1]))
            if status is None or status.account != parts[0]:
                return not_found()
            account = self.state.account(self.code, status.account)
            pic = ""
            if status.pic:
                pic = "%s/weibo/sinaimg/%s" % (self.state.base_url, status.pic)
            comments = [
                {
                    "who": self.comment_json(status, c, nested=False)["user"][
                        "screen_name"
                    ],
                    "text": c["text"],
                    "at": c["created"],
                }
                for c in status.comments
                if not c["deleted"]
            ]
            return pages.weibo_card(account, status, pic, comments)
        return not_found()


def _number(value, default):
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        raise ApiError(10008) from None
