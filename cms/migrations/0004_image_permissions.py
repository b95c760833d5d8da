"""Role groups were given image permissions on cms.CreditedImage, but Wagtail
checks them on wagtailimages.Image: move them there."""

from django.db import migrations

MOVES = {
    "add_creditedimage": "add_image",
    "change_creditedimage": "change_image",
    "choose_creditedimage": "choose_image",
}


def move(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    GroupCollectionPermission = apps.get_model(
        "wagtailcore", "GroupCollectionPermission"
    )
    for old, new in MOVES.items():
        target = Permission.objects.filter(
            content_type__app_label="wagtailimages", codename=new
        ).first()
        if target is None:
            continue
        for row in GroupCollectionPermission.objects.filter(
            permission__content_type__app_label="cms", permission__codename=old
        ):
            GroupCollectionPermission.objects.get_or_create(
                group_id=row.group_id,
                collection_id=row.collection_id,
                permission=target,
            )
            row.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0003_unit_collection"),
        ("wagtailimages", "0027_image_description"),
    ]

    operations = [migrations.RunPython(move, migrations.RunPython.noop)]
