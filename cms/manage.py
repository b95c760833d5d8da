"""The ``rongmei`` console script: ``manage.py`` for an installed project."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.production")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
