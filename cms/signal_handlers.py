"""Side effects of cms models, connected from ``CmsConfig.ready``."""

from django.db.models.signals import post_delete, post_migrate, post_save, pre_save

from .models import RoleAssignment, Unit


def provision_unit_on_save(sender, instance, raw=False, **kwargs):
    if raw:
        return
    from .roles import provision_unit

    provision_unit(instance)


def remember_previous_holder(sender, instance, raw=False, **kwargs):
    if raw or not instance.pk:
        return
    instance._previous_user_id = (
        sender.objects.filter(pk=instance.pk).values_list("user_id", flat=True).first()
    )


def sync_membership_on_change(sender, instance, raw=False, **kwargs):
    if raw:
        return
    from django.contrib.auth import get_user_model

    from .roles import sync_membership

    sync_membership(instance.user)
    previous = getattr(instance, "_previous_user_id", None)
    if previous and previous != instance.user_id:
        # The assignment was handed to another person: the first one leaves.
        sync_membership(get_user_model().objects.get(pk=previous))


def record_first_password(sender, instance, created, raw=False, **kwargs):
    """``create_user`` hashes the password without ``set_password``, so the
    history validator never hears of it: record it here."""
    if raw or not created or not instance.has_usable_password():
        return
    from .models import PasswordHistory

    if not PasswordHistory.objects.filter(user=instance).exists():
        PasswordHistory.objects.create(user=instance, encoded=instance.password)


def ensure_home_page(sender, app_config, using="default", **kwargs):
    # After the last app, when every content type and permission exists again
    # (a flush, as transactional tests do, sends post_migrate too).
    from django.apps import apps

    with_models = [c for c in apps.get_app_configs() if c.models_module is not None]
    if app_config is not with_models[-1]:
        return
    from .site import ensure_home_page as ensure

    ensure(using=using)


def enable_sqlite_wal(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL;")
            cursor.execute("PRAGMA synchronous=NORMAL;")


def register_signal_handlers():
    from django.contrib.auth import get_user_model
    from django.db.backends.signals import connection_created

    post_save.connect(provision_unit_on_save, sender=Unit, dispatch_uid="cms_unit")
    pre_save.connect(
        remember_previous_holder, sender=RoleAssignment, dispatch_uid="cms_ra_pre"
    )
    post_save.connect(
        sync_membership_on_change, sender=RoleAssignment, dispatch_uid="cms_ra_save"
    )
    post_delete.connect(
        sync_membership_on_change, sender=RoleAssignment, dispatch_uid="cms_ra_del"
    )
    post_save.connect(
        record_first_password,
        sender=get_user_model(),
        dispatch_uid="cms_first_password",
    )
    post_migrate.connect(ensure_home_page, dispatch_uid="cms_home_page")
    connection_created.connect(enable_sqlite_wal, dispatch_uid="cms_sqlite_wal")

    from .security.signal_handlers import register_security_signal_handlers

    register_security_signal_handlers()
