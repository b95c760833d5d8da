"""Check one release given as JSON and print the findings.

    python manage.py check_release release.json
    python manage.py check_release - < release.json

The JSON object: ``{"title", "subtitle", "digest", "author", "body_html",
"origin": "original"|"reprint", "source_name", "source_url", "original_title",
"original_author", "targets": ["wechat_oa", "weibo", …], "images": [{"credit",
"is_map", "map_approval_no", "caption"}], "has_video", "url"}``; only ``title`` is
required. Prints a JSON list of findings. Exit status: 0 when nothing blocks, 1
when a finding blocks, 2 when the input cannot be read (with a message on
standard error), 3 when the lexicon cannot be loaded from the database (run
``migrate``, or pass ``--default-lexicon``).
"""

import json
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import translation

from moderation.checks import DocumentError, ReleaseDocument, run_checks
from moderation.checks.lexicon import default_lexicon, load_lexicon

EXIT_BLOCKED = 1
EXIT_UNREADABLE = 2
EXIT_NO_LEXICON = 3


class Command(BaseCommand):
    help = "Check a release given as JSON; exit 1 if a finding blocks, 2 on bad input."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a JSON file, or - for standard input")
        parser.add_argument(
            "--language",
            default=None,
            help="language of the messages (default: %s)" % settings.LANGUAGE_CODE,
        )
        parser.add_argument(
            "--default-lexicon",
            action="store_true",
            help="use the lists shipped with Rongmei instead of the database's",
        )

    def handle(self, *args, **options):
        name = options["file"]
        data = self.read(name)
        with translation.override(options["language"] or settings.LANGUAGE_CODE):
            try:
                document = ReleaseDocument.from_json(data)
            except DocumentError as error:
                raise CommandError(
                    "%s is not a release:%s"
                    % (self.label(name), "".join("\n  " + e for e in error.errors)),
                    returncode=EXIT_UNREADABLE,
                ) from error
            if options["default_lexicon"]:
                lexicon = default_lexicon()
            else:
                try:
                    lexicon = load_lexicon()
                except DatabaseError as error:
                    raise CommandError(
                        "Cannot load the lexicon from the database (%s). Run "
                        "`manage.py migrate`, or pass --default-lexicon." % error,
                        returncode=EXIT_NO_LEXICON,
                    ) from error
            findings = run_checks(document, lexicon=lexicon)
        self.stdout.write(
            json.dumps([f.to_dict() for f in findings], ensure_ascii=False, indent=2)
        )
        if any(f.blocks for f in findings):
            sys.exit(EXIT_BLOCKED)

    @staticmethod
    def label(name):
        return "<stdin>" if name == "-" else name

    def read(self, name):
        try:
            if name == "-":
                text = sys.stdin.read()
            else:
                with open(name, encoding="utf-8-sig") as handle:
                    text = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(
                "Cannot read %s: %s" % (self.label(name), error),
                returncode=EXIT_UNREADABLE,
            ) from error
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise CommandError(
                "%s is not JSON: %s (line %d, column %d)"
                % (self.label(name), error.msg, error.lineno, error.colno),
                returncode=EXIT_UNREADABLE,
            ) from error
