import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from PIL import Image
from wagtail.models import Revision

from channels.models import Account, AccountAdministrator, ReleaseTarget
from cms.management.commands import seed_demo
from cms.models import CreditedImage, ReleasePage, Role, RoleAssignment, Unit
from cms.roles import group_name

pytestmark = pytest.mark.django_db

UNIT_CODES = {"xcb", "jwc", "xgb", "lib"}


def seed(monkeypatch, password=None):
    """Run seed_demo and return what it printed."""
    if password is None:
        monkeypatch.delenv("RONGMEI_DEMO_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("RONGMEI_DEMO_PASSWORD", password)
    out = io.StringIO()
    call_command("seed_demo", stdout=out, stderr=io.StringIO(), no_color=True)
    return out.getvalue()


def printed_password(output, username):
    """The password column of ``username``'s row in the logins table."""
    for line in output.splitlines():
        cells = line.split()
        if cells and cells[0] == username:
            return cells[-1]
    raise AssertionError("%s is not in the output" % username)


def snapshot():
    return {
        "units": Unit.objects.count(),
        "users": get_user_model().objects.count(),
        "roles": RoleAssignment.objects.count(),
        "accounts": Account.objects.count(),
        "administrators": AccountAdministrator.objects.count(),
        "images": CreditedImage.objects.count(),
        "releases": ReleasePage.objects.count(),
        "targets": ReleaseTarget.objects.count(),
        "revisions": Revision.objects.count(),
    }


def test_seed_creates_units_with_sections(monkeypatch):
    """Seeding creates the managing department and three units, each with its
    section, and sets each unit's head to its unit head."""
    seed(monkeypatch)
    units = {unit.code: unit for unit in Unit.objects.all()}
    assert set(units) == UNIT_CODES
    assert Unit.managing_department() == units["xcb"]
    assert units["xcb"].name == "宣传部"
    assert units["lib"].kind == Unit.Kind.DIRECT
    for code, unit in units.items():
        assert unit.section.title == unit.name
        assert unit.head.username == "%s_unit_head" % code


def test_seed_creates_a_user_per_role_per_unit(monkeypatch):
    """Every role in every unit has a user named <unit>_<role> in that role's
    group, with a Chinese name and an example.edu.cn address; admin is a
    superuser."""
    seed(monkeypatch)
    User = get_user_model()  # noqa: N806
    for unit in Unit.objects.all():
        for role in Role:
            user = User.objects.get(username="%s_%s" % (unit.code, role.value))
            assert RoleAssignment.objects.filter(user=user, unit=unit, role=role)
            assert list(user.groups.values_list("name", flat=True)) == [
                group_name(unit, role)
            ]
            assert user.last_name and user.first_name
            assert user.email.endswith("@example.edu.cn")
            assert not user.is_superuser
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.count() == len(UNIT_CODES) * len(Role) + 1


def test_generated_password_is_strong_and_shared(monkeypatch):
    """Without RONGMEI_DEMO_PASSWORD one strong password is generated for all demo
    logins and printed with each of them."""
    monkeypatch.delenv("RONGMEI_PORT", raising=False)
    output = seed(monkeypatch)
    password = printed_password(output, "admin")
    assert len(password) >= 14
    assert any(c.isalpha() for c in password)
    assert any(c.isdigit() for c in password)
    assert any(not c.isalnum() for c in password)
    for user in get_user_model().objects.all():
        assert user.check_password(password), user.username
        assert printed_password(output, user.username) == password
    assert "http://127.0.0.1:8000/admin/" in output


def test_demo_password_from_environment(monkeypatch):
    """RONGMEI_DEMO_PASSWORD, when set, is every demo login's password."""
    seed(monkeypatch, password="Demo-login-2026!")
    for username in ("admin", "jwc_editor", "xcb_final_reviewer"):
        user = get_user_model().objects.get(username=username)
        assert user.check_password("Demo-login-2026!")


def test_weak_demo_password_is_accepted_with_a_warning(monkeypatch):
    """A weak RONGMEI_DEMO_PASSWORD is used, with a warning on stderr."""
    monkeypatch.setenv("RONGMEI_DEMO_PASSWORD", "123")
    err = io.StringIO()
    call_command("seed_demo", stdout=io.StringIO(), stderr=err, no_color=True)
    assert "RONGMEI_DEMO_PASSWORD is weak" in err.getvalue()
    assert get_user_model().objects.get(username="admin").check_password("123")


def test_accounts_over_four_platforms_with_hidden_credentials(monkeypatch):
    """Eight running or dormant accounts cover the four platforms, with filing data,
    administrators and sandbox addresses; their credentials decrypt but are never
    printed."""
    monkeypatch.setenv("RONGMEI_SANDBOX_PORT", "8399")
    output = seed(monkeypatch)
    accounts = Account.objects.all()
    assert accounts.count() == 8
    assert set(accounts.values_list("platform", flat=True)) == {
        "wechat_oa",
        "weibo",
        "douyin",
        "app",
    }
    assert set(accounts.values_list("unit__code", flat=True)) == UNIT_CODES
    assert accounts.filter(status=Account.Status.RUNNING).count() >= 7
    for account in accounts:
        assert account.leader_name and account.leader_phone
        assert account.purpose and account.verification_subject
        assert 1 <= account.administrators.count() <= 2
        assert account.api_base_url == "http://127.0.0.1:8399/%s" % account.platform
        credentials = account.get_credentials()
        assert set(credentials) == set(account.platform_spec.credential_fields)
        for value in credentials.values():
            assert value
            assert value not in output
        assert account.credentials not in output

    shared = Account.objects.get(unit__code="xcb", platform="wechat_oa")
    for unit in Unit.objects.exclude(code="xcb"):
        assert shared in Account.objects.publishable_by(unit)


def test_releases_in_mixed_states(monkeypatch):
    """About twenty releases spread over the units: live, draft and scheduled ones,
    a reprint with its source, flagged ones, covers and body images, and targets
    the unit may publish to."""
    seed(monkeypatch)
    releases = ReleasePage.objects.all()
    assert 18 <= releases.count() <= 24
    assert set(releases.values_list("unit__code", flat=True)) == UNIT_CODES

    live = releases.filter(live=True)
    drafts = releases.filter(live=False, last_published_at__isnull=True)
    scheduled_ids = Revision.page_revisions.filter(
        approved_go_live_at__isnull=False
    ).values_list("object_id", flat=True)
    scheduled = releases.filter(pk__in=[int(pk) for pk in scheduled_ids])
    assert live.count() >= 8
    assert scheduled.count() >= 2
    assert drafts.exclude(pk__in=scheduled).count() >= 2
    assert not scheduled.filter(live=True).exists()
    assert live.filter(has_unpublished_changes=True).exists()

    reprint = releases.get(origin=ReleasePage.Origin.REPRINT)
    reprint.full_clean()
    assert reprint.source_name and reprint.source_url and reprint.original_author

    assert releases.filter(importance=ReleasePage.Importance.IMPORTANT).exists()
    assert releases.filter(importance=ReleasePage.Importance.MAJOR).exists()
    assert releases.filter(is_urgent=True).exists()
    assert releases.filter(is_sensitive=True).exists()
    assert releases.filter(cover_image__isnull=False).count() >= 10

    body_images = 0
    for release in releases:
        assert release.owner.username == "%s_editor" % release.unit.code
        assert release.targets.exists()
        assert release.tags.exists()
        allowed = Account.objects.publishable_by(release.unit)
        for target in release.targets.all():
            assert target.account in allowed
        blocks = {block.block_type for block in release.body}
        assert "paragraph" in blocks
        if "image" in blocks:
            body_images += 1
    assert body_images >= 5
    for image in CreditedImage.objects.all():
        assert image.credit
        assert image.collection.name == image.title.split(" · ")[0]


def test_second_run_changes_nothing_and_prints_no_password(monkeypatch):
    """Running the command again creates no duplicates, keeps every password and
    prints none."""
    first = seed(monkeypatch)
    password = printed_password(first, "admin")
    before = snapshot()

    second = seed(monkeypatch, password="Another-password-42!")

    assert snapshot() == before
    assert password not in second
    assert "Another-password-42!" not in second
    assert "already exists" in second
    assert get_user_model().objects.get(username="jwc_editor").check_password(password)


def test_banner_without_cjk_font(monkeypatch):
    """Without a CJK font the demo images are still drawn, with ASCII text."""
    monkeypatch.setattr(seed_demo, "cjk_font", lambda size: None)
    data = seed_demo.draw_banner(
        "课堂", "Classroom", "教务处", (28, 76, 138), "books", size=(640, 360)
    )
    assert Image.open(io.BytesIO(data)).size == (640, 360)
