"""What every check shares: the finding, the text fields and the release document.

A check reads a :class:`ReleaseDocument`: the release's published text split into
named fields ("title", "subtitle", "digest", "author", "body.3", "body.4.caption",
"targets.0.title" …), in the order a reader meets them, plus the facts checks need
besides text (origin and source, images, target platforms, links, video). Offsets
in findings count characters of the field's text as extracted here: for rich text
that is the text a reader sees, with one newline between blocks.

Build a document with :meth:`ReleaseDocument.from_json` (the batch command) or
:meth:`ReleaseDocument.from_release` (a ``ReleasePage`` or ``revision.as_object()``).
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Callable

from django.utils.functional import cached_property
from django.utils.translation import gettext as _

#: Every category a finding can carry.
CATEGORIES = (
    "secrecy",
    "privacy",
    "lexicon",
    "protected_name",
    "typo",
    "traditional",
    "clickbait",
    "reprint_source",
    "image_credit",
    "map",
    "length",
    "video",
    "ads",
)
BLOCK = "block"
WARN = "warn"
SEVERITIES = (BLOCK, WARN)
ORIGINS = ("original", "reprint")

#: Characters of context an excerpt shows on each side of what was found.
EXCERPT_CONTEXT = 12


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a check found: where, how bad, and what to do about it."""

    code: str
    category: str
    severity: str
    message: str
    field: str
    excerpt: str
    offset: int
    length: int
    suggestion: str = ""
    #: The platform code when the finding concerns one target platform only.
    target: str = ""

    def __post_init__(self):
        if self.category not in CATEGORIES:
            raise ValueError(f"Unknown finding category {self.category!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"Unknown finding severity {self.severity!r}")

    @property
    def blocks(self):
        return self.severity == BLOCK

    def to_dict(self):
        return {
            "code": self.code,
            "category": self.category,
            "severity": self.severity,
            "message": self.message,
            "field": self.field,
            "excerpt": self.excerpt,
            "offset": self.offset,
            "length": self.length,
            "suggestion": self.suggestion,
            "target": self.target,
        }


def excerpt(text, start, end, context=EXCERPT_CONTEXT):
    """Return ``text[start:end]`` with a little context, marking cuts with "…"."""
    left = max(0, start - context)
    right = min(len(text), end + context)
    snippet = text[left:right].replace("\n", " ")
    return ("…" if left else "") + snippet + ("…" if right < len(text) else "")


@dataclass(frozen=True, slots=True)
class TextField:
    """A named piece of the release's text."""

    name: str
    text: str


@dataclass(frozen=True, slots=True)
class ImageRef:
    """An image the release publishes, with what the image checks need."""

    field: str
    credit: str = ""
    is_map: bool = False
    map_approval_no: str = ""


@dataclass(frozen=True, slots=True)
class Target:
    """A target account's platform, with the wording set for that account."""

    platform: str
    title: str = ""
    text: str = ""
    account: str = ""
    #: The document fields holding ``title`` and ``text`` ("" when not set).
    title_field: str = ""
    text_field: str = ""


@dataclass(frozen=True, slots=True)
class Link:
    """A link in the text: ``offset``/``length`` locate its text in ``field``."""

    field: str
    url: str
    offset: int = 0
    length: int = 0


class DocumentError(ValueError):
    """The input does not describe a release; ``errors`` says what and where."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("; ".join(self.errors))


@dataclass(frozen=True)
class ReleaseDocument:
    """The text and facts of one release, as the checks read them."""

    fields: tuple = ()
    origin: str = "original"
    source_name: str = ""
    source_url: str = ""
    original_title: str = ""
    original_author: str = ""
    #: :class:`Target` per target account, in order.
    targets: tuple = ()
    images: tuple = ()
    links: tuple = ()
    has_video: bool = False
    #: The release's public address, if known (Weibo posts carry it).
    url: str = ""
    html: str = ""
    #: Renders the body HTML on first use (``from_release`` passes one, so that
    #: only checks that need the HTML pay for rendering it).
    render_html: Callable | None = field(default=None, compare=False, repr=False)

    @cached_property
    def body_html(self):
        if self.render_html is not None:
            return self.render_html()
        return self.html

    @cached_property
    def _by_name(self):
        return {f.name: f for f in self.fields}

    def get_field(self, name):
        return self._by_name.get(name)

    def text(self, name):
        found = self._by_name.get(name)
        return found.text if found else ""

    @property
    def title(self):
        return self.text("title")

    @property
    def is_reprint(self):
        return self.origin == "reprint"

    @property
    def platforms(self):
        """The distinct target platforms, in order."""
        return list(dict.fromkeys(t.platform for t in self.targets))

    @classmethod
    def from_json(cls, data):
        """Build a document from the batch format; raise :class:`DocumentError`.

        ``{"title", "subtitle", "digest", "author", "body_html", "origin",
        "source_name", "source_url", "original_title", "original_author",
        "targets": ["wechat_oa", …], "images": [{"credit", "is_map",
        "map_approval_no", "caption"}], "has_video", "url"}``; only ``title`` is
        required. Without ``has_video``, a ``<video>`` in the body counts.
        """
        from .platforms import KNOWN_PLATFORMS

        errors = []
        if not isinstance(data, dict):
            raise DocumentError(
                [
                    _("The release must be a JSON object, not %(type)s.")
                    % {"type": _json_type(data)}
                ]
            )
        unknown = sorted(set(data) - _JSON_KEYS)
        if unknown:
            errors.append(
                _("Unknown keys: %(keys)s (allowed: %(allowed)s).")
                % {"keys": ", ".join(unknown), "allowed": ", ".join(sorted(_JSON_KEYS))}
            )

        def string(key, required=False):
            value = data.get(key)
            if value is None:
                if required:
                    errors.append(_("%(key)s: required.") % {"key": key})
                return ""
            if not isinstance(value, str):
                errors.append(
                    _("%(key)s: expected a string, got %(type)s.")
                    % {"key": key, "type": _json_type(value)}
                )
                return ""
            return value

        def boolean(where, value):
            if not isinstance(value, bool):
                errors.append(
                    _("%(key)s: expected true or false, got %(type)s.")
                    % {"key": where, "type": _json_type(value)}
                )
                return False
            return value

        title = string("title", required=True)
        texts = [
            ("title", title),
            ("subtitle", string("subtitle")),
            ("digest", string("digest")),
            ("author", string("author")),
        ]
        body_html = string("body_html")
        origin = string("origin") or "original"
        if origin not in ORIGINS:
            errors.append(
                _("origin: expected one of %(choices)s, got %(value)r.")
                % {"choices": ", ".join(ORIGINS), "value": origin}
            )
        fields = [TextField(name, text) for name, text in texts if text]
        links = []
        if body_html:
            body_text, body_links = html_to_text(body_html)
            fields.append(TextField("body", body_text))
            links.extend(
                Link("body", url, start, end - start) for url, start, end in body_links
            )

        targets = []
        raw_targets = data.get("targets", [])
        if not isinstance(raw_targets, list):
            errors.append(
                _("targets: expected a list of platform codes, got %(type)s.")
                % {"type": _json_type(raw_targets)}
            )
            raw_targets = []
        for index, code in enumerate(raw_targets):
            if code not in KNOWN_PLATFORMS:
                errors.append(
                    _(
                        "targets[%(index)d]: unknown platform %(value)s "
                        "(expected one of: %(choices)s)."
                    )
                    % {
                        "index": index,
                        "value": _json_repr(code),
                        "choices": ", ".join(sorted(KNOWN_PLATFORMS)),
                    }
                )
                continue
            targets.append(Target(code))

        images = []
        raw_images = data.get("images", [])
        if not isinstance(raw_images, list):
            errors.append(
                _("images: expected a list of objects, got %(type)s.")
                % {"type": _json_type(raw_images)}
            )
            raw_images = []
        for index, image in enumerate(raw_images):
            where = "images[%d]" % index
            if not isinstance(image, dict):
                errors.append(
                    _("%(key)s: expected an object, got %(type)s.")
                    % {"key": where, "type": _json_type(image)}
                )
                continue
            extra = sorted(set(image) - _JSON_IMAGE_KEYS)
            if extra:
                errors.append(
                    _("%(key)s: unknown keys %(keys)s (allowed: %(allowed)s).")
                    % {
                        "key": where,
                        "keys": ", ".join(extra),
                        "allowed": ", ".join(sorted(_JSON_IMAGE_KEYS)),
                    }
                )
            values = {}
            for key in ("credit", "map_approval_no", "caption"):
                value = image.get(key, "")
                if value is None:
                    value = ""
                if not isinstance(value, str):
                    errors.append(
                        _("%(key)s: expected a string, got %(type)s.")
                        % {"key": f"{where}.{key}", "type": _json_type(value)}
                    )
                    value = ""
                values[key] = value
            is_map = boolean(f"{where}.is_map", image.get("is_map", False))
            images.append(
                ImageRef(where, values["credit"], is_map, values["map_approval_no"])
            )
            if values["caption"]:
                fields.append(TextField(f"{where}.caption", values["caption"]))

        has_video = data.get("has_video")
        if has_video is None:
            has_video = bool(_VIDEO_TAG.search(body_html))
        else:
            has_video = boolean("has_video", has_video)

        if errors:
            raise DocumentError(errors)
        return cls(
            fields=tuple(fields),
            origin=origin,
            source_name=string("source_name"),
            source_url=string("source_url"),
            original_title=string("original_title"),
            original_author=string("original_author"),
            targets=tuple(targets),
            images=tuple(images),
            links=tuple(links),
            has_video=has_video,
            url=string("url"),
            html=body_html,
        )

    @classmethod
    def from_release(cls, page):
        """Build a document from a ``ReleasePage``, saved or not.

        Works on ``revision.as_object()`` too: the body, the cover and the target
        accounts are read from the object, not from the database rows.
        """
        fields = []
        images = []
        links = []
        has_video = False

        def add(name, text):
            if text and text.strip():
                fields.append(TextField(name, text))

        add("title", page.title)
        add("subtitle", page.subtitle)
        add("digest", page.digest)
        add("author", page.author)

        cover = page.cover_image
        if cover is not None:
            images.append(
                ImageRef("cover", cover.credit, cover.is_map, cover.map_approval_no)
            )

        for index, block in enumerate(page.body):
            name = f"body.{index}"
            kind, value = block.block_type, block.value
            if kind == "paragraph":
                text, block_links = html_to_text(value.source)
                add(name, text)
                links.extend(
                    Link(name, url, start, end - start)
                    for url, start, end in block_links
                )
            elif kind == "heading":
                add(name, value)
            elif kind == "image":
                add(f"{name}.caption", value.get("caption"))
                image = value.get("image")
                if image is not None:
                    images.append(
                        ImageRef(
                            name,
                            (value.get("credit") or "").strip() or image.credit,
                            image.is_map,
                            image.map_approval_no,
                        )
                    )
            elif kind == "quote":
                add(name, value.get("text"))
                add(f"{name}.attribution", value.get("attribution"))
            elif kind == "video":
                has_video = has_video or value.get("video") is not None
                add(f"{name}.caption", value.get("caption"))
            elif kind == "attachment":
                document = value.get("document")
                add(name, value.get("title") or (document.title if document else ""))
            elif kind == "embed":
                url = getattr(value, "url", "") or ""
                if url:
                    links.append(Link(name, url))

        targets = []
        # The target accounts are an inline model of another app; read them
        # through the page's relation so this module does not import that app.
        relation = getattr(page, "targets", None)
        for index, target in enumerate(relation.all() if relation is not None else ()):
            title_field = text_field = ""
            if target.title_override.strip():
                title_field = f"targets.{index}.title"
                add(title_field, target.title_override)
            if target.text_override.strip():
                text_field = f"targets.{index}.text"
                add(text_field, target.text_override)
            account = target.account
            targets.append(
                Target(
                    account.platform,
                    target.title_override.strip(),
                    target.text_override.strip(),
                    str(account),
                    title_field,
                    text_field,
                )
            )

        try:
            url = page.full_url or ""
        except Exception:  # noqa: BLE001 - an unsaved page has no place in a site
            url = ""
        return cls(
            fields=tuple(fields),
            origin=page.origin,
            source_name=page.source_name,
            source_url=page.source_url,
            original_title=page.original_title,
            original_author=page.original_author,
            targets=tuple(targets),
            images=tuple(images),
            links=tuple(links),
            has_video=has_video,
            url=url,
            render_html=lambda: str(page.body),
        )


_JSON_KEYS = {
    "title",
    "subtitle",
    "digest",
    "author",
    "body_html",
    "origin",
    "source_name",
    "source_url",
    "original_title",
    "original_author",
    "targets",
    "images",
    "has_video",
    "url",
}
_JSON_IMAGE_KEYS = {"credit", "is_map", "map_approval_no", "caption"}
_VIDEO_TAG = re.compile(r"<video\b", re.IGNORECASE)


def _json_type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object"


def _json_repr(value):
    return repr(value) if isinstance(value, str) else _json_type(value)


# Elements after which a reader sees a new line.
_BLOCK_ELEMENTS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer "
    "h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody td tfoot "
    "th thead tr ul".split()
)
# Elements whose content a reader never sees as text.
_HIDDEN_ELEMENTS = frozenset(["script", "style", "template", "head", "title"])


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.length = 0
        self.links = []  # [url, start, end]
        self.open_links = []
        self.hidden = 0
        self.pending_break = False

    def _break(self):
        if self.length:
            self.pending_break = True

    def handle_starttag(self, tag, attrs):
        if tag in _HIDDEN_ELEMENTS:
            self.hidden += 1
        elif tag in _BLOCK_ELEMENTS:
            self._break()
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.open_links.append([href.strip(), None])

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCK_ELEMENTS:
            self._break()

    def handle_endtag(self, tag):
        if tag in _HIDDEN_ELEMENTS:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCK_ELEMENTS:
            self._break()
        if tag == "a" and self.open_links:
            href, start = self.open_links.pop()
            if href:
                start = self.length if start is None else start
                self.links.append((href, start, self.length))

    def handle_data(self, data):
        if self.hidden or not data:
            return
        # Source line breaks and runs of spaces are layout, not text.
        data = _LAYOUT_SPACE.sub(" ", data)
        if not self.length or self.pending_break:
            data = data.lstrip(" ")
            if not data:
                return
        if self.pending_break:
            self.parts.append("\n")
            self.length += 1
            self.pending_break = False
        for link in self.open_links:
            if link[1] is None:
                link[1] = self.length
        self.parts.append(data)
        self.length += len(data)


_LAYOUT_SPACE = re.compile(r"[ \t\r\n\f]+")


def html_to_text(html):
    """Return the text a reader sees in ``html``, and its links.

    Blocks (paragraphs, list items, headings, line breaks) are separated by one
    newline; links come as ``(url, start, end)`` of their text.
    """
    if "<" not in html and "&" not in html:
        return html.strip(), []
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    stripped = text.rstrip()
    links = [
        (url, min(s, len(stripped)), min(e, len(stripped)))
        for url, s, e in parser.links
    ]
    return stripped, links
