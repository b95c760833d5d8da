"""Previews of a release as each platform will show it (微信图文, 微博, 抖音, App).

Each preview mode of ``ReleasePage`` renders the page being edited, unsaved
changes included, through the platform adapter's ``render``: the same payload
the delivery engine would send, so the limits and problems shown are the ones
that would stop or shorten the delivery. The release is rendered for each of
its target accounts on the platform (their title and text overrides differ);
a release with none there is rendered for an example account that is never
saved, so an editor sees the platform's shape before picking accounts.

``register_preview_modes`` is called from ``ChannelsConfig.ready``.
"""

import json
import logging
from functools import partial

from django.core.serializers.json import DjangoJSONEncoder
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .adapters.base import adapter_class
from .models import Account

logger = logging.getLogger(__name__)

#: The preview modes, in the order the editor offers them: platform code and label.
PREVIEW_MODES = (
    ("wechat_oa", gettext_lazy("WeChat article")),
    ("weibo", gettext_lazy("Weibo")),
    ("douyin", gettext_lazy("Douyin")),
    ("app", gettext_lazy("App")),
)

CHARACTERS, SIZE, THRESHOLD = "characters", "size", "threshold"

#: The limits adapters report (``Payload.limits`` keys): label and kind.
LIMITS_SHOWN = {
    "title": (gettext_lazy("Title"), CHARACTERS),
    "author": (gettext_lazy("Byline"), CHARACTERS),
    "digest": (gettext_lazy("Digest"), CHARACTERS),
    "content_chars": (gettext_lazy("Body, characters of HTML"), CHARACTERS),
    "content_bytes": (gettext_lazy("Body size"), SIZE),
    "status": (gettext_lazy("Weibo text, as Weibo counts it"), CHARACTERS),
    "text": (gettext_lazy("Caption"), CHARACTERS),
    "pic_bytes": (gettext_lazy("Picture size"), SIZE),
    "part_threshold": (gettext_lazy("Videos uploaded in parts above"), THRESHOLD),
}


class PreviewRevision:
    """Stands in for a revision of the page being edited: adapters call
    ``as_object()`` and get the unsaved page."""

    pk = id = None

    def __init__(self, page):
        self._page = page
        self.created_at = timezone.now()

    def as_object(self):
        return self._page


def register_preview_modes():
    """Add the platform preview modes to ``ReleasePage``."""
    from cms.models import ReleasePage

    for platform, label in PREVIEW_MODES:
        ReleasePage.add_preview_mode(
            platform, label, partial(serve_platform_preview, platform=platform)
        )


def preview_accounts(page, platform):
    """The page's target accounts on ``platform``, in the editor's order, or an
    example account (unsaved) when it has none there.

    Returns ``(accounts, is_example)``.
    """
    accounts = []
    for target in page.targets.all():
        if target.account_id is None:
            continue
        account = target.account
        if account.platform == platform and account not in accounts:
            accounts.append(account)
    if accounts:
        return accounts, False
    example = Account(
        platform=platform,
        name=_("Example account"),
        status=Account.Status.RUNNING,
        unit_id=page.unit_id,
    )
    return [example], True


def render_for(page, account):
    """Render ``page`` for ``account``: ``(payload, error)``, one of them None."""
    try:
        adapter = adapter_class(account.platform)
    except (ImportError, AttributeError, LookupError):
        logger.warning("No adapter for %s", account.platform, exc_info=True)
        return None, _(
            "The %(platform)s adapter is not installed yet, so this preview "
            "cannot be shown."
        ) % {"platform": account.get_platform_display()}
    try:
        return adapter.render(PreviewRevision(page), account), None
    except Exception as e:  # noqa: BLE001 — a preview shows the error, never breaks
        logger.exception("Previewing release %s for %r failed", page.pk, account)
        return None, _("It could not be formatted for %(account)s: %(error)s") % {
            "account": account.name,
            "error": e,
        }


def limit_rows(limits, used=None):
    """``Payload.limits`` as rows for people: label, value, and whether over.

    A limit is a number, or a dict with ``limit`` and the ``length`` used;
    ``used`` gives lengths the adapter did not report (by limit key).
    """
    used = used or {}
    rows = []
    for key, value in (limits or {}).items():
        label, kind = LIMITS_SHOWN.get(key, (key, None))
        length = used.get(key)
        if isinstance(value, dict) and "limit" in value:
            length = value.get("length", length)
            value = value["limit"]
        if not _is_number(value):
            shown = json.dumps(value, ensure_ascii=False, default=str)
        elif kind == SIZE:
            shown = _("at most %(size)s") % {"size": filesizeformat(value)}
        elif kind == THRESHOLD:
            shown = filesizeformat(value)
        elif length is not None:
            shown = _("%(length)s of %(limit)s characters") % {
                "length": length,
                "limit": value,
            }
        elif kind == CHARACTERS:
            shown = _("at most %(limit)s characters") % {"limit": value}
        else:
            shown = str(value)
        over = _is_number(length) and _is_number(value) and length > value
        rows.append({"key": key, "label": label, "value": shown, "over": over})
    return rows


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


def problem_rows(problems):
    """``Payload.problems`` with blocking ones first."""
    rows = [
        {
            "code": problem.get("code", ""),
            "message": problem.get("message", ""),
            "blocking": problem.get("blocking", True),
        }
        for problem in problems or ()
    ]
    return sorted(rows, key=lambda row: not row["blocking"])


def asset_objects(payload):
    """The images, videos and documents ``payload.assets`` names, by role."""
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model
    from wagtailmedia.models import get_media_model

    models = {
        "image_id": get_image_model(),
        "media_id": get_media_model(),
        "document_id": get_document_model(),
    }
    found = []
    for asset in payload.assets:
        for field, model in models.items():
            if asset.get(field) is not None:
                found.append(
                    {
                        "asset": asset,
                        "role": asset.get("role", ""),
                        "kind": field[: -len("_id")],
                        "object": model.objects.filter(pk=asset[field]).first(),
                    }
                )
                break
    return found


def preview_entry(page, account, is_example):
    """What one account's part of a preview shows."""
    payload, error = render_for(page, account)
    entry = {
        "account": account,
        "is_example": is_example,
        "payload": payload,
        "error": error,
        "limits": [],
        "problems": [],
        "blocking": False,
    }
    if payload is None:
        return entry
    problems = problem_rows(payload.problems)
    entry.update(
        problems=problems,
        blocking=any(problem["blocking"] for problem in problems),
        assets=asset_objects(payload),
        content_json=_json(payload.content),
    )
    extra = PLATFORM_EXTRAS.get(account.platform)
    used = extra(entry, payload, account) if extra else {}
    entry["limits"] = limit_rows(payload.limits, used)
    return entry


def _json(value):
    return json.dumps(value, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder)


def _asset(entry, kind, *roles):
    for item in entry["assets"]:
        if item["kind"] == kind and item["role"] in roles and item["object"]:
            return item["object"]
    return None


def _wechat_extras(entry, payload, account):
    """The article with its images shown, and the lengths WeChat counts."""
    article = (payload.content.get("articles") or [{}])[0]
    html = article.get("content", "")
    for asset in payload.assets:
        placeholder = asset.get("placeholder")
        if not placeholder:
            continue
        url = asset.get("url", "")
        image = next(
            (
                item["object"]
                for item in entry["assets"]
                if item["asset"] is asset and item["kind"] == "image"
            ),
            None,
        )
        if image is not None:
            url = image.get_rendition("width-640").url
        html = html.replace('src="%s"' % placeholder, 'src="%s"' % escape(url))
    entry.update(
        article=article,
        # The adapter reduced the HTML to the tags and attributes WeChat keeps.
        article_html=mark_safe(html),  # noqa: S308
        cover=_asset(entry, "image", "cover"),
    )
    return {
        name: len(article.get(name) or "") for name in ("title", "author", "digest")
    }


def _douyin_extras(entry, payload, account):
    entry["video"] = _asset(entry, "media", "video")
    return {}


def _app_extras(entry, payload, account):
    """The webhook's body as the app receives it (the key is set when sent)."""
    from .adapters.app import EVENT_PUBLISHED

    body = {
        "event": EVENT_PUBLISHED,
        "delivery": payload.key or _("(the delivery key, set when it is sent)"),
        "account": {"id": account.pk, "name": account.name},
        **payload.content,
    }
    entry["webhook_json"] = _json(body)
    return {}


#: Platform-specific parts of a preview: each adds to the entry and returns
#: the lengths used, by limit key, that the adapter's limits leave out.
PLATFORM_EXTRAS = {
    "wechat_oa": _wechat_extras,
    "douyin": _douyin_extras,
    "app": _app_extras,
}


def serve_platform_preview(page, request, platform):
    """The preview of ``page`` on ``platform`` (a ``ReleasePage`` preview mode)."""
    accounts, is_example = preview_accounts(page, platform)
    entries = [preview_entry(page, account, is_example) for account in accounts]
    labels = dict(PREVIEW_MODES)
    return TemplateResponse(
        request,
        "channels/preview/%s.html" % platform,
        {
            "page": page,
            "self": page,
            "platform": platform,
            "platform_label": labels.get(platform, platform),
            "entries": entries,
            "is_example": is_example,
            "request": request,
        },
    )
