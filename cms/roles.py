"""Local roles: what each role may do, and the groups that carry it per unit.

A unit's role groups hold page permissions on the unit's section and collection
permissions on the unit's collection, the way Plone gives local roles. The managing
department's groups hold the same permissions on the home page and the root
collection, so they reach every unit. docs/permissions.md is the matrix in words;
tests/cms/test_permissions.py holds the code to it.
"""

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission

from .models import HomePage, Role, RoleAssignment, RoleGroup, Unit, UnitIndexPage

#: Page permissions (Wagtail's page permission types) per role.
ROLE_PAGE_PERMISSIONS = {
    Role.COLLECTOR: ["add"],
    Role.EDITOR: ["add", "change"],
    Role.FIRST_REVIEWER: ["change"],
    Role.SECOND_REVIEWER: ["change"],
    Role.FINAL_REVIEWER: ["change", "publish"],
    Role.UNIT_HEAD: ["change"],
    Role.MAINTAINER: [],
    # Archivists read what is published on the public site, in the API and in the
    # archive; the page explorer has no read-only permission to give them.
    Role.ARCHIVIST: [],
}

# Wagtail checks image permissions against wagtailimages.Image, whatever the
# image model (wagtail.images.get_permission_policy).
_MEDIA_WRITE = [
    ("wagtailimages", "add_image"),
    ("wagtailimages", "change_image"),
    ("wagtailimages", "choose_image"),
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "change_document"),
    ("wagtaildocs", "choose_document"),
    ("wagtailmedia", "add_media"),
    ("wagtailmedia", "change_media"),
]
_MEDIA_CHOOSE = [
    ("wagtailimages", "choose_image"),
    ("wagtaildocs", "choose_document"),
]

#: Collection permissions (images, documents, video) per role.
ROLE_COLLECTION_PERMISSIONS = {
    Role.COLLECTOR: _MEDIA_WRITE,
    Role.EDITOR: _MEDIA_WRITE,
    Role.FIRST_REVIEWER: _MEDIA_WRITE,
    Role.SECOND_REVIEWER: _MEDIA_WRITE,
    Role.FINAL_REVIEWER: _MEDIA_WRITE,
    Role.UNIT_HEAD: _MEDIA_CHOOSE,
    Role.MAINTAINER: [],
    Role.ARCHIVIST: _MEDIA_CHOOSE,
}

#: Roles that manage a unit's accounts and their credentials.
ACCOUNT_MANAGER_ROLES = {Role.MAINTAINER}

#: Model permissions every role group holds (admin access, at least).
ROLE_MODEL_PERMISSIONS = {role: [("wagtailadmin", "access_admin")] for role in Role}


def group_name(unit, role):
    # Group names are stored, so they are written in the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        return "%s · %s" % (unit.code, str(Role(role).label))


def _permission(app_label, codename):
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _page_permission(codename):
    return Permission.objects.get(
        content_type__app_label="wagtailcore", codename=f"{codename}_page"
    )


def ensure_section(unit):
    """Return the unit's section page, creating it under the home page if needed."""
    section = UnitIndexPage.objects.filter(unit=unit).first()
    if section is not None:
        if section.title != unit.name:
            section.title = unit.name
            section.draft_title = unit.name
            section.save(update_fields=["title", "draft_title"])
        return section
    home = HomePage.objects.first()
    if home is None:
        raise RuntimeError("The home page is missing; run migrate first.")
    section = UnitIndexPage(title=unit.name, slug=unit.code, unit=unit)
    home.add_child(instance=section)
    section.save_revision().publish()
    return section


def ensure_collection(unit):
    """Return the unit's media collection, creating or renaming it as needed."""
    collection = unit.collection
    if collection is None:
        root = Collection.get_first_root_node()
        collection = root.get_children().filter(name=unit.name).first()
        if collection is None:
            collection = root.add_child(name=unit.name)
        Unit.objects.filter(pk=unit.pk).update(collection=collection)
        unit.collection = collection
    elif collection.name != unit.name:
        collection.name = unit.name
        collection.save(update_fields=["name"])
    return collection


@transaction.atomic
def provision_unit(unit):
    """Create or repair a unit's section, collection and role groups. Idempotent."""
    section = ensure_section(unit)
    if unit.is_managing_department:
        page_scope = HomePage.objects.first()
        collection_scope = Collection.get_first_root_node()
    else:
        page_scope = section
        collection_scope = ensure_collection(unit)

    for role in Role:
        role_group = RoleGroup.objects.filter(unit=unit, role=role).first()
        if role_group is None:
            group, _created = Group.objects.get_or_create(name=group_name(unit, role))
            role_group = RoleGroup.objects.create(unit=unit, role=role, group=group)
        group = role_group.group
        group.permissions.set(
            [_permission(app, code) for app, code in ROLE_MODEL_PERMISSIONS[role]]
        )
        GroupPagePermission.objects.filter(group=group).delete()
        for codename in ROLE_PAGE_PERMISSIONS[role]:
            GroupPagePermission.objects.create(
                group=group, page=page_scope, permission=_page_permission(codename)
            )
        GroupCollectionPermission.objects.filter(group=group).delete()
        for app, codename in ROLE_COLLECTION_PERMISSIONS[role]:
            GroupCollectionPermission.objects.create(
                group=group,
                collection=collection_scope,
                permission=_permission(app, codename),
            )
    return section


def sync_membership(user):
    """Make the user's role groups match their role assignments."""
    pairs = set(RoleAssignment.objects.filter(user=user).values_list("unit_id", "role"))
    wanted = {
        role_group.group_id
        for role_group in RoleGroup.objects.filter(unit_id__in={u for u, _ in pairs})
        if (role_group.unit_id, role_group.role) in pairs
    }
    current = set(
        user.groups.filter(unit_role__isnull=False).values_list("id", flat=True)
    )
    if wanted - current:
        user.groups.add(*(wanted - current))
    if current - wanted:
        user.groups.remove(*(current - wanted))


def units_where(user, roles):
    """Return the units in which ``user`` holds any of ``roles``.

    A role held in the managing department reaches every unit.
    """
    if not user.is_authenticated:
        return Unit.objects.none()
    if user.is_superuser:
        return Unit.objects.all()
    held = RoleAssignment.objects.filter(user=user, role__in=list(roles))
    if held.filter(unit__kind=Unit.Kind.MANAGING).exists():
        return Unit.objects.all()
    return Unit.objects.filter(id__in=held.values("unit_id"))


def user_roles(user, unit):
    """Return the roles ``user`` holds that act in ``unit``."""
    if not user.is_authenticated:
        return set()
    return set(
        RoleAssignment.objects.filter(user=user)
        .filter(Q(unit=unit) | Q(unit__kind=Unit.Kind.MANAGING))
        .values_list("role", flat=True)
    )
