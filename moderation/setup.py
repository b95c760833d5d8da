"""Keep the workflow 三审 installed on the root page.

Migration 0004 installs it; a flushed database (``manage.py flush``,
transactional tests) loses it with the rest of the data migrations' rows, and
this puts it back.
"""

from django.contrib.contenttypes.models import ContentType
from wagtail.models import Page, Workflow, WorkflowPage, WorkflowTask

STAGES = [
    ("first", "初审"),
    ("second", "复审"),
    ("final", "终审"),
    ("unit_head", "负责人审批"),
    ("managing", "管理部门审批"),
]


def ensure_review_workflow():
    from .workflows import AutomaticCheckTask, ReviewTask

    root = Page.get_first_root_node()
    if root is None:
        return None
    workflow = Workflow.objects.filter(name="三审").first()
    if workflow is None:
        workflow = Workflow.objects.create(name="三审", active=True)
        tasks = [AutomaticCheckTask.objects.first()]
        if tasks[0] is None:
            tasks[0] = AutomaticCheckTask.objects.create(name="自动检查")
        for stage, name in STAGES:
            task = ReviewTask.objects.filter(stage=stage).first()
            tasks.append(task or ReviewTask.objects.create(name=name, stage=stage))
        for order, task in enumerate(tasks):
            WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=order)
    WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})
    ContentType.objects.clear_cache()
    return workflow
