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
