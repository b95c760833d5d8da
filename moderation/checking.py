"""Run the content checks on a revision of a release and keep the result."""

from django.utils.translation import gettext as _

from .checks import ReleaseDocument, run_checks
from .workflows import CheckRun


def check_revision(revision, trigger):
    """Check ``revision`` (of a ReleasePage) and return the saved ``CheckRun``."""
    release = revision.as_object()
    findings = run_checks(ReleaseDocument.from_release(release))
    data = [finding.to_dict() for finding in findings]
    return CheckRun.objects.create(
        revision=revision,
        release_id=revision.object_id,
        trigger=trigger,
        findings=data,
        blocking=sum(1 for f in data if f["severity"] == "block"),
        warnings=sum(1 for f in data if f["severity"] == "warn"),
    )


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
