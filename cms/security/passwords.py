"""Password rules beyond Django's: character classes, history, expiry."""

import re
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class CharacterClassValidator:
    """Require at least one letter, one digit and one symbol."""

    def validate(self, password, user=None):
        missing = []
        if not re.search(r"[A-Za-z]", password):
            missing.append(_("a letter"))
        if not re.search(r"\d", password):
            missing.append(_("a digit"))
        if not re.search(r"[^A-Za-z0-9\s]", password):
            missing.append(_("a symbol such as ! @ # ¥ %"))
        if missing:
            raise ValidationError(
                _("The password must contain %(missing)s.")
                % {"missing": _(", ").join(missing)},
                code="password_character_classes",
            )

    def get_help_text(self):
        return _("Your password must contain letters, digits and a symbol.")


class PasswordHistoryValidator:
    """Refuse any of the user's last ``count`` passwords, and record each new one."""

    def __init__(self, count=5):
        self.count = count

    def validate(self, password, user=None):
        if user is None or not user.pk:
            return
        from ..models import PasswordHistory

        recent = PasswordHistory.objects.filter(user=user).order_by("-created_at")[
            : self.count
        ]
        for entry in recent:
            if check_password(password, entry.encoded):
                raise ValidationError(
                    ngettext(
                        "You cannot reuse your last password.",
                        "You cannot reuse any of your last %(count)d passwords.",
                        self.count,
                    )
                    % {"count": self.count},
                    code="password_reused",
                )

    def password_changed(self, password, user=None):
        if user is None or not user.pk:
            return
        from ..models import PasswordHistory

        PasswordHistory.objects.create(user=user, encoded=user.password)
        keep = PasswordHistory.objects.filter(user=user).order_by("-created_at")[
            : self.count
        ]
        PasswordHistory.objects.filter(user=user).exclude(
            pk__in=[e.pk for e in keep]
        ).delete()

    def get_help_text(self):
        return ngettext(
            "You cannot reuse your last password.",
            "You cannot reuse any of your last %(count)d passwords.",
            self.count,
        ) % {"count": self.count}


def password_max_age():
    """How long a password lasts (``RONGMEI_PASSWORD_MAX_AGE_DAYS``; 0: forever)."""
    days = getattr(settings, "RONGMEI_PASSWORD_MAX_AGE_DAYS", 90)
    return timedelta(days=days) if days else None


def password_changed_at(user):
    from ..models import PasswordHistory

    latest = (
        PasswordHistory.objects.filter(user=user)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return latest or user.date_joined


def password_expired(user, now=None):
    max_age = password_max_age()
    if max_age is None or not user.is_authenticated or not user.has_usable_password():
        return False
    return (now or timezone.now()) - password_changed_at(user) > max_age


def strict_password_change_form():
    """Wagtail's account-page password form, closing a gap in it.

    Wagtail 8 marks both new-password fields optional, and Django then skips the
    mismatch check and the validators when the confirmation is empty, while still
    setting the first field: "password" with an empty confirmation went through.
    This form requires both, equal, and runs every validator on the new password.
    """
    from django import forms
    from wagtail.admin.forms.auth import PasswordChangeForm

    class StrictPasswordChangeForm(PasswordChangeForm):
        def clean(self):
            cleaned = super().clean()
            new1 = cleaned.get("new_password1") or ""
            new2 = cleaned.get("new_password2") or ""
            if (new1 or new2) and not self.has_error("new_password2"):
                if not new1 or not new2:
                    field = "new_password1" if not new1 else "new_password2"
                    self.add_error(field, forms.ValidationError(
                        _("Type the new password in both fields."), code="required"
                    ))  # fmt: skip
                elif new1 != new2:
                    self.add_error(
                        "new_password2",
                        forms.ValidationError(
                            self.error_messages["password_mismatch"],
                            code="password_mismatch",
                        ),
                    )
            return cleaned

    return StrictPasswordChangeForm
