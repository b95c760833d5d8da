"""Shared builders for tests: units, people with roles, accounts, releases."""

import io
import itertools

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.test.utils.form_data import inline_formset, nested_form_data
from wagtailmedia.models import get_media_model

from channels.models import Account, AccountAdministrator
from cms.models import CreditedImage, ReleasePage, RoleAssignment, Unit

PASSWORD = "Rongmei-test-2026!"  # noqa: S105
_counter = itertools.count(1)


def make_unit(name=None, code=None, kind=Unit.Kind.SECONDARY, **kwargs):
    n = next(_counter)
    return Unit.objects.create(
        name=name or f"单位{n}", code=code or f"unit{n}", kind=kind, **kwargs
    )


def make_managing_department():
    unit = Unit.managing_department()
    return unit or make_unit("宣传部", "xcb", kind=Unit.Kind.MANAGING)


def make_user(username=None, roles=(), password=PASSWORD, **kwargs):
    """Create a user holding ``roles``: an iterable of (unit, role) pairs."""
    username = username or f"user{next(_counter)}"
    user = get_user_model().objects.create_user(
        username=username, password=password, email=f"{username}@example.cn", **kwargs
    )
    for unit, role in roles:
        RoleAssignment.objects.create(user=user, unit=unit, role=role)
    return user


def make_account(unit, platform="weibo", name=None, status=Account.Status.RUNNING,
                 credentials=None, **kwargs):  # fmt: skip
    account = Account(
        unit=unit,
        platform=platform,
        name=name or f"{unit.name}{platform}{next(_counter)}",
        leader_name="王主任",
        leader_phone="010-12345678",
        status=status,
        **kwargs,
    )
    if credentials:
        account.set_credentials(**credentials)
    account.save()
    AccountAdministrator.objects.create(
        account=account, name="李管理", phone="13800138000", email="admin@example.cn"
    )
    return account


def make_image(title="图片", credit="摄影：张三", color=(180, 30, 30), **kwargs):
    buffer = io.BytesIO()
    PILImage.new("RGB", (640, 360), color).save(buffer, "JPEG")
    buffer.seek(0)
    return CreditedImage.objects.create(
        title=title,
        credit=credit,
        file=ImageFile(buffer, name=f"{title}.jpg"),
        **kwargs,
    )


#: The start of an MP4 file: an ``ftyp`` box, which is how the sandbox tells one.
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def make_video(title="视频", size=64 * 1024, name=None, **kwargs):
    """A wagtailmedia video of ``size`` bytes that begins like an MP4 file.

    After the header come 4-byte numbers counting up, so parts put together
    in the wrong order, or twice, show.
    """
    filler = b"".join(n.to_bytes(4, "big") for n in range(size // 4 + 1))
    data = (MP4_HEAD + filler)[:size]
    return get_media_model().objects.create(
        title=title,
        type="video",
        duration=kwargs.pop("duration", 12),
        file=ContentFile(data, name=name or f"{title}.mp4"),
        **kwargs,
    )


def make_release(unit, title=None, publish=False, user=None, **kwargs):
    title = title or f"稿件{next(_counter)}"
    release = ReleasePage(
        title=title,
        slug=f"release-{next(_counter)}",
        owner=user,
        live=False,
        digest=kwargs.pop("digest", "摘要"),
        body=kwargs.pop(
            "body", [("paragraph", "<p>正文第一段。</p>"), ("heading", "小标题")]
        ),
        **kwargs,
    )
    unit.section.add_child(instance=release)
    revision = release.save_revision(user=user)
    if publish:
        revision.publish(user=user)
        release.refresh_from_db()
    return release


def account_form_data(account, **changes):
    """The account edit form as the browser would post it, unchanged."""
    administrators = list(account.administrators.all())
    data = nested_form_data(
        {
            "unit": account.unit_id,
            "platform": account.platform,
            "name": account.name,
            "platform_account_id": account.platform_account_id,
            "home_url": account.home_url,
            "verification_subject": account.verification_subject,
            "purpose": account.purpose,
            "opened_on": account.opened_on or "",
            "status": account.status,
            "leader_name": account.leader_name,
            "leader_phone": account.leader_phone,
            "administrators": inline_formset(
                [
                    {"id": a.pk, "name": a.name, "phone": a.phone, "email": a.email}
                    for a in administrators
                ],
                initial=len(administrators),
                min=1,
            ),
            "api_base_url": account.api_base_url,
            "new_credentials": "",
            "windows_text": ", ".join("-".join(w) for w in account.publishing_windows),
            "daily_cap": account.daily_cap or "",
            "weekly_cap": account.weekly_cap or "",
            "min_spacing_minutes": account.min_spacing_minutes,
            "blackout_text": ", ".join(account.blackout_dates),
        }
    )
    data["publishing_units"] = [
        str(pk) for pk in account.publishing_units.values_list("pk", flat=True)
    ]
    if account.is_verified:
        data["is_verified"] = "on"
    data.update(changes)
    return data
