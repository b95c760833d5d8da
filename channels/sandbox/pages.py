"""Server-rendered pages: what each platform would show the public.

Everything from the outside world is escaped; article bodies were cleaned by
:mod:`channels.sandbox.sanitize` when the draft was saved.
"""

import json
import re
from datetime import datetime
from html import escape

from .state import CHINA
from .web import html_response

_STYLE = """
body{margin:0;font:15px/1.7 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;
background:#f2f3f5;color:#222}
main{max-width:680px;margin:0 auto;background:#fff;min-height:100vh;padding:20px 24px}
header.bar{font-size:13px;color:#888;border-bottom:1px solid #eee;margin-bottom:16px;
padding-bottom:8px}
h1{font-size:22px;line-height:1.4;margin:0 0 12px}
.meta{color:#888;font-size:14px;margin-bottom:20px}.meta a{color:#576b95}
.rich img{max-width:100%;height:auto}
.notice{background:#fff7e6;border:1px solid #ffd591;padding:8px 12px;margin:12px 0}
.gone{text-align:center;color:#888;padding:80px 0}
.comments{margin-top:32px;border-top:1px solid #eee}
.comment{padding:10px 0;border-bottom:1px solid #f3f3f3}
.who{color:#888;font-size:13px}.reply{background:#f7f7f7;padding:6px 10px;
margin-top:6px;font-size:14px}
.card{border:1px solid #e6e6e6;border-radius:4px;padding:16px;margin-bottom:12px}
.card .user{font-weight:bold;color:#eb7350}.card img{max-width:100%}
.counts{color:#808080;font-size:13px;margin-top:8px}
.douyin{background:#161823;color:#fff}.douyin main{background:#161823}
.douyin .meta,.douyin .who{color:#aaa}
.douyin .comment{border-color:#333}.douyin video{width:100%;background:#000}
table.list{border-collapse:collapse;width:100%;font-size:14px}
table.list td,table.list th{border-bottom:1px solid #eee;padding:4px 6px;
text-align:left;vertical-align:top}
pre{white-space:pre-wrap;word-break:break-all;background:#f7f7f7;padding:8px}
.deleted{color:#999;text-decoration:line-through}
"""

PLATFORM_NAMES = {
    "wechat_oa": "微信公众号",
    "weibo": "微博",
    "douyin": "抖音",
    "app": "客户端",
}


def layout(title, body, body_class=""):
    return html_response(
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        "<title>%s</title><style>%s</style></head>"
        '<body class="%s"><main><header class="bar">融媒平台沙箱 · '
        '<a href="/">首页</a></header>%s</main></body></html>'
        % (escape(title), _STYLE, body_class, body)
    )


def when(ts):
    return datetime.fromtimestamp(ts, CHINA).strftime("%Y-%m-%d %H:%M")


def text_with_links(text):
    """Escape ``text``, turning its http(s) URLs into links, lines into <br>."""
    parts, last = [], 0
    for match in re.finditer(r"https?://[^\s<>\"'，。）]+", text):
        parts.append(escape(text[last : match.start()]))
        url = escape(match.group(0))
        parts.append('<a href="%s" rel="nofollow">%s</a>' % (url, url))
        last = match.end()
    parts.append(escape(text[last:]))
    return "".join(parts).replace("\n", "<br>")


def comment_list(comments):
    """``comments``: dicts with ``who``, ``text``, ``at`` and maybe ``reply``."""
    if not comments:
        return ""
    rows = []
    for comment in comments:
        reply = ""
        if comment.get("reply"):
            reply = '<div class="reply">作者回复：%s</div>' % escape(comment["reply"])
        rows.append(
            '<div class="comment"><div class="who">%s · %s</div><div>%s</div>%s</div>'
            % (
                escape(comment["who"]),
                when(comment["at"]),
                escape(comment["text"]),
                reply,
            )
        )
    return '<section class="comments"><h3>评论</h3>%s</section>' % "".join(rows)


# Index -------------------------------------------------------------------


def index(state, services):
    sections = []
    for code, service in services.items():
        accounts = state.accounts_on(code)
        items = service.published()
        rows = (
            "".join(
                "<tr><td>%s</td><td>%s</td><td>%s</td></tr>"
                % (escape(a.name), escape(a.key), escape(code))
                for a in accounts
            )
            or '<tr><td colspan="3">（无账号）</td></tr>'
        )
        published = (
            "".join(
                '<tr class="%s"><td>%s</td><td><a href="%s">%s</a></td><td>%s</td>'
                "<td>%s</td></tr>"
                % (
                    "deleted" if item["deleted"] else "",
                    escape(item["created_at"]),
                    escape(item["url"]),
                    escape((item["title"] or item["text"])[:60] or item["id"]),
                    escape(_account_name(state, code, item["account"])),
                    escape(item["status"]),
                )
                for item in reversed(items)
            )
            or '<tr><td colspan="4">（尚无内容）</td></tr>'
        )
        extra = ""
        if code == "app":
            extra = '<p><a href="/app/">全部收到的推送</a></p>'
        sections.append(
            '<h2>%s</h2><table class="list"><tr><th>账号</th><th>标识</th>'
            '<th>平台</th></tr>%s</table><h3>已发布</h3><table class="list">'
            "<tr><th>时间</th><th>内容</th><th>账号</th><th>状态</th></tr>%s</table>%s"
            % (escape(PLATFORM_NAMES[code]), rows, published, extra)
        )
    body = (
        '<h1>融媒平台沙箱</h1><p class="meta">本地模拟的微信公众号、微博、抖音和客户端'
        '推送接收端。请求日志：<a href="/_sandbox/log">/_sandbox/log</a> · '
        '已发布：<a href="/_sandbox/published">/_sandbox/published</a></p>%s'
        % "".join(sections)
    )
    return layout("融媒平台沙箱", body)


def _account_name(state, platform, key):
    account = state.account(platform, key)
    return account.name if account else key


# WeChat ------------------------------------------------------------------

_MMBIZ = re.compile(r"https?://mmbiz\.(?:qpic|qlogo)\.cn/")


def wechat_article(state, account, article, comments, published_at=None,
                   preview=False):  # fmt: skip
    """An article as mp.weixin.qq.com shows it; images come from the sandbox."""
    name = account.name if account else ""
    if article.get("is_deleted"):
        return layout(name, '<p class="gone">该内容已被发布者删除</p>')
    local = state.base_url + "/wechat_oa/mmbiz/"
    content = _MMBIZ.sub(local, article["content"])
    notice = '<p class="notice">预览：草稿尚未发布</p>' if preview else ""
    cover = ""
    if article.get("thumb_url") and article.get("show_cover_pic"):
        cover = '<p><img src="%s" alt=""></p>' % escape(
            _MMBIZ.sub(local, article["thumb_url"])
        )
    meta = [escape(article.get("author") or ""), escape(name)]
    if published_at:
        meta.append(when(published_at))
    source = ""
    if article.get("content_source_url"):
        source = '<p><a href="%s" rel="nofollow">阅读原文</a></p>' % escape(
            article["content_source_url"]
        )
    shown = [
        {
            "who": "读者" + c["openid"][-4:],
            "text": c["content"],
            "at": c["create_time"],
            "reply": (c.get("reply") or {}).get("content"),
        }
        for c in comments
    ]
    body = '%s<h1>%s</h1><div class="meta">%s</div>%s<div class="rich">%s</div>%s%s' % (
        notice,
        escape(article["title"]),
        " ".join(m for m in meta if m),
        cover,
        content,
        source,
        comment_list(shown) if article.get("need_open_comment") else "",
    )
    return layout(article["title"], body)


# App ---------------------------------------------------------------------


def pretty_json(data):
    return escape(json.dumps(data, ensure_ascii=False, indent=2))


def app_received(state, received, url):
    """Every payload the app received, newest first."""
    rows = (
        "".join(
            '<tr class="%s"><td><a href="%s">#%d</a></td><td>%s</td><td>%s</td>'
            "<td>%s</td></tr>"
            % (
                "deleted" if item.deleted else "",
                escape(url(item)),
                item.number,
                when(item.received_at),
                escape(_account_name(state, "app", item.account)),
                escape(_summary(item.payload)),
            )
            for item in received
        )
        or '<tr><td colspan="4">（尚未收到推送）</td></tr>'
    )
    body = (
        '<h1>客户端收到的推送</h1><table class="list"><tr><th>编号</th><th>时间</th>'
        "<th>账号</th><th>内容</th></tr>%s</table>" % rows
    )
    return layout("客户端收到的推送", body)


def app_item(state, item):
    status = "（已撤回）" if item.deleted else ""
    body = (
        '<h1>推送 #%d%s</h1><div class="meta">%s · %s · 投递标识 %s</div><pre>%s</pre>'
        % (
            item.number,
            status,
            escape(_account_name(state, "app", item.account)),
            when(item.received_at),
            escape(item.delivery),
            pretty_json(item.payload),
        )
    )
    return layout("推送 #%d" % item.number, body)


def _summary(payload):
    if isinstance(payload, dict):
        for name in ("title", "event", "action", "text"):
            if isinstance(payload.get(name), str) and payload[name]:
                return payload[name][:80]
    return json.dumps(payload, ensure_ascii=False)[:80]


# Weibo -------------------------------------------------------------------


def weibo_card(account, status, pic, comments):
    """A status as weibo.com shows it."""
    name = account.name if account else status.account
    if status.deleted:
        return layout(name, '<p class="gone">抱歉，此微博已被作者删除。</p>')
    image = '<p><img src="%s" alt=""></p>' % escape(pic) if pic else ""
    body = (
        '<div class="card"><div class="user">%s</div><div class="meta">%s 来自 融媒'
        '</div><div>%s</div>%s<div class="counts">转发 0 · 评论 %d · 赞 0</div></div>%s'
        % (
            escape(name),
            when(status.created),
            text_with_links(status.text),
            image,
            len(comments),
            comment_list(comments),
        )
    )
    return layout("%s的微博" % name, body)


# Douyin ------------------------------------------------------------------


def douyin_post(account, post, src, comments):
    """A post as the Douyin share page shows it."""
    name = account.name if account else post.account
    if post.deleted:
        return layout(name, '<p class="gone">作品已删除</p>', "douyin")
    video = (
        '<video src="%s" controls playsinline></video>' % escape(src)
        if src
        else '<p class="gone">视频无法播放</p>'
    )
    review = ""
    if post.status != 5:
        review = '<p class="notice" style="color:#222">审核中，仅作者可见</p>'
    body = '%s%s<h1>%s</h1><div class="meta">@%s · %s</div>%s' % (
        review,
        video,
        escape(post.text),
        escape(name),
        when(post.created),
        comment_list(comments),
    )
    return layout(post.text or name, body, "douyin")
