"""Admin views for the content-check lists: import and export as text and CSV.

Plain text is one entry per line, with optional tab-separated fields in the
order of :attr:`ListFormat.columns` (``term, category, severity, suggestion,
note, active`` for terms); blank lines and lines starting with ``#`` are
skipped. CSV has a header row naming its columns. Imports add new entries and
update existing ones (same term and category, or same source name and domain);
one bad line stops the whole import, and the form comes back with every bad
line listed and the content kept.
"""

import csv
import io

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from .checks.lexicon import invalidate_lexicon
from .models import ApprovedSource, LexiconTerm

_TRUE = {"1", "true", "yes", "y", "on", "是", "启用", "active"}
_FALSE = {"0", "false", "no", "n", "off", "否", "停用", "inactive"}
#: How many rows one query reads or writes.
BATCH = 500


class ListFormat:
    """How the rows of one model read and write as plain text and CSV."""

    model = None
    #: Columns in order; the first is required on every line.
    columns = ()
    #: The columns that identify an entry (an import updates an entry with the
    #: same values).
    key = ()

    def __init__(self, defaults=None):
        self.defaults = defaults or {}

    def queryset(self, request):
        return self.model.objects.all()

    def export_row(self, obj):
        return [self.export_value(obj, column) for column in self.columns]

    def export_value(self, obj, column):
        value = getattr(obj, column)
        if isinstance(value, bool):
            return "1" if value else "0"
        return str(value)

    def build(self, values):
        """Return an unsaved instance from ``{column: text}``; raise ValidationError."""
        data = {}
        errors = []
        for column in self.columns:
            raw = values.get(column, "").strip()
            field = self.model._meta.get_field(column)
            if not raw:
                if column in self.defaults:
                    data[column] = self.defaults[column]
                continue
            if field.get_internal_type() == "BooleanField":
                lowered = raw.lower()
                if lowered in _TRUE:
                    data[column] = True
                elif lowered in _FALSE:
                    data[column] = False
                else:
                    errors.append(
                        _("%(column)s: “%(value)s” is not yes or no (use 1 or 0).")
                        % {"column": column, "value": raw}
                    )
            elif field.choices:
                code = self.choice_code(field, raw)
                if code is None:
                    errors.append(
                        _(
                            "%(column)s: unknown value “%(value)s” (use one of: "
                            "%(choices)s)."
                        )
                        % {
                            "column": column,
                            "value": raw,
                            "choices": ", ".join(str(c[0]) for c in field.choices),
                        }
                    )
                else:
                    data[column] = code
            else:
                data[column] = raw
        if errors:
            raise ValidationError(errors)
        instance = self.model(**data)
        try:
            instance.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            raise ValidationError(
                [
                    "%s: %s" % (name, " ".join(messages_))
                    if name != "__all__"
                    else " ".join(messages_)
                    for name, messages_ in error.message_dict.items()
                ]
            ) from error
        return instance

    @staticmethod
    def choice_code(field, raw):
        lowered = raw.lower()
        for code, label in field.choices:
            if lowered in (str(code).lower(), str(label).lower()):
                return code
        return None

    def key_of(self, obj):
        return tuple(getattr(obj, column) for column in self.key)

    # -- reading -------------------------------------------------------------

    def parse_text(self, content):
        """Yield ``(line number, {column: value})`` from plain text."""
        for number, line in enumerate(content.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            values = line.split("\t")
            if len(values) > len(self.columns):
                raise _LineError(
                    number,
                    _("%(count)d fields; at most %(max)d (%(columns)s).")
                    % {
                        "count": len(values),
                        "max": len(self.columns),
                        "columns": ", ".join(self.columns),
                    },
                )
            yield number, dict(zip(self.columns, values, strict=False))

    def parse_csv(self, content):
        """Yield ``(line number, {column: value})`` from CSV with a header row."""
        reader = csv.reader(io.StringIO(content))
        header = None
        for row in reader:
            number = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in row]
                unknown = [c for c in header if c not in self.columns]
                if unknown or self.columns[0] not in header:
                    raise _LineError(
                        number,
                        _(
                            "The header row must name columns among %(columns)s "
                            "and include %(first)s; found %(found)s."
                        )
                        % {
                            "columns": ", ".join(self.columns),
                            "first": self.columns[0],
                            "found": ", ".join(header),
                        },
                    )
                continue
            if len(row) > len(header):
                raise _LineError(
                    number,
                    _("%(count)d fields; the header names %(max)d.")
                    % {"count": len(row), "max": len(header)},
                )
            yield number, dict(zip(header, row, strict=False))

    # -- writing -------------------------------------------------------------

    def to_text(self, objects):
        lines = ["# " + "\t".join(self.columns)]
        for obj in objects:
            lines.append(
                "\t".join(
                    v.replace("\t", " ").replace("\r", " ").replace("\n", " ")
                    for v in self.export_row(obj)
                )
            )
        return "\n".join(lines) + "\n"

    def to_csv(self, objects):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(self.columns)
        for obj in objects:
            writer.writerow(self.export_row(obj))
        return buffer.getvalue()

    # -- importing -----------------------------------------------------------

    def read(self, content, kind):
        """Return ``(instances, errors)``: every line checked, errors as text."""
        rows, errors = {}, []
        parse = self.parse_csv if kind == "csv" else self.parse_text
        try:
            for number, values in parse(content):
                try:
                    instance = self.build(values)
                except ValidationError as error:
                    for message in error.messages:
                        errors.append(
                            _("Line %(line)d: %(message)s")
                            % {"line": number, "message": message}
                        )
                    continue
                rows[self.key_of(instance)] = instance  # a later line wins
        except _LineError as error:
            errors.append(
                _("Line %(line)d: %(message)s")
                % {"line": error.line, "message": error.message}
            )
        except csv.Error as error:
            errors.append(_("Not readable as CSV: %(error)s") % {"error": error})
        return list(rows.values()), errors

    @transaction.atomic
    def save(self, instances):
        """Add or update ``instances``; return ``(added, updated)``."""
        now = timezone.now()
        first = self.key[0]
        existing = {}
        values = list({getattr(obj, first) for obj in instances})
        for start in range(0, len(values), BATCH):
            for obj in self.model.objects.filter(
                **{first + "__in": values[start : start + BATCH]}
            ):
                existing[self.key_of(obj)] = obj
        editable = [c for c in self.columns if c not in self.key]
        added, updated = [], []
        for instance in instances:
            current = existing.get(self.key_of(instance))
            if current is None:
                instance.updated_at = now
                added.append(instance)
            elif any(getattr(current, c) != getattr(instance, c) for c in editable):
                for column in editable:
                    setattr(current, column, getattr(instance, column))
                current.updated_at = now
                updated.append(current)
        self.model.objects.bulk_create(added, batch_size=BATCH)
        if updated:
            self.model.objects.bulk_update(
                updated, [*editable, "updated_at"], batch_size=BATCH
            )
        return len(added), len(updated)


class _LineError(Exception):
    def __init__(self, line, message):
        super().__init__(message)
        self.line = line
        self.message = message


class LexiconTermFormat(ListFormat):
    model = LexiconTerm
    columns = ("term", "category", "severity", "suggestion", "note", "is_active")
    key = ("term", "category")

    def queryset(self, request):
        queryset = super().queryset(request)
        category = request.GET.get("category")
        if category in LexiconTerm.Category.values:
            queryset = queryset.filter(category=category)
        return queryset.order_by("category", "term")


class ApprovedSourceFormat(ListFormat):
    model = ApprovedSource
    columns = ("name", "domain", "note", "is_active")
    key = ("name", "domain")


FORMATS = {LexiconTerm: LexiconTermFormat, ApprovedSource: ApprovedSourceFormat}


class ImportForm(forms.Form):
    FORMAT_CHOICES = [
        (
            "auto",
            gettext_lazy(
                "Recognise (CSV if the file ends in .csv or the first line is a "
                "CSV header)"
            ),
        ),
        (
            "text",
            gettext_lazy("Plain text: one per line, optional tab-separated fields"),
        ),
        ("csv", gettext_lazy("CSV with a header row")),
    ]

    file = forms.FileField(
        label=gettext_lazy("File"),
        required=False,
        help_text=gettext_lazy("UTF-8 or GB18030 text or CSV. Or paste below."),
    )
    content = forms.CharField(
        label=gettext_lazy("Content"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false"}),
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Format"), choices=FORMAT_CHOICES, initial="auto"
    )

    def __init__(self, *args, list_format=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.list_format = list_format
        columns = ", ".join(list_format.columns)
        self.fields["content"].help_text = _(
            "Fields in this order: %(columns)s. Only the first is required. Lines "
            "starting with # are skipped. Entries that exist already are updated."
        ) % {"columns": columns}
        if list_format.model is LexiconTerm:
            self.fields["category"] = forms.ChoiceField(
                label=_("Category for lines that give none"),
                choices=LexiconTerm.Category.choices,
                initial=LexiconTerm.Category.LEXICON,
            )
            self.fields["severity"] = forms.ChoiceField(
                label=_("Severity for lines that give none"),
                choices=[
                    ("", _("The category's default")),
                    *LexiconTerm.Severity.choices,
                ],
                required=False,
            )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        content = cleaned.get("content") or ""
        if upload:
            raw = upload.read()
            for encoding in ("utf-8-sig", "gb18030"):
                try:
                    content = raw.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                raise ValidationError(
                    {"file": _("The file is neither UTF-8 nor GB18030 text.")}
                )
            # Keep the uploaded text in the form, so nothing is lost on an error.
            self.data = self.data.copy()
            self.data["content"] = content
        if not content.strip():
            raise ValidationError({"content": _("Upload a file or paste the list.")})
        cleaned["content"] = content
        kind = cleaned.get("format") or "auto"
        if kind == "auto":
            first = next(
                (
                    line
                    for line in content.splitlines()
                    if line.strip() and not line.startswith("#")
                ),
                "",
            )
            header = [c.strip().lower() for c in first.split(",")]
            is_csv = (upload and upload.name.lower().endswith(".csv")) or (
                "\t" not in first
                and len(header) > 1
                and header[0] == self.list_format.columns[0]
            )
            kind = "csv" if is_csv else "text"
        cleaned["kind"] = kind
        return cleaned


class ListPermissionMixin:
    #: Set by the viewset.
    model = None
    permission_policy = None
    index_url_name = None

    def has_permission(self, user):
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission(request.user):
            raise PermissionDenied
        self.list_format = FORMATS[self.model]()
        return super().dispatch(request, *args, **kwargs)


class ImportView(ListPermissionMixin, WagtailAdminTemplateMixin, FormView):
    """Add or update entries from a file or pasted text."""

    template_name = "moderation/import.html"
    form_class = ImportForm
    import_url_name = None

    def has_permission(self, user):
        policy = self.permission_policy
        return policy.user_has_permission(user, "add") and policy.user_has_permission(
            user, "change"
        )

    def get_page_title(self):
        return _("Import %(items)s") % {"items": self.model._meta.verbose_name_plural}

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {
                "url": reverse(self.index_url_name),
                "label": str(self.model._meta.verbose_name_plural).capitalize(),
            },
            {"url": "", "label": _("Import")},
        ]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "list_format": self.list_format}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            action_url=reverse(self.import_url_name),
            submit_button_label=_("Import"),
            submit_button_active_label=_("Importing…"),
            form_is_multipart=True,
        )
        return context

    def form_valid(self, form):
        defaults = {}
        if self.model is LexiconTerm:
            defaults = {"category": form.cleaned_data["category"]}
            if form.cleaned_data.get("severity"):
                defaults["severity"] = form.cleaned_data["severity"]
        self.list_format.defaults = defaults
        instances, errors = self.list_format.read(
            form.cleaned_data["content"], form.cleaned_data["kind"]
        )
        if not errors and not instances:
            errors = [_("No entries found.")]
        if errors:
            for error in errors:
                form.add_error(None, error)
            form.add_error("content", _("Fix the lines listed above."))
            messages.error(
                self.request,
                _("Nothing was imported: %(count)d lines need fixing.")
                % {"count": len(errors)},
            )
            return self.form_invalid(form)
        added, updated = self.list_format.save(instances)
        invalidate_lexicon()
        messages.success(
            self.request,
            _(
                "Imported %(count)d entries: %(added)d added, %(updated)d updated, "
                "%(same)d unchanged."
            )
            % {
                "count": len(instances),
                "added": added,
                "updated": updated,
                "same": len(instances) - added - updated,
            },
        )
        return redirect(self.index_url_name)


def export_response(list_format, objects, kind, name):
    stamp = timezone.localtime().strftime("%Y%m%d")
    if kind == "csv":
        # A BOM, so that spreadsheet programs read the Chinese right.
        body = "\ufeff" + list_format.to_csv(objects)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        extension = "csv"
    else:
        body = list_format.to_text(objects)
        response = HttpResponse(body, content_type="text/plain; charset=utf-8")
        extension = "txt"
    response["Content-Disposition"] = 'attachment; filename="%s-%s.%s"' % (
        name,
        stamp,
        extension,
    )
    return response


class ExportView(ListPermissionMixin, View):
    """Download every entry (``?category=`` narrows terms) as text or CSV."""

    def has_permission(self, user):
        return self.permission_policy.user_has_any_permission(
            user, ["add", "change", "delete", "view"]
        )

    def get(self, request, *args, kind="txt", **kwargs):
        if kind not in ("txt", "csv"):
            raise Http404
        objects = self.list_format.queryset(request).iterator()
        name = self.model._meta.model_name
        return export_response(self.list_format, objects, kind, name)
