"""The permission matrix of docs/permissions.md, checked against the real admin.

``MATRIX`` below is the table of the document; ``test_document_shows_this_matrix``
fails when the two drift apart. Every cell is checked through the admin views a
person would use (HTTP) and through Wagtail's ``PagePermissionTester``.
"""

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.db import transaction
from django.urls import reverse
from wagtail.models import WorkflowState
from wagtail.test.utils.form_data import (
    inline_formset,
    nested_form_data,
    querydict_from_html,
    rich_text,
    streamfield,
)

from channels.models import Account
from cms.models import ReleasePage, Role, RoleAssignment, RoleGroup
from cms.roles import sync_membership
from tests.i18n import site_gettext
from tests.utils import (
    account_form_data,
    make_account,
    make_managing_department,
    make_release,
    make_unit,
    make_user,
)

ACTIONS = (
    "view_draft",
    "create",
    "edit",
    "submit",
    "publish",
    "delete",
    "manage_accounts",
)
Y, N = True, False

# fmt: off
#: docs/permissions.md, "The matrix". "own" is the unit the role is held in,
#: "other" any other unit. A role held in the managing department acts in every
#: unit as in "own". Columns in the order of ACTIONS.
MATRIX = {
    #                                view create edit submit publish delete accounts
    (Role.COLLECTOR, "own"):         (N,   Y,     N,   N,     N,      N,     N),
    (Role.COLLECTOR, "other"):       (N,   N,     N,   N,     N,      N,     N),
    (Role.EDITOR, "own"):            (Y,   Y,     Y,   Y,     N,      Y,     N),
    (Role.EDITOR, "other"):          (N,   N,     N,   N,     N,      N,     N),
    (Role.FIRST_REVIEWER, "own"):    (Y,   N,     Y,   Y,     N,      Y,     N),
    (Role.FIRST_REVIEWER, "other"):  (N,   N,     N,   N,     N,      N,     N),
    (Role.SECOND_REVIEWER, "own"):   (Y,   N,     Y,   Y,     N,      Y,     N),
    (Role.SECOND_REVIEWER, "other"): (N,   N,     N,   N,     N,      N,     N),
    (Role.FINAL_REVIEWER, "own"):    (Y,   N,     Y,   Y,     Y,      Y,     N),
    (Role.FINAL_REVIEWER, "other"):  (N,   N,     N,   N,     N,      N,     N),
    (Role.UNIT_HEAD, "own"):         (Y,   N,     Y,   Y,     N,      Y,     N),
    (Role.UNIT_HEAD, "other"):       (N,   N,     N,   N,     N,      N,     N),
    (Role.MAINTAINER, "own"):        (N,   N,     N,   N,     N,      N,     Y),
    (Role.MAINTAINER, "other"):      (N,   N,     N,   N,     N,      N,     N),
    (Role.ARCHIVIST, "own"):         (N,   N,     N,   N,     N,      N,     N),
    (Role.ARCHIVIST, "other"):       (N,   N,     N,   N,     N,      N,     N),
}
# fmt: on

#: Where the role is held, and the unit whose content and accounts are tried.
SCOPES = {
    "own": ("a", "a"),
    "other": ("a", "b"),
    "managing": ("managing", "b"),
}

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"


def expected(role, scope, action):
    row = MATRIX[(role, "other" if scope == "other" else "own")]
    return row[ACTIONS.index(action)]


# Fixtures ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Three units, one person per role in unit A and in the managing department,
    a draft and an account in units A and B. Built once, rolled back at the end;
    each test runs inside its own savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        managing = make_managing_department()
        units = {
            "managing": managing,
            "a": make_unit("教务处", "jwc"),
            "b": make_unit("后勤处", "hqc"),
        }
        people = {
            (role, where): make_user(f"{where}-{role}", roles=[(units[where], role)])
            for role in Role
            for where in ("a", "managing")
        }
        drafts, accounts, authors = {}, {}, {}
        for where in ("a", "b"):
            authors[where] = make_user(
                f"{where}-author", roles=[(units[where], Role.EDITOR)]
            )
            drafts[where] = make_release(units[where], user=authors[where])
            accounts[where] = make_account(units[where], name=f"{where}号")
            assert not drafts[where].live
        superuser = get_user_model().objects.create_superuser(
            "root", "root@example.cn", "x"
        )
        yield SimpleNamespace(
            units=units,
            people={key: user.pk for key, user in people.items()},
            authors=authors,
            drafts={where: page.pk for where, page in drafts.items()},
            accounts={where: account.pk for where, account in accounts.items()},
            superuser=superuser,
        )
        transaction.set_rollback(True)


@pytest.fixture
def db_world(world, db):
    """The world, inside the test's own transaction."""
    return world


def fresh_user(pk):
    # A fresh instance: Wagtail caches page permissions on the user object.
    return get_user_model().objects.get(pk=pk)


def admin_get(client, url):
    """Return True when the admin shows ``url``, False when it refuses it."""
    response = client.get(url)
    if response.status_code == 200:
        return True
    if response.status_code == 403 or (
        response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    ):
        return False
    pytest.fail("GET %s answered %s" % (url, response.status_code))


# One check per action: each returns {what was tried: whether it was allowed}.


def check_view_draft(world, client, user, where):
    url = reverse("wagtailadmin_pages:view_draft", args=[world.drafts[where]])
    return {"GET view_draft": admin_get(client, url)}


def check_create(world, client, user, where):
    section = world.units[where].section
    url = reverse("wagtailadmin_pages:add", args=("cms", "releasepage", section.pk))
    return {
        "GET add": admin_get(client, url),
        "can_add_subpage()": section.permissions_for_user(user).can_add_subpage(),
    }


def check_edit(world, client, user, where):
    draft = ReleasePage.objects.get(pk=world.drafts[where])
    assert draft.owner_id != user.pk
    url = reverse("wagtailadmin_pages:edit", args=[draft.pk])
    return {
        "can_edit()": draft.permissions_for_user(user).can_edit(),
        "GET edit": admin_get(client, url),
    }


def check_submit(world, client, user, where):
    draft = ReleasePage.objects.get(pk=world.drafts[where])
    # Wagtail's default "Moderators approval" workflow sits on the root page.
    assert draft.has_workflow and not draft.workflow_in_progress
    tester = draft.permissions_for_user(user)
    return {"can_submit_for_moderation()": tester.can_submit_for_moderation()}


def check_publish(world, client, user, where):
    draft = ReleasePage.objects.get(pk=world.drafts[where])
    return {"can_publish()": draft.permissions_for_user(user).can_publish()}


def check_delete(world, client, user, where):
    draft = ReleasePage.objects.get(pk=world.drafts[where])
    assert draft.owner_id != user.pk and not draft.live
    return {"can_delete()": draft.permissions_for_user(user).can_delete()}


def check_manage_accounts(world, client, user, where):
    account = Account.objects.get(pk=world.accounts[where])
    url = reverse("wagtailsnippets_channels_account:edit", args=[account.pk])
    shown = admin_get(client, url)
    response = client.post(url, account_form_data(account, name="改名后的账号"))
    renamed = Account.objects.get(pk=account.pk).name == "改名后的账号"
    if renamed:
        assert response.url == reverse("wagtailsnippets_channels_account:list")
    else:
        assert response.status_code == 302, response.context["form"].errors
        assert response.url == reverse("wagtailadmin_home")
    return {"GET edit": shown, "POST edit (rename)": renamed}


CHECKS = {
    "view_draft": check_view_draft,
    "create": check_create,
    "edit": check_edit,
    "submit": check_submit,
    "publish": check_publish,
    "delete": check_delete,
    "manage_accounts": check_manage_accounts,
}


# The matrix -------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", Role, ids=str)
def test_matrix(db_world, client, role, scope, action):
    """A role may do in its own unit, in another unit and (held in the managing
    department) in any unit exactly what the matrix says, and the admin views
    agree with the permission tester."""
    held_in, target = SCOPES[scope]
    user = fresh_user(db_world.people[(role, held_in)])
    client.force_login(user)
    observed = CHECKS[action](db_world, client, user, target)
    allowed = expected(role, scope, action)
    assert observed == dict.fromkeys(observed, allowed)


def test_document_shows_this_matrix():
    """docs/permissions.md shows the same matrix as this file."""
    text = DOCUMENT.read_text(encoding="utf-8")
    section = text.split("## The matrix", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        match = re.search(r"`(\w+)`", cells[0]) if line.startswith("|") else None
        if match is None:
            continue
        values = []
        for cell in cells[2:]:
            assert cell.startswith(("yes", "no")), line
            values.append(cell.startswith("yes"))
        rows[(Role(match.group(1)), cells[1])] = tuple(values)
    assert rows == MATRIX


# Around the matrix ------------------------------------------------------------


def test_roles_in_two_units_add_up(db_world):
    """A person who is an editor in one unit and final reviewer in another may
    create in the first and publish in the second, and nothing more."""
    unit_a, unit_b = db_world.units["a"], db_world.units["b"]
    user = make_user(roles=[(unit_a, Role.EDITOR), (unit_b, Role.FINAL_REVIEWER)])
    groups = set(user.groups.values_list("unit_role__unit", "unit_role__role"))
    assert groups == {
        (unit_a.pk, Role.EDITOR),
        (unit_b.pk, Role.FINAL_REVIEWER),
    }
    draft_a = ReleasePage.objects.get(pk=db_world.drafts["a"])
    draft_b = ReleasePage.objects.get(pk=db_world.drafts["b"])
    user = fresh_user(user.pk)
    assert unit_a.section.permissions_for_user(user).can_add_subpage()
    assert not unit_b.section.permissions_for_user(user).can_add_subpage()
    assert draft_a.permissions_for_user(user).can_edit()
    assert not draft_a.permissions_for_user(user).can_publish()
    assert draft_b.permissions_for_user(user).can_publish()


def test_managing_department_reaches_new_units(db_world, client):
    """A role in the managing department also acts in a unit created after it
    was granted."""
    editor = fresh_user(db_world.people[(Role.EDITOR, "managing")])
    maintainer = fresh_user(db_world.people[(Role.MAINTAINER, "managing")])
    unit = make_unit("新成立的中心", "xzx")
    account = make_account(unit)
    assert unit.section.permissions_for_user(editor).can_add_subpage()
    client.force_login(maintainer)
    url = reverse("wagtailsnippets_channels_account:edit", args=[account.pk])
    assert admin_get(client, url)


def test_roles_do_not_reach_child_units(db_world, client):
    """A role in an ordinary unit does not act in the units below it."""
    parent = db_world.units["a"]
    child = make_unit("教务处实验中心", "jwc-lab", parent=parent)
    account = make_account(child)
    editor = fresh_user(db_world.people[(Role.EDITOR, "a")])
    maintainer = fresh_user(db_world.people[(Role.MAINTAINER, "a")])
    assert not child.section.permissions_for_user(editor).can_add_subpage()
    client.force_login(maintainer)
    url = reverse("wagtailsnippets_channels_account:edit", args=[account.pk])
    assert not admin_get(client, url)


def test_editors_cannot_delete_published_releases(db_world):
    """Deleting a live release needs the publish permission: 终审员 may, an
    editor or a first reviewer may not."""
    unit = db_world.units["a"]
    release = make_release(unit, publish=True)
    assert release.live
    for role, allowed in [
        (Role.EDITOR, False),
        (Role.FIRST_REVIEWER, False),
        (Role.FINAL_REVIEWER, True),
    ]:
        user = fresh_user(db_world.people[(role, "a")])
        assert release.permissions_for_user(user).can_delete() is allowed, role


def test_collectors_may_edit_and_delete_their_own_drafts(db_world):
    """A collector edits and deletes the drafts they wrote, and still cannot
    submit them."""
    collector = fresh_user(db_world.people[(Role.COLLECTOR, "a")])
    draft = make_release(db_world.units["a"], user=collector)
    tester = draft.permissions_for_user(collector)
    assert tester.can_edit()
    assert tester.can_delete()
    assert not tester.can_submit_for_moderation()


def release_create_data(client, section, title, **extra):
    """GET the add form as ``client`` and fill it in like a browser."""
    url = reverse("wagtailadmin_pages:add", args=("cms", "releasepage", section.pk))
    response = client.get(url)
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="page-edit-form")
    data.update(
        nested_form_data(
            {
                "title": title,
                "slug": "new-release",
                "digest": "摘要",
                "body": streamfield([("paragraph", rich_text("<p>正文。</p>"))]),
                "targets": inline_formset([]),
            }
        )
    )
    data.update(extra)
    return url, data


@pytest.mark.parametrize(
    "role, starts_workflow", [(Role.COLLECTOR, False), (Role.EDITOR, True)]
)
def test_submitting_a_new_release(db_world, client, role, starts_workflow):
    """A collector who presses "submit" on a new release gets a saved draft and
    a message, not a workflow; an editor doing the same starts the workflow."""
    user = fresh_user(db_world.people[(role, "a")])
    client.force_login(user)
    section = db_world.units["a"].section
    url, data = release_create_data(
        client, section, "采集的稿件", **{"action-submit": "1"}
    )
    response = client.post(url, data)
    assert response.status_code == 302, (
        response.context["form"].errors,
        [f.errors for fs in response.context["form"].formsets.values() for f in fs],
    )
    release = ReleasePage.objects.get(title="采集的稿件")
    assert release.owner_id == user.pk
    assert not release.live
    assert release.get_latest_revision() is not None
    assert release.workflow_in_progress is starts_workflow
    assert WorkflowState.objects.for_instance(release).exists() is starts_workflow
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    warned = (
        site_gettext(
            "You may save drafts here but not submit them for review: "
            "the release was saved as a draft."
        )
        in notes
    )
    assert warned is not starts_workflow, notes


def test_removing_a_role_assignment_removes_the_group(db_world):
    """Deleting a role assignment takes the person out of the role's group, and
    with it the permissions."""
    unit = db_world.units["a"]
    user = fresh_user(db_world.people[(Role.EDITOR, "a")])
    group = RoleGroup.objects.get(unit=unit, role=Role.EDITOR).group
    assert user.groups.filter(pk=group.pk).exists()
    RoleAssignment.objects.get(user=user, unit=unit, role=Role.EDITOR).delete()
    assert not user.groups.filter(pk=group.pk).exists()
    user = fresh_user(user.pk)
    assert not unit.section.permissions_for_user(user).can_add_subpage()


def test_superuser_grants_a_role_in_the_admin(db_world, client):
    """The role assignment screen grants a role over HTTP; the person then
    belongs to the role's group and has its permissions."""
    unit = db_world.units["b"]
    user = make_user("new-editor")
    assert not unit.section.permissions_for_user(user).can_add_subpage()
    client.force_login(db_world.superuser)
    add_url = reverse("wagtailsnippets_cms_roleassignment:add")
    assert client.get(add_url).status_code == 200
    response = client.post(
        add_url, {"user": user.pk, "unit": unit.pk, "role": Role.EDITOR}
    )
    assert response.status_code == 302, response.context["form"].errors
    assert RoleAssignment.objects.filter(
        user=user, unit=unit, role=Role.EDITOR
    ).exists()
    group = RoleGroup.objects.get(unit=unit, role=Role.EDITOR).group
    assert user.groups.filter(pk=group.pk).exists()
    user = fresh_user(user.pk)
    assert unit.section.permissions_for_user(user).can_add_subpage()


def test_moving_a_role_assignment_to_another_person(db_world, client):
    """Editing a role assignment to name another person moves the group
    membership with it: the first person loses the role's permissions."""
    unit = db_world.units["a"]
    before = fresh_user(db_world.people[(Role.EDITOR, "a")])
    after = make_user("successor")
    assignment = RoleAssignment.objects.get(user=before, unit=unit, role=Role.EDITOR)
    group = RoleGroup.objects.get(unit=unit, role=Role.EDITOR).group
    client.force_login(db_world.superuser)
    url = reverse("wagtailsnippets_cms_roleassignment:edit", args=[assignment.pk])
    response = client.post(
        url, {"user": after.pk, "unit": unit.pk, "role": Role.EDITOR}
    )
    assert response.status_code == 302, response.context["form"].errors
    assert after.groups.filter(pk=group.pk).exists()
    assert not before.groups.filter(pk=group.pk).exists()


@pytest.mark.parametrize(
    "roles, offered",
    [
        ([("a", Role.MAINTAINER)], {"a"}),
        ([("a", Role.MAINTAINER), ("b", Role.EDITOR)], {"a"}),
        ([("managing", Role.MAINTAINER)], {"managing", "a", "b"}),
    ],
    ids=["unit-maintainer", "maintainer-and-editor-elsewhere", "managing-maintainer"],
)
def test_account_add_view_offers_only_managed_units(db_world, client, roles, offered):
    """The new-account form offers exactly the units whose accounts the person
    may manage."""
    units = db_world.units
    user = make_user(roles=[(units[where], role) for where, role in roles])
    client.force_login(user)
    response = client.get(reverse("wagtailsnippets_channels_account:add"))
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    choices = {
        option["value"]
        for option in soup.select('select[name="unit"] option')
        if option["value"]
    }
    assert choices == {str(units[where].pk) for where in offered}


def test_account_add_view_refuses_non_maintainers(db_world, client):
    """Only technical maintainers may open new accounts."""
    client.force_login(fresh_user(db_world.people[(Role.EDITOR, "a")]))
    assert not admin_get(client, reverse("wagtailsnippets_channels_account:add"))


def test_sync_membership_leaves_other_groups_alone(db_world):
    """Groups that are not role groups (Wagtail's Moderators, say) survive a
    resynchronisation."""
    user = fresh_user(db_world.people[(Role.EDITOR, "a")])
    moderators = Group.objects.get(name="Moderators")
    user.groups.add(moderators)
    sync_membership(user)
    assert user.groups.filter(pk=moderators.pk).exists()
    assert user.groups.filter(unit_role__isnull=False).count() == 1
