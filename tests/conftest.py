import os

import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Each test writes uploaded files to its own folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


def pytest_report_header(config):
    from django.conf import settings

    return "database: %s" % settings.DATABASES["default"]["ENGINE"]


os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _database_after_serialized_rollback(request):
    """Give a transactional test the database ``migrate`` leaves.

    After a test with ``serialized_rollback`` (the browser journeys), Django
    flushes without sending ``post_migrate``, leaving the next transactional
    test without the page tree, the review workflow and the schedules. Send it
    then, as a plain flush would have.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    if marker.kwargs.get("serialized_rollback"):
        return
    request.getfixturevalue("transactional_db")
    from django.core.management.sql import emit_post_migrate_signal
    from wagtail.models import Page

    if not Page.objects.exists():
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
