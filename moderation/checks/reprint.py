"""Reprint attribution (互联网新闻信息服务管理规定: 来源、原作者、原标题, traceable).

A reprint must name its source, give the source's address (an http or https
URL), the original title and the original author: each one missing blocks.
A source that is not on the approved-source list (稿源白名单, editable) warns:
the address's host must be an approved domain or under one (www.news.cn is under
news.cn); without a usable address, the source name must begin with an approved
name (人民日报客户端 begins with 人民日报).
"""

from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from .base import BLOCK, WARN, Finding
from .lexicon import map_chars


def source_host(url):
    """The lower-case host of an http(s) URL, or "" when it is not one."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    return parts.hostname.lower().rstrip(".")


def domain_approved(host, domains):
    return any(host == d or host.endswith("." + d) for d in domains if d)


def name_approved(name, names):
    name = map_chars(name.strip())
    return any(name.startswith(map_chars(n.strip())) for n in names if n.strip())


def check(context):
    document = context.document
    if not document.is_reprint:
        return []
    findings = []

    def add(code, severity, message, field, value=""):
        findings.append(
            Finding(
                code,
                "reprint_source",
                severity,
                message,
                field,
                value,
                0,
                len(value),
            )
        )

    required = (
        ("source_name", _("A reprint must name its source.")),
        ("source_url", _("A reprint must give the address of its source.")),
        ("original_title", _("A reprint must give the original title.")),
        ("original_author", _("A reprint must give the original author.")),
    )
    for name, message in required:
        if not getattr(document, name).strip():
            add("reprint.missing_%s" % name, BLOCK, message, name)

    url = document.source_url.strip()
    host = source_host(url) if url else ""
    if url and not host:
        add(
            "reprint.invalid_source_url",
            BLOCK,
            _("The source address “%(url)s” is not a web address (http or https).")
            % {"url": url},
            "source_url",
            url,
        )
    sources = context.lexicon.sources
    domains = {s.domain.strip().lower().rstrip(".") for s in sources}
    if host:
        if not domain_approved(host, domains):
            add(
                "reprint.unapproved_source",
                WARN,
                _("The source address is on %(host)s, which is not an approved source.")
                % {"host": host},
                "source_url",
                url,
            )
    elif document.source_name.strip():
        if not name_approved(document.source_name, [s.name for s in sources]):
            add(
                "reprint.unapproved_source",
                WARN,
                _("“%(name)s” is not an approved source.")
                % {"name": document.source_name.strip()},
                "source_name",
                document.source_name,
            )
    return findings
