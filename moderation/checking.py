"""Run the content checks on a revision of a release and keep the result."""

from django.utils.translation import gettext as _

from .checks import ReleaseDocument, run_checks
from .workflows import CheckRun


def check_revision(revision, trigger):
    """Check ``revision`` (of a ReleasePage) and return the saved ``CheckRun``."""
    release = revision.as_object()
    document = ReleaseDocument.from_release(release)
    texts = {field.name: field.text for field in document.fields}
    data = [
        {**finding.to_dict(), "place": place(texts.get(finding.field), finding)}
        for finding in run_checks(document)
    ]
    return CheckRun.objects.create(
        revision=revision,
        release_id=revision.object_id,
        trigger=trigger,
        findings=data,
        blocking=sum(1 for f in data if f["severity"] == "block"),
        warnings=sum(1 for f in data if f["severity"] == "warn"),
    )


def place(text, finding, context=20):
    """``[before, found, after]``: where in its field a finding is, to highlight
    it; empty when the finding is about the release, not a place in the text."""
    if not text or finding.length <= 0 or finding.category == "privacy":
        # Personal data stays masked, as in the excerpt.
        return []
    start = max(0, finding.offset)
    end = min(len(text), start + finding.length)
    before = text[max(0, start - context) : start]
    after = text[end : end + context]
    return [
        ("…" if start > context else "") + before,
        text[start:end],
        after + ("…" if end + context < len(text) else ""),
    ]


def findings_comment(run):
    """The comment the automatic step leaves: what blocks, where, and the count
    of warnings."""
    if not run.blocking:
        if run.warnings:
            return _("Automatic checks passed with %(count)d warning(s).") % {
                "count": run.warnings
            }
        return _("Automatic checks passed.")
    lines = [
        _("Automatic checks found %(count)d blocking problem(s):")
        % {"count": run.blocking}
    ]
    for finding in run.blocking_findings:
        lines.append(
            "· %(message)s（%(field)s：「%(excerpt)s」）"
            % {
                "message": finding["message"],
                "field": finding["field"],
                "excerpt": finding["excerpt"],
            }
        )
    return "\n".join(lines)
