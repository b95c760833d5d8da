"""The security audit log: what is recorded, what never is, and the read-only
report that lists, filters and exports it (docs/security.md)."""

import csv
import io
import json
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from wagtail.log_actions import LogContext
from wagtail.log_actions import registry as log_action_registry
from wagtail.models import BaseLogEntry, ModelLogEntry
from wagtail.test.utils.form_data import querydict_from_html

from cms.models import Role, RoleAssignment
from cms.security import audit
from tests.utils import (
    PASSWORD,
    make_account,
    make_managing_department,
    make_unit,
    make_user,
)

pytestmark = pytest.mark.django_db

WRONG = "Not-the-password-1!"
NEW_PASSWORD = "Another-secret-2027#"  # noqa: S105


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


@pytest.fixture
def alice():
    """Someone who may use the admin (an editor somewhere)."""
    return make_user(
        "alice",
        roles=[(make_unit(), Role.EDITOR)],
        first_name="Alice",
        last_name="Li",
    )


@pytest.fixture
def root():
    return make_user("root", is_superuser=True)


def sign_in(client, username, password, address="10.0.0.1"):
    return client.post(
        reverse("wagtailadmin_login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def entries(action, **kwargs):
    return ModelLogEntry.objects.filter(action=action, **kwargs)


def all_logged_text():
    """Everything stored in the log, to search for what must never be there."""
    return json.dumps(
        list(ModelLogEntry.objects.values("label", "data")), ensure_ascii=False
    )


# Signing in and out.


def test_sign_in_and_out_are_logged(client, alice):
    """A successful sign-in and a sign-out are recorded against the person, by
    the person, with the source address."""
    response = sign_in(client, "alice", PASSWORD, address="10.0.3.1")
    assert response.status_code == 302
    login = entries(audit.LOGIN).get()
    assert login.object_id == str(alice.pk)
    assert login.user == alice
    assert login.data == {"ip_address": "10.0.3.1"}
    assert "10.0.3.1" in login.message

    client.post(reverse("wagtailadmin_logout"), REMOTE_ADDR="10.0.3.1")
    logout = entries(audit.LOGOUT).get()
    assert logout.object_id == str(alice.pk)
    assert logout.user == alice


def test_failed_sign_in_is_logged_without_the_password(client, alice):
    """A wrong password is recorded against the person with the name typed and
    the address, and the password is stored nowhere in the log."""
    response = sign_in(client, "alice", WRONG, address="10.0.3.2")
    assert response.status_code == 200
    entry = entries(audit.LOGIN_FAILED).get()
    assert entry.object_id == str(alice.pk)
    assert entry.user is None
    assert entry.data == {
        "username": "alice",
        "ip_address": "10.0.3.2",
        "locked_out": False,
    }
    assert WRONG not in all_logged_text()


def test_failed_sign_in_as_nobody_is_logged(client, axes_on):
    """A name that belongs to nobody is recorded against axes' record of the
    attempts, with the name and the address."""
    sign_in(client, "nobody", WRONG, address="10.0.3.3")
    entry = entries(audit.LOGIN_FAILED).get()
    assert entry.content_type.model_class() is AccessAttempt
    assert entry.label == "nobody"
    assert entry.data["username"] == "nobody"
    assert entry.data["ip_address"] == "10.0.3.3"
    assert WRONG not in all_logged_text()


def test_wrong_password_and_unknown_name_answer_alike(client, alice):
    """The sign-in page says the same thing, with the same status, whether the
    name exists or not."""
    wrong_password = sign_in(client, "alice", WRONG)
    no_such_user = sign_in(client, "nobody", WRONG)
    assert wrong_password.status_code == no_such_user.status_code
    assert (
        wrong_password.context["form"].non_field_errors()
        == no_such_user.context["form"].non_field_errors()
    )


# Passwords.


def test_creating_a_user_logs_no_password_change():
    """The first password of a new user is not a change."""
    make_user("newcomer")
    assert not entries(audit.PASSWORD_CHANGE).exists()


def test_password_change_is_logged(alice):
    """Setting a new password records a change against the person."""
    alice.set_password(NEW_PASSWORD)
    alice.save()
    entry = entries(audit.PASSWORD_CHANGE).get()
    assert entry.object_id == str(alice.pk)
    assert NEW_PASSWORD not in all_logged_text()
    assert alice.password not in all_logged_text()


def change_password_on_account_page(client, old, new):
    page = client.get(reverse("wagtailadmin_account"))
    data = querydict_from_html(page.content.decode(), form_index=0)
    data = data.copy()
    data["password-old_password"] = old
    data["password-new_password1"] = new
    data["password-new_password2"] = new
    return client.post(reverse("wagtailadmin_account"), data)


def test_password_change_on_the_account_page_ends_other_sessions(alice):
    """Changing the password on the account page is logged with the person as
    actor, keeps that session, and signs the person out everywhere else."""
    here, elsewhere = Client(), Client()
    assert sign_in(here, "alice", PASSWORD).status_code == 302
    assert sign_in(elsewhere, "alice", PASSWORD).status_code == 302
    home = reverse("wagtailadmin_home")
    assert elsewhere.get(home).status_code == 200

    response = change_password_on_account_page(here, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302, response.context["form"].errors
    entry = entries(audit.PASSWORD_CHANGE).get()
    assert entry.user == alice

    assert here.get(home).status_code == 200
    response = elsewhere.get(home)
    assert response.status_code == 302
    assert response.url.startswith(reverse("wagtailadmin_login"))


def test_password_set_elsewhere_ends_every_session(alice):
    """A password set outside the admin (set_password and save) also ends the
    sessions signed in with the old one."""
    client = Client()
    sign_in(client, "alice", PASSWORD)
    alice.set_password(NEW_PASSWORD)
    alice.save()
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("wagtailadmin_login"))


# Roles.


def test_role_grant_and_removal_are_logged(root):
    """Granting a role and removing it are recorded against the person who holds
    it, by whoever did it, with the role and the unit."""
    unit = make_unit("教务处", "jwc")
    alice = make_user("alice")
    with LogContext(user=root):
        assignment = RoleAssignment.objects.create(
            user=alice, unit=unit, role=Role.EDITOR
        )
    grant = entries(audit.ROLE_GRANT).get()
    assert grant.object_id == str(alice.pk)
    assert grant.user == root
    assert grant.data == {"role": "editor", "unit_id": unit.pk, "unit": "教务处"}

    assignment.delete()
    revoke = entries(audit.ROLE_REVOKE).get()
    assert revoke.object_id == str(alice.pk)
    assert revoke.data["role"] == "editor"
    assert revoke.data["unit"] == "教务处"


def test_handing_a_role_to_another_person_is_logged_for_both():
    """Changing who holds an assignment removes it from one and grants it to the
    other; saving it unchanged records nothing."""
    unit = make_unit()
    alice, bob = make_user("alice"), make_user("bob")
    assignment = RoleAssignment.objects.create(user=alice, unit=unit, role=Role.EDITOR)
    assignment.save()
    assert entries(audit.ROLE_GRANT).count() == 1
    assert not entries(audit.ROLE_REVOKE).exists()

    assignment.user = bob
    assignment.save()
    assert entries(audit.ROLE_REVOKE).get().object_id == str(alice.pk)
    assert entries(audit.ROLE_GRANT, object_id=str(bob.pk)).exists()


def test_role_grant_through_the_admin_is_logged(client, root):
    """The roles screen records the grant with the administrator as actor."""
    unit = make_unit()
    alice = make_user("alice")
    client.force_login(root)
    response = client.post(
        reverse("wagtailsnippets_cms_roleassignment:add"),
        {"user": alice.pk, "unit": unit.pk, "role": Role.FIRST_REVIEWER},
    )
    assert response.status_code == 302
    entry = entries(audit.ROLE_GRANT).get()
    assert entry.object_id == str(alice.pk)
    assert entry.user == root


# Account credentials.

SECRET = "s3cret-token-8d2f"  # noqa: S105


def test_credential_change_logs_names_never_values():
    """Setting credentials records which names changed, on the account, and no
    value is stored anywhere in the log."""
    unit = make_unit()
    account = make_account(
        unit,
        platform="wechat_oa",
        credentials={"app_id": "wx123", "app_secret": SECRET},
    )
    first = entries(audit.CREDENTIALS_CHANGE).get()
    assert first.object_id == str(account.pk)
    assert first.data == {"names": ["app_id", "app_secret"]}

    account.set_credentials(app_id="wx123", app_secret=SECRET + "-new")
    account.save()
    latest = entries(audit.CREDENTIALS_CHANGE).order_by("-pk").first()
    assert latest.data == {"names": ["app_secret"]}
    assert "app_secret" in latest.message

    text = all_logged_text()
    assert SECRET not in text and "wx123" not in text


def test_saving_an_account_without_new_credentials_logs_nothing():
    unit = make_unit()
    account = make_account(unit, credentials={"access_token": SECRET})
    account.name = "改名"
    account.save()
    assert entries(audit.CREDENTIALS_CHANGE).count() == 1


# The report.


def log_some_security_events(root):
    alice = make_user("alice")
    sign_in(Client(), "alice", PASSWORD, address="10.0.4.1")
    sign_in(Client(), "alice", WRONG, address="10.0.4.2")
    with LogContext(user=root):
        RoleAssignment.objects.create(user=alice, unit=make_unit(), role=Role.EDITOR)
    return alice


def test_security_log_lists_and_filters(client, root):
    """The security log lists security actions only, newest first, and filters
    them by action, user, name and address."""
    log_some_security_events(root)
    client.force_login(root)
    url = reverse("rongmei_security_log")

    response = client.get(url)
    assert response.status_code == 200
    listed = [entry.action for entry in response.context["object_list"]]
    assert set(listed) >= {audit.LOGIN, audit.LOGIN_FAILED, audit.ROLE_GRANT}
    assert all(action.startswith("rongmei.") for action in listed)
    html = response.content.decode()
    assert "10.0.4.2" in html

    response = client.get(url, {"action": audit.LOGIN_FAILED})
    assert [e.action for e in response.context["object_list"]] == [audit.LOGIN_FAILED]

    response = client.get(url, {"user": root.pk})
    by_root = response.context["object_list"]
    assert audit.ROLE_GRANT in {e.action for e in by_root}
    assert {e.user for e in by_root} == {root}

    response = client.get(url, {"ip_address": "10.0.4.1"})
    assert [e.action for e in response.context["object_list"]] == [audit.LOGIN]

    response = client.get(url, {"label": "nobody-at-all"})
    assert list(response.context["object_list"]) == []

    results = client.get(reverse("rongmei_security_log_results"))
    assert results.status_code == 200


def test_security_log_exports_csv(client, root):
    """The export is a CSV file with the action, details, name and address."""
    log_some_security_events(root)
    client.force_login(root)
    response = client.get(
        reverse("rongmei_security_log"),
        {"export": "csv", "action": audit.LOGIN_FAILED},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "security-log-" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 2
    heading, row = rows
    assert len(heading) == len(row) == 7
    assert "alice" in row and "10.0.4.2" in row
    assert row[0].endswith("+08:00")  # local time, as the admin shows it
    assert WRONG not in "".join(row)


def test_csv_export_keeps_formulas_as_text(client, root, axes_on):
    """A name typed as a spreadsheet formula is exported as text."""
    sign_in(Client(), "=HYPERLINK(1)", WRONG)
    client.force_login(root)
    response = client.get(reverse("rongmei_security_log"), {"export": "csv"})
    content = b"".join(response.streaming_content).decode()
    assert "'=HYPERLINK(1)" in content
    assert ",=HYPERLINK" not in content


def test_who_may_read_the_security_log(client):
    """The managing department's head and technical maintainer read the security
    log; an editor of the department, and a unit head elsewhere, do not."""
    department = make_managing_department()
    url = reverse("rongmei_security_log")
    for role in [Role.UNIT_HEAD, Role.MAINTAINER]:
        client.force_login(make_user(roles=[(department, role)]))
        assert client.get(url).status_code == 200, role

    client.force_login(make_user(roles=[(department, Role.EDITOR)]))
    assert client.get(url).status_code == 302
    client.force_login(make_user(roles=[(make_unit(), Role.UNIT_HEAD)]))
    assert client.get(url).status_code == 302


def test_reports_menu_offers_the_security_pages_to_superusers(client, root):
    """Superusers find the security log and the lockouts in the Reports menu;
    an editor finds neither."""
    client.force_login(root)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("rongmei_security_log") in html
    assert reverse("rongmei_security_lockouts") in html

    client.force_login(make_user(roles=[(make_unit(), Role.EDITOR)]))
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("rongmei_security_log") not in html
    assert reverse("rongmei_security_lockouts") not in html


def test_site_history_shows_security_entries_to_superusers(client, root):
    """Wagtail's own site history lists the security entries too."""
    log_some_security_events(root)
    client.force_login(root)
    response = client.get(reverse("wagtailadmin_reports:site_history"))
    assert response.status_code == 200
    listed = {entry.action for entry in response.context["object_list"]}
    assert {audit.LOGIN, audit.LOGIN_FAILED} <= listed


def _all_url_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _all_url_patterns(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def test_log_entries_cannot_be_edited_or_deleted_in_the_admin(client, root):
    """No URL edits or deletes a log entry: neither Wagtail's admin nor Django's
    admin site (which is not mounted) offers one, and the report takes no POST."""
    for route, pattern in _all_url_patterns():
        view = pattern.callback
        model = getattr(getattr(view, "view_class", None), "model", None)
        if isinstance(model, type) and issubclass(model, BaseLogEntry):
            assert not any(word in route for word in ["edit", "delete"]), route
        name = (pattern.name or "").lower()
        assert not ("log" in name and ("edit" in name or "delete" in name)), name
    with pytest.raises(NoReverseMatch):
        reverse("admin:index")
    assert not admin.site.is_registered(ModelLogEntry)

    log_some_security_events(root)
    client.force_login(root)
    count = ModelLogEntry.objects.count()
    response = client.post(reverse("rongmei_security_log"), {"action": "delete"})
    assert response.status_code == 405
    assert ModelLogEntry.objects.count() == count


def test_every_security_action_is_registered_once():
    """Each action has a label, and the filters list it once, however many apps
    register it."""
    choices = [action for action, _label in log_action_registry.get_choices()]
    for action in audit.ACTIONS:
        assert choices.count(action) == 1, action
        assert log_action_registry.get_action_label(action)


def test_record_refuses_other_actions(root):
    with pytest.raises(ValueError):
        audit.record("wagtail.edit", root)
