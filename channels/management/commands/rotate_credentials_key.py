"""Re-encrypt every account's credentials with the first key of
``RONGMEI_CREDENTIALS_KEY``.

Rotation, step by step:

1. ``manage.py rotate_credentials_key --generate`` prints a new key.
2. Set ``RONGMEI_CREDENTIALS_KEY="NEW,OLD"`` (the new key first) everywhere the
   project runs, and restart: new credentials are now encrypted with NEW, and the
   stored ones still decrypt with OLD.
3. ``manage.py rotate_credentials_key`` re-encrypts every stored token with NEW.
4. Remove OLD: ``RONGMEI_CREDENTIALS_KEY="NEW"``.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from channels.crypto import (
    CredentialsError,
    first_key_reads,
    generate_key,
    key_count,
    rotate_token,
)
from channels.models import Account


class Command(BaseCommand):
    help = (
        "Re-encrypt all platform credentials with the first key of "
        "RONGMEI_CREDENTIALS_KEY (set it to 'NEW,OLD' first). With --generate, "
        "print a new key and change nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--generate",
            action="store_true",
            help="Print a new Fernet key and exit.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=100,
            help="Accounts re-encrypted per transaction (default 100).",
        )

    def handle(self, *args, generate=False, batch_size=100, **options):
        if generate:
            self.stdout.write(generate_key())
            self.stderr.write(
                _(
                    "Put the new key first and keep the current one after it, "
                    'e.g. RONGMEI_CREDENTIALS_KEY="NEW,CURRENT"; restart every '
                    "process, then run this command without --generate."
                )
            )
            return
        if batch_size < 1:
            raise CommandError(_("--batch-size must be at least 1."))

        keys = key_count()
        if keys == 1:
            self.stderr.write(
                self.style.WARNING(
                    _(
                        "RONGMEI_CREDENTIALS_KEY holds a single key: credentials "
                        "are re-encrypted with the key they already use. To rotate, "
                        'set RONGMEI_CREDENTIALS_KEY="NEW,OLD" first.'
                    )
                )
            )

        with_credentials = Account.objects.exclude(credentials="")
        ids = list(with_credentials.order_by("pk").values_list("pk", flat=True))
        # Read everything before changing anything, so that an unreadable token
        # stops the rotation with nothing half done.
        self.check_readable(ids)

        rotated = 0
        for start in range(0, len(ids), batch_size):
            batch = ids[start : start + batch_size]
            rotated += self.rotate_batch(batch)
            self.stdout.write(
                _("Re-encrypted %(done)d of %(total)d accounts.")
                % {"done": rotated, "total": len(ids)}
            )

        left = [
            pk
            for pk, token in with_credentials.values_list("pk", "credentials")
            if not first_key_reads(token)
        ]
        if left:
            raise CommandError(
                _(
                    "The credentials of accounts %(ids)s are still not encrypted "
                    "with the first key (changed while the command ran?). Run the "
                    "command again before removing any key."
                )
                % {"ids": ", ".join(str(pk) for pk in left)}
            )

        without = Account.objects.filter(credentials="").count()
        self.stdout.write(
            self.style.SUCCESS(
                ngettext(
                    "Done: %(count)d account's credentials re-encrypted with the "
                    "first key; %(without)d accounts have no credentials.",
                    "Done: %(count)d accounts' credentials re-encrypted with the "
                    "first key; %(without)d accounts have no credentials.",
                    rotated,
                )
                % {"count": rotated, "without": without}
            )
        )
        if keys > 1:
            self.stdout.write(
                ngettext(
                    "Every stored credential now uses the first key: the other key "
                    "can be removed from RONGMEI_CREDENTIALS_KEY.",
                    "Every stored credential now uses the first key: the other "
                    "%(count)d keys can be removed from RONGMEI_CREDENTIALS_KEY.",
                    keys - 1,
                )
                % {"count": keys - 1}
            )

    def check_readable(self, ids):
        unreadable = []
        for pk, token in (
            Account.objects.filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", "credentials")
            .iterator()
        ):
            try:
                rotate_token(token)
            except CredentialsError:
                unreadable.append(pk)
        if unreadable:
            raise CommandError(
                _(
                    "No key in RONGMEI_CREDENTIALS_KEY can decrypt the credentials of "
                    "account %(ids)s. Add the key they were encrypted with (after "
                    "the new one) and run the command again; nothing was changed."
                )
                % {"ids": ", ".join(str(pk) for pk in unreadable)}
            )

    def rotate_batch(self, ids):
        """Re-encrypt the credentials of the accounts ``ids`` in one transaction."""
        rotated = 0
        with transaction.atomic():
            rows = (
                Account.objects.select_for_update()
                .filter(pk__in=ids)
                .exclude(credentials="")
                .values_list("pk", "credentials")
            )
            for pk, token in rows:
                try:
                    new_token = rotate_token(token)
                except CredentialsError:
                    raise CommandError(
                        _(
                            "No key in RONGMEI_CREDENTIALS_KEY can decrypt the "
                            "credentials of account %(id)s; this batch was rolled "
                            "back, earlier batches are already re-encrypted."
                        )
                        % {"id": pk}
                    ) from None
                # update(), not save(): neither updated_at nor
                # credentials_changed_at change, as the values do not.
                Account.objects.filter(pk=pk).update(credentials=new_token)
                rotated += 1
        return rotated
