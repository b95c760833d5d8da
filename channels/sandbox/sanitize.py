"""What WeChat keeps of an article's HTML (reference §1.7).

JavaScript and embedded objects go, ``<img>`` not hosted by WeChat is filtered
out, ``class``/``id`` and positioning styles are dropped; links are checked by
the caller's ``link_ok``. The output is safe to show in the sandbox's pages.
"""

import html
import re
from html.parser import HTMLParser

ALLOWED_TAGS = frozenset(
    "section p span strong b em i u s del a h1 h2 h3 h4 h5 h6 ul ol li blockquote "
    "pre code table thead tbody tfoot tr th td br img hr sup sub figure figcaption "
    "div caption".split()
)
VOID_TAGS = frozenset({"br", "hr", "img"})
#: Removed together with everything inside them.
DROPPED_WITH_CONTENT = frozenset(
    "script noscript style iframe object embed video audio textarea select button "
    "template head title svg math form".split()
)
ALLOWED_ATTRS = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height", "data-src", "data-ratio", "data-w"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "ol": {"start"},
}
_DROPPED_STYLES = ("position", "transform")
_UNSAFE_STYLE = re.compile(r"expression\s*\(|javascript:|url\s*\(", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def clean_style(style):
    kept = []
    for declaration in style.split(";"):
        name, _sep, value = declaration.partition(":")
        name = name.strip().lower()
        if not name or not value.strip() or _UNSAFE_STYLE.search(value):
            continue
        if name.startswith(_DROPPED_STYLES):
            continue
        kept.append("%s: %s" % (name, value.strip()))
    return "; ".join(kept)


class _Cleaner(HTMLParser):
    def __init__(self, image_ok, link_ok):
        super().__init__(convert_charrefs=True)
        self.image_ok = image_ok
        self.link_ok = link_ok
        self.out = []
        self.open = []
        self.skip = 0
        self.rejected_links = []
        self.dropped_images = []

    def handle_starttag(self, tag, attrs):
        if tag in DROPPED_WITH_CONTENT:
            self.skip += 1
            return
        if self.skip or tag not in ALLOWED_TAGS:
            return
        kept = []
        for name, value in attrs:
            value = value or ""
            if name == "style":
                value = clean_style(value)
                if value:
                    kept.append((name, value))
            elif name in ALLOWED_ATTRS.get(tag, ()):
                kept.append((name, value))
        values = dict(kept)
        if tag == "img" and not self.image_ok(values.get("src", "")):
            self.dropped_images.append(values.get("src", ""))
            return
        if tag == "a" and "href" in values:
            href = values["href"].strip()
            if href.lower().startswith(("javascript:", "vbscript:", "data:")):
                kept = [(n, v) for n, v in kept if n != "href"]
            elif not self.link_ok(href):
                self.rejected_links.append(href)
                kept = [(n, v) for n, v in kept if n != "href"]
        rendered = "".join(
            ' %s="%s"' % (name, html.escape(value, quote=True)) for name, value in kept
        )
        self.out.append("<%s%s>" % (tag, rendered))
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS and self.open and self.open[-1] == tag:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in DROPPED_WITH_CONTENT:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip or tag not in self.open:
            return
        while self.open:
            name = self.open.pop()
            self.out.append("</%s>" % name)
            if name == tag:
                break

    def handle_data(self, data):
        if not self.skip:
            self.out.append(html.escape(data, quote=False))

    def result(self):
        self.close()
        self.out.extend("</%s>" % name for name in reversed(self.open))
        self.open = []
        return "".join(self.out)


def clean_article_html(content, image_ok, link_ok):
    """Return ``(html, rejected_links, dropped_images)`` for ``content``."""
    cleaner = _Cleaner(image_ok, link_ok)
    cleaner.feed(content)
    return cleaner.result(), cleaner.rejected_links, cleaner.dropped_images


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in DROPPED_WITH_CONTENT:
            self.skip += 1
        elif tag in ("br", "p", "section", "div", "li", "tr") or tag[:1] == "h":
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in DROPPED_WITH_CONTENT:
            self.skip = max(0, self.skip - 1)

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def plain_text(content):
    """The visible text of an HTML fragment, whitespace collapsed."""
    parser = _Text()
    parser.feed(content or "")
    parser.close()
    return _SPACE.sub(" ", "".join(parser.parts)).strip()
