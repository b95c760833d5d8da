"""Commercial advertising (warn).

Government and institutional accounts must not carry commercial ads:

- advertising wording: lexicon terms of category ``ads`` (扫码购买, 限时优惠 …);
- links to shops and commercial pages: a link in the body or an address in the
  text whose host is, or is under, one of :data:`COMMERCIAL_DOMAINS`.
"""

import re

from django.utils.translation import gettext as _

from .base import WARN, Finding, excerpt
from .reprint import domain_approved, source_host

#: Shops and deal sites.
COMMERCIAL_DOMAINS = (
    "taobao.com",
    "tmall.com",
    "tb.cn",
    "jd.com",
    "3.cn",
    "pinduoduo.com",
    "yangkeduo.com",
    "1688.com",
    "weidian.com",
    "youzan.com",
    "vip.com",
    "suning.com",
    "dangdang.com",
    "jinritemai.com",
    "meituan.com",
    "dianping.com",
    "ele.me",
    "amazon.cn",
    "amazon.com",
)

_ADDRESS = re.compile(
    r"(?:https?://)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?::[0-9]+)?"
    r"(?:/[A-Za-z0-9\-._~:/?#\[\]@!$&*+,;=%]*)?",
    re.IGNORECASE,
)


def is_commercial(url):
    if "://" not in url:
        url = "http://" + url
    host = source_host(url)
    return bool(host) and domain_approved(host, COMMERCIAL_DOMAINS)


def check(context):
    findings = []
    link_message = _("A link to a commercial page (%(host)s).")
    seen = set()
    for link in context.document.links:
        if is_commercial(link.url):
            text = context.document.text(link.field)
            seen.add((link.field, link.offset))
            findings.append(
                Finding(
                    "ads.link",
                    "ads",
                    WARN,
                    link_message % {"host": source_host(_with_scheme(link.url))},
                    link.field,
                    excerpt(text, link.offset, link.offset + link.length)
                    if link.length
                    else link.url,
                    link.offset,
                    link.length,
                )
            )
    for field in context.document.fields:
        if "." not in field.text:
            continue
        for match in _ADDRESS.finditer(field.text):
            start, end = match.span()
            if (field.name, start) in seen or not is_commercial(match.group()):
                continue
            findings.append(
                Finding(
                    "ads.link",
                    "ads",
                    WARN,
                    link_message % {"host": source_host(_with_scheme(match.group()))},
                    field.name,
                    excerpt(field.text, start, end),
                    start,
                    end - start,
                )
            )
    template = _("“%(text)s” reads as commercial advertising.")
    for field, start, end, terms in context.term_matches("ads"):
        findings.append(
            Finding(
                "ads.wording",
                "ads",
                terms[0].severity,
                template % {"text": field.text[start:end]},
                field.name,
                excerpt(field.text, start, end),
                start,
                end - start,
                terms[0].suggestion,
            )
        )
    return findings


def _with_scheme(url):
    return url if "://" in url else "http://" + url
