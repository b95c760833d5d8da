"""Accounts: credentials kept encrypted and write-only, and each unit seeing and
managing only its own accounts (docs/permissions.md)."""

import json

import pytest
from bs4 import BeautifulSoup
from cryptography.fernet import Fernet
from django.conf import settings
from django.db import connection
from django.urls import reverse
from wagtail.test.utils.form_data import (
    inline_formset,
    nested_form_data,
    querydict_from_html,
    rich_text,
    streamfield,
)

from channels.models import Account, ReleaseTarget
from cms.models import ReleasePage, Role
from tests.utils import (
    account_form_data,
    make_account,
    make_managing_department,
    make_release,
    make_unit,
    make_user,
)

pytestmark = pytest.mark.django_db

SECRET = "stored-token-5f2c9a"


@pytest.fixture
def unit_a():
    return make_unit("教务处", "jwc")


@pytest.fixture
def unit_b():
    return make_unit("后勤处", "hqc")


@pytest.fixture
def account(unit_a):
    return make_account(
        unit_a,
        name="教务处微博",
        credentials={"access_token": SECRET},
        platform_account_id="jwc-weibo",
        purpose="教学通知",
    )


@pytest.fixture
def maintainer(unit_a):
    return make_user("jwc-maintainer", roles=[(unit_a, Role.MAINTAINER)])


def edit_url(account):
    return reverse("wagtailsnippets_channels_account:edit", args=[account.pk])


def filing(account):
    """Everything about an account except its credentials and timestamps."""
    account = Account.objects.get(pk=account.pk)
    fields = {
        field.name: getattr(account, field.attname)
        for field in Account._meta.concrete_fields
        if field.name not in {"credentials", "credentials_changed_at", "updated_at"}
    }
    fields["administrators"] = list(
        account.administrators.values_list("name", "phone", "email")
    )
    fields["publishing_units"] = sorted(
        account.publishing_units.values_list("pk", flat=True)
    )
    return fields


def is_refused(response):
    return response.status_code == 403 or (
        response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    )


# Credentials at rest ----------------------------------------------------------


def test_credentials_are_encrypted_at_rest(account):
    """The database column holds a Fernet token, never the secret or its name;
    get_credentials() gives back what was set."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT credentials FROM channels_account WHERE id = %s", [account.pk]
        )
        (stored,) = cursor.fetchone()
    assert stored
    assert SECRET not in stored
    assert "access_token" not in stored
    key = settings.RONGMEI_CREDENTIALS_KEY.split(",")[0]
    assert json.loads(Fernet(key).decrypt(stored.encode())) == {"access_token": SECRET}
    assert Account.objects.get(pk=account.pk).get_credentials() == {
        "access_token": SECRET
    }
    assert SECRET not in repr(account)


def test_encrypting_twice_gives_different_tokens(account):
    """The same credentials encrypt to a new token each time, so equal secrets
    cannot be spotted by comparing columns."""
    before = account.credentials
    account.set_credentials(access_token=SECRET)
    assert account.credentials != before
    assert account.get_credentials() == {"access_token": SECRET}


def test_set_credentials_refuses_unknown_names(account):
    """Names the platform does not use are refused with a message that names
    them and the expected ones; the stored credentials stay as they were."""
    before = account.credentials
    with pytest.raises(ValueError) as excinfo:
        account.set_credentials(access_token="x", app_secret="y")
    message = str(excinfo.value)
    assert "app_secret" in message
    assert "weibo" in message
    assert "access_token" in message  # what is expected
    assert account.credentials == before


# The account form -------------------------------------------------------------


def test_edit_form_never_shows_stored_credentials(client, account, maintainer):
    """The edit page and the list show that credentials are set, never what
    they are."""
    client.force_login(maintainer)
    response = client.get(edit_url(account))
    assert response.status_code == 200
    html = response.content.decode()
    assert SECRET not in html
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one('textarea[name="new_credentials"]').get_text().strip() == ""
    listing = client.get(reverse("wagtailsnippets_channels_account:list"))
    assert account.name in listing.content.decode()
    assert SECRET not in listing.content.decode()


def test_typed_credentials_are_not_echoed_on_error(client, account, maintainer):
    """When the form comes back with an error elsewhere, the credentials just
    typed are not in the page, and nothing is saved."""
    client.force_login(maintainer)
    typed = "access_token=typed-secret-77d1"
    response = client.post(
        edit_url(account),
        account_form_data(account, leader_name="", new_credentials=typed),
    )
    assert response.status_code == 200
    assert "leader_name" in response.context["form"].errors
    html = response.content.decode()
    assert "typed-secret-77d1" not in html
    assert SECRET not in html
    assert Account.objects.get(pk=account.pk).get_credentials() == {
        "access_token": SECRET
    }


def test_unknown_credential_names_are_a_form_error(client, account, maintainer):
    """A name the platform does not use is a field error naming what is
    expected, and the typed value is not echoed."""
    client.force_login(maintainer)
    response = client.post(
        edit_url(account),
        account_form_data(account, new_credentials="app_secret=typed-9c1e"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["new_credentials"]
    assert "app_secret" in errors[0] and "access_token" in errors[0]
    assert "typed-9c1e" not in response.content.decode()


def test_new_credentials_replace_the_old_and_keep_the_filing(
    client, account, maintainer
):
    """Typing access_token=NEW changes the credentials and nothing else."""
    before = filing(account)
    client.force_login(maintainer)
    response = client.post(
        edit_url(account),
        account_form_data(account, new_credentials="access_token=NEW"),
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.get_credentials() == {"access_token": "NEW"}
    assert account.credentials_changed_at is not None
    assert filing(account) == before


def test_blank_credentials_keep_the_stored_ones(client, account, maintainer):
    """Leaving the credentials blank keeps what is stored, untouched."""
    token, changed_at = account.credentials, account.credentials_changed_at
    client.force_login(maintainer)
    response = client.post(
        edit_url(account), account_form_data(account, purpose="新的用途说明")
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.purpose == "新的用途说明"
    assert account.credentials == token
    assert account.credentials_changed_at == changed_at


def test_new_credentials_merge_by_name(client, unit_a, maintainer):
    """Setting one credential of several keeps the others."""
    account = make_account(
        unit_a, platform="wechat_oa", credentials={"app_id": "wx1", "app_secret": "s1"}
    )
    client.force_login(maintainer)
    response = client.post(
        edit_url(account), account_form_data(account, new_credentials="app_secret=s2")
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.get_credentials() == {"app_id": "wx1", "app_secret": "s2"}


# Each unit its own accounts ---------------------------------------------------


def listed_names(client):
    response = client.get(reverse("wagtailsnippets_channels_account:list"))
    assert response.status_code == 200
    return {account.name for account in response.context["object_list"]}


def test_list_shows_only_the_accounts_of_ones_units(client, unit_a, unit_b):
    """The account list shows the accounts of the units one holds a role in; a
    role in the managing department shows them all."""
    managing = make_managing_department()
    make_account(unit_a, name="教务处微博")
    make_account(unit_b, name="后勤处微博")
    make_account(managing, name="宣传部微博")

    client.force_login(make_user(roles=[(unit_a, Role.MAINTAINER)]))
    assert listed_names(client) == {"教务处微博"}
    client.force_login(make_user(roles=[(unit_a, Role.EDITOR)]))
    assert listed_names(client) == {"教务处微博"}
    client.force_login(
        make_user(roles=[(unit_a, Role.ARCHIVIST), (unit_b, Role.COLLECTOR)])
    )
    assert listed_names(client) == {"教务处微博", "后勤处微博"}
    client.force_login(make_user(roles=[(managing, Role.ARCHIVIST)]))
    assert listed_names(client) == {"教务处微博", "后勤处微博", "宣传部微博"}


@pytest.mark.parametrize("view", ["edit", "delete", "history", "usage", "copy"])
def test_maintainer_cannot_open_another_units_account(client, unit_b, maintainer, view):
    """A maintainer of one unit is refused every page of another unit's
    account."""
    other = make_account(unit_b, name="后勤处微博", credentials={"access_token": "b"})
    client.force_login(maintainer)
    url = reverse(f"wagtailsnippets_channels_account:{view}", args=[other.pk])
    assert is_refused(client.get(url))


def test_maintainer_cannot_change_another_units_account(client, unit_b, maintainer):
    """Posting the edit form of another unit's account changes nothing."""
    other = make_account(unit_b, name="后勤处微博", credentials={"access_token": "b"})
    client.force_login(maintainer)
    response = client.post(
        edit_url(other),
        account_form_data(other, name="被改名", new_credentials="access_token=x"),
    )
    assert is_refused(response)
    other.refresh_from_db()
    assert other.name == "后勤处微博"
    assert other.get_credentials() == {"access_token": "b"}


def test_maintainer_cannot_move_an_account_to_another_unit(
    client, account, unit_b, maintainer
):
    """The unit field offers only one's own units, so an account cannot be
    handed to a unit one does not manage."""
    client.force_login(maintainer)
    response = client.post(
        edit_url(account), account_form_data(account, unit=unit_b.pk)
    )
    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    assert Account.objects.get(pk=account.pk).unit_id == account.unit_id


# Target accounts of a release -------------------------------------------------


@pytest.fixture
def accounts_around(unit_a, unit_b):
    """Accounts unit A may and may not publish to."""
    shared = make_account(unit_b, name="后勤处抖音", platform="douyin")
    shared.publishing_units.add(unit_a)
    return {
        "own running": make_account(unit_a, name="教务处微博"),
        "shared with A": shared,
        "own dormant": make_account(
            unit_a, name="教务处旧号", status=Account.Status.DORMANT
        ),
        "own applying": make_account(
            unit_a, name="教务处新号", status=Account.Status.APPLYING
        ),
        "other unit": make_account(unit_b, name="后勤处微博"),
    }


@pytest.fixture
def editor(unit_a):
    return make_user("jwc-editor", roles=[(unit_a, Role.EDITOR)])


def offered_accounts(html):
    """The account ids offered by every target form, the empty one included."""
    soup = BeautifulSoup(html, "html.parser")
    selects = [
        select
        for select in soup.find_all("select")
        if select.get("name", "").startswith("targets-")
        and select["name"].endswith("-account")
    ]
    assert selects
    return [
        {option["value"] for option in select.find_all("option") if option["value"]}
        for select in selects
    ]


def test_release_editor_offers_only_publishable_accounts(
    client, unit_a, editor, accounts_around
):
    """The target account choices of a release are exactly the accounts its
    unit may publish to (running, its own or opened to it)."""
    release = make_release(unit_a, user=editor)
    client.force_login(editor)
    response = client.get(reverse("wagtailadmin_pages:edit", args=[release.pk]))
    assert response.status_code == 200
    allowed = {
        str(pk)
        for pk in Account.objects.publishable_by(unit_a).values_list("pk", flat=True)
    }
    assert allowed == {
        str(accounts_around["own running"].pk),
        str(accounts_around["shared with A"].pk),
    }
    for offered in offered_accounts(response.content.decode()):
        assert offered == allowed


def test_release_editor_keeps_a_target_that_is_no_longer_publishable(
    client, unit_a, editor, accounts_around
):
    """An account the release already targets stays on offer after it stops
    running, so the release can still be edited."""
    release = make_release(unit_a, user=editor)
    dormant = accounts_around["own dormant"]
    ReleaseTarget.objects.create(release=release, account=dormant)
    ReleasePage.objects.get(pk=release.pk).save_revision(user=editor)
    client.force_login(editor)
    response = client.get(reverse("wagtailadmin_pages:edit", args=[release.pk]))
    offered = offered_accounts(response.content.decode())
    assert len(offered) == 2  # the existing target and the empty form
    for choices in offered:
        assert str(dormant.pk) in choices
        assert str(accounts_around["other unit"].pk) not in choices


def release_edit_data(client, release, title, account):
    response = client.get(reverse("wagtailadmin_pages:edit", args=[release.pk]))
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="page-edit-form")
    data.update(
        nested_form_data(
            {
                "title": title,
                "body": streamfield([("paragraph", rich_text("<p>正文。</p>"))]),
                "targets": inline_formset([{"account": account.pk}]),
            }
        )
    )
    return data


def test_release_refuses_an_account_its_unit_may_not_use(
    client, unit_a, editor, accounts_around
):
    """Posting another unit's account as a target is a field error; the title
    just typed is kept in the form, and nothing is saved."""
    release = make_release(unit_a, user=editor, title="原标题")
    revisions = release.revisions.count()
    client.force_login(editor)
    url = reverse("wagtailadmin_pages:edit", args=[release.pk])
    data = release_edit_data(
        client, release, "刚输入的新标题", accounts_around["other unit"]
    )
    response = client.post(url, data)
    assert response.status_code == 200
    target_form = response.context["form"].formsets["targets"].forms[0]
    assert "account" in target_form.errors
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.select_one('input[name="title"]')["value"] == "刚输入的新标题"
    assert release.revisions.count() == revisions
    assert not ReleaseTarget.objects.filter(release=release).exists()


def test_release_accepts_an_account_opened_to_its_unit(
    client, unit_a, editor, accounts_around
):
    """An account of another unit that is opened to this unit can be targeted."""
    release = make_release(unit_a, user=editor)
    client.force_login(editor)
    url = reverse("wagtailadmin_pages:edit", args=[release.pk])
    shared = accounts_around["shared with A"]
    response = client.post(url, release_edit_data(client, release, "新标题", shared))
    assert response.status_code == 302
    draft = ReleasePage.objects.get(pk=release.pk).get_latest_revision_as_object()
    assert draft.title == "新标题"
    assert [target.account_id for target in draft.targets.all()] == [shared.pk]


def test_account_chooser_lists_only_visible_accounts(client):
    """The account chooser modal shows the accounts of the user's units only, and
    refuses to hand out another unit's account."""
    from django.urls import reverse

    from cms.models import Role
    from tests.utils import make_account, make_unit, make_user

    mine, theirs = make_unit(), make_unit()
    own = make_account(mine, name="本单位微博")
    other = make_account(theirs, name="别人的微博")
    client.force_login(make_user(roles=[(mine, Role.EDITOR)]))
    response = client.get(reverse("wagtailsnippetchoosers_channels_account:choose"))
    html = response.json()["html"]
    assert "本单位微博" in html
    assert "别人的微博" not in html
    chosen = "wagtailsnippetchoosers_channels_account:chosen"
    assert client.get(reverse(chosen, args=[own.pk])).status_code == 200
    assert client.get(reverse(chosen, args=[other.pk])).status_code in (302, 403)


def test_publishing_schedule_is_edited_as_text(client, account, maintainer):
    """Windows and blackout dates typed as text are stored as the engine reads
    them, with caps and spacing beside them."""
    client.force_login(maintainer)
    response = client.post(
        edit_url(account),
        account_form_data(
            account,
            windows_text="08:00-10:00，18:30至21:00",
            blackout_text="2026-10-01 2026-10-02",
            daily_cap="3",
            min_spacing_minutes="60",
        ),
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.publishing_windows == [["08:00", "10:00"], ["18:30", "21:00"]]
    assert account.blackout_dates == ["2026-10-01", "2026-10-02"]
    assert (account.daily_cap, account.min_spacing_minutes) == (3, 60)
    form = client.get(edit_url(account)).context["form"]
    assert form.initial["windows_text"] == "08:00-10:00, 18:30-21:00"


def test_malformed_window_is_a_field_error_keeping_the_text(
    client, account, maintainer
):
    """A window that ends before it starts is refused with the window named,
    and what was typed stays in the form."""
    client.force_login(maintainer)
    response = client.post(
        edit_url(account), account_form_data(account, windows_text="09:00-07:00")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["windows_text"]
    assert "09:00-07:00" in response.content.decode()
    account.refresh_from_db()
    assert account.publishing_windows == []
