"""What happens when the last stage of 三审 approves (WAGTAIL_FINISH_WORKFLOW_ACTION).

Kept free of model imports at module level: Wagtail imports it while its own
models load.
"""


def publish_approved(workflow_state, user=None):
    """Publish the approved version. The completed review is the authority to
    publish, so the last approver (a unit head, say) needs no publish permission
    of their own; the publication is logged under their name."""
    revision = workflow_state.content_object.get_latest_revision()
    revision.publish(user=user, skip_permission_checks=True)
