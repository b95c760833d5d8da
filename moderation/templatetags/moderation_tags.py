from django import template

register = template.Library()


@register.filter
def timedelta_hours(value):
    """Whole hours in a timedelta."""
    return int(value.total_seconds() // 3600)


@register.simple_tag
def review_warnings(task_state):
    """The warnings of the revision a stage reviews, each with its key."""
    from ..workflows import finding_key, latest_check_run

    run = latest_check_run(task_state.revision) if task_state else None
    return [{**f, "key": finding_key(f)} for f in (run.warning_findings if run else [])]
