import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from wagtail.models import Collection, GroupPagePermission

from cms.models import ReleasePage, Role, Unit, UnitIndexPage
from tests.utils import make_managing_department, make_release, make_unit, make_user

pytestmark = pytest.mark.django_db


def test_creating_a_unit_creates_its_section_and_role_groups():
    """A new unit gets a section page under the home page, a collection and one
    group per role with page permissions on that section only."""
    unit = make_unit("教务处", "jwc")
    section = UnitIndexPage.objects.get(unit=unit)
    assert section.get_parent().specific_class.__name__ == "HomePage"
    assert Collection.objects.filter(name="教务处").exists()
    assert unit.role_groups.count() == len(Role)
    editor_group = unit.role_groups.get(role=Role.EDITOR).group
    perms = GroupPagePermission.objects.filter(group=editor_group)
    assert {p.page_id for p in perms} == {section.pk}
    assert {p.permission.codename for p in perms} == {"add_page", "change_page"}


def test_managing_department_roles_reach_every_unit():
    """The managing department's groups hold their permissions on the home page."""
    xcb = make_managing_department()
    group = xcb.role_groups.get(role=Role.EDITOR).group
    page_ids = set(
        GroupPagePermission.objects.filter(group=group).values_list("page", flat=True)
    )
    assert page_ids == {xcb.section.get_parent().pk}


def test_only_one_managing_department():
    """A second managing department is refused."""
    make_managing_department()
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(name="信息中心", code="xxzx", kind=Unit.Kind.MANAGING)


def test_managing_department_cannot_be_deactivated_or_change_kind():
    """There must always be exactly one managing department."""
    xcb = make_managing_department()
    xcb.is_active = False
    xcb.kind = Unit.Kind.SECONDARY
    with pytest.raises(ValidationError) as excinfo:
        xcb.full_clean()
    assert {"kind", "is_active"} <= set(excinfo.value.message_dict)


def test_unit_cannot_be_its_own_ancestor():
    """A loop in the unit tree is refused on the parent field."""
    parent = make_unit()
    child = make_unit(parent=parent)
    assert child.get_ancestors() == [parent]
    parent.parent = child
    with pytest.raises(ValidationError) as excinfo:
        parent.full_clean()
    assert "parent" in excinfo.value.message_dict


def test_deactivating_a_unit_keeps_content_but_stops_new_releases():
    """An inactive unit keeps its releases; nobody can create new ones there."""
    unit = make_unit()
    release = make_release(unit, publish=True)
    unit.is_active = False
    unit.save()
    assert ReleasePage.objects.filter(pk=release.pk, live=True).exists()
    assert not ReleasePage.can_create_at(unit.section)


def test_group_names_are_stable_and_renaming_the_unit_renames_the_section():
    unit = make_unit("旧名", "old")
    groups = set(
        Group.objects.filter(unit_role__unit=unit).values_list("name", flat=True)
    )
    unit.name = "新名"
    unit.save()
    unit.section.refresh_from_db()
    assert unit.section.title == "新名"
    assert (
        set(Group.objects.filter(unit_role__unit=unit).values_list("name", flat=True))
        == groups
    )


def test_unit_admin_creates_unit_with_section(client):
    """Creating a unit through the admin provisions it like any other."""
    admin = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    url = reverse("wagtailsnippets_cms_unit:add")
    response = client.post(
        url,
        {"name": "图书馆", "code": "lib", "kind": "direct", "is_active": "on",
         "contact_phone": "", "contact_email": "", "parent": "", "head": ""},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    assert UnitIndexPage.objects.filter(unit__code="lib").exists()


def test_unit_admin_error_names_the_field_and_keeps_input(client):
    """A bad short code is refused on its field, and what was typed stays."""
    admin = make_user("root2", is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.post(
        reverse("wagtailsnippets_cms_unit:add"),
        {"name": "后勤处", "code": "Bad Code!", "kind": "secondary", "is_active": "on"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "后勤处" in html
    assert "Bad Code!" in html
    assert response.context["form"].errors["code"]


def test_section_is_fixed_structure_for_unit_roles():
    """Holders of change and publish on a section add releases to it but cannot
    edit, delete or move the section itself."""
    from cms.models import Role

    unit = make_unit()
    final = make_user(roles=[(unit, Role.FINAL_REVIEWER)])
    editor = make_user(roles=[(unit, Role.EDITOR)])
    perms = unit.section.permissions_for_user(final)
    assert not perms.can_edit()
    assert not perms.can_delete()
    assert not perms.can_move()
    assert not perms.can_unpublish()
    assert unit.section.permissions_for_user(editor).can_add_subpage()


def test_renaming_a_unit_keeps_its_media_collection():
    """The unit's collection is renamed with it, so its people keep their media."""
    unit = make_unit("图书馆", "lib")
    collection = unit.collection
    unit.name = "图书馆总馆"
    unit.save()
    unit.refresh_from_db()
    assert unit.collection == collection
    collection.refresh_from_db()
    assert collection.name == "图书馆总馆"
    assert Collection.objects.filter(name="图书馆").count() == 0


def test_collectors_can_open_the_image_library_of_their_unit(client):
    """Image permissions are given where Wagtail checks them (wagtailimages)."""
    from cms.models import Role
    from tests.utils import make_image

    unit = make_unit()
    collector = make_user(roles=[(unit, Role.COLLECTOR)])
    make_image(title="本单位图片", collection=unit.collection)
    client.force_login(collector)
    response = client.get(reverse("wagtailimages:index"))
    assert response.status_code == 200
    assert "本单位图片" in response.content.decode()
    assert client.get(reverse("wagtailimages:add")).status_code == 200
