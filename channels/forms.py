from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from .platforms import all_platforms, get_platform
from .schedule import (
    DEFAULT_WINDOWS,
    RulesError,
    format_windows,
    parse_blackout_dates,
    parse_windows,
    windows_as_json,
)


def _credential_help():
    return _(
        "One name=value per line. Leave blank to keep what is stored; stored values "
        "are never shown. Names per platform: %(names)s"
    ) % {
        "names": "; ".join(
            "%s: %s" % (p.code, ", ".join(p.credential_fields)) for p in all_platforms()
        )
    }


class WriteOnlyTextarea(forms.Textarea):
    """A textarea that never renders a value back, like a password input."""

    def format_value(self, value):
        return None


class AccountForm(WagtailAdminModelForm):
    """The filing form of an account, with write-only credentials."""

    new_credentials = forms.CharField(
        label=_("Set new credentials"),
        required=False,
        widget=WriteOnlyTextarea(attrs={"rows": 4, "autocomplete": "off"}),
    )

    windows_text = forms.CharField(
        label=_("Publishing windows"),
        required=False,
        help_text=_(
            "Times of day in Beijing time, such as 07:00-09:00, 12:00-14:00. "
            "Leave blank for the platform's defaults: %(defaults)s."
        ),
    )
    blackout_text = forms.CharField(
        label=_("Dates without publishing"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Dates such as 2026-10-01, separated by commas or spaces."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_credentials"].help_text = _credential_help()
        defaults = "; ".join(
            "%s %s" % (p.label, format_windows(DEFAULT_WINDOWS.get(p.code, ())))
            for p in all_platforms()
        )
        self.fields["windows_text"].help_text = self.fields[
            "windows_text"
        ].help_text % {"defaults": defaults}
        if self.instance.pk and not self.is_bound:
            try:
                windows = parse_windows(self.instance.publishing_windows or [])
                self.initial["windows_text"] = format_windows(windows)
            except RulesError:
                self.initial["windows_text"] = str(self.instance.publishing_windows)
            self.initial["blackout_text"] = ", ".join(
                sorted(str(d) for d in self.instance.blackout_dates or [])
            )
        user = self.for_user
        if user is not None and "unit" in self.fields:
            from .permissions import account_units

            self.fields["unit"].queryset = account_units(user, "add")

    def clean_new_credentials(self):
        raw = self.cleaned_data.get("new_credentials") or ""
        if not raw.strip():
            return {}
        values = {}
        for number, line in enumerate(raw.splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            name, sep, value = line.partition("=")
            if not sep or not name.strip():
                raise forms.ValidationError(
                    _("Line %(number)d: write name=value.") % {"number": number}
                )
            values[name.strip()] = value.strip()
        return values

    def clean_windows_text(self):
        try:
            return windows_as_json(parse_windows(self.cleaned_data["windows_text"]))
        except RulesError as e:
            raise forms.ValidationError(str(e)) from e

    def clean_blackout_text(self):
        try:
            dates = parse_blackout_dates(self.cleaned_data["blackout_text"])
        except RulesError as e:
            raise forms.ValidationError(str(e)) from e
        return sorted(d.isoformat() for d in dates)

    def clean(self):
        cleaned = super().clean()
        values = cleaned.get("new_credentials") or {}
        platform = cleaned.get("platform")
        if values and platform:
            known = set(get_platform(platform).credential_fields)
            unknown = sorted(set(values) - known)
            if unknown:
                message = _(
                    "Unknown names for this platform: %(unknown)s. Expected: %(known)s."
                )
                self.add_error(
                    "new_credentials",
                    message
                    % {
                        "unknown": ", ".join(unknown),
                        "known": ", ".join(sorted(known)),
                    },
                )
        return cleaned

    def save(self, commit=True):
        if "windows_text" in self.cleaned_data:
            self.instance.publishing_windows = self.cleaned_data["windows_text"]
        if "blackout_text" in self.cleaned_data:
            self.instance.blackout_dates = self.cleaned_data["blackout_text"]
        values = self.cleaned_data.get("new_credentials") or {}
        if values:
            merged = self.instance.get_credentials() if self.instance.pk else {}
            merged.update(values)
            self.instance.set_credentials(**merged)
        return super().save(commit=commit)
