"""Install the workflow 三审 on the root page, in place of Wagtail's default
"Moderators approval". Historical models skip Task.__init__, so each task's
content_type is set by hand."""

from django.db import migrations

STAGES = [
    ("first", "初审"),
    ("second", "复审"),
    ("final", "终审"),
    ("unit_head", "负责人审批"),
    ("managing", "管理部门审批"),
]


def install(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    AutomaticCheckTask = apps.get_model("moderation", "AutomaticCheckTask")
    ReviewTask = apps.get_model("moderation", "ReviewTask")

    auto_type, _ = ContentType.objects.get_or_create(
        app_label="moderation", model="automaticchecktask"
    )
    review_type, _ = ContentType.objects.get_or_create(
        app_label="moderation", model="reviewtask"
    )
    workflow, _ = Workflow.objects.get_or_create(name="三审", defaults={"active": True})
    tasks = []
    auto = AutomaticCheckTask.objects.first() or AutomaticCheckTask.objects.create(
        name="自动检查", content_type=auto_type, active=True
    )
    tasks.append(auto)
    for stage, name in STAGES:
        task = ReviewTask.objects.filter(stage=stage).first()
        if task is None:
            task = ReviewTask.objects.create(
                name=name, stage=stage, content_type=review_type, active=True
            )
        tasks.append(task)
    WorkflowTask.objects.filter(workflow=workflow).delete()
    for order, task in enumerate(tasks):
        WorkflowTask.objects.create(workflow=workflow, task_id=task.pk, sort_order=order)

    for root in Page.objects.filter(depth=1):
        WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})
    # Wagtail's default workflow no longer applies anywhere.
    Workflow.objects.filter(name="Moderators approval").exclude(pk=workflow.pk).update(
        active=False
    )


def uninstall(apps, schema_editor):
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    Page = apps.get_model("wagtailcore", "Page")
    default = Workflow.objects.filter(name="Moderators approval").first()
    if default is not None:
        default.active = True
        default.save()
        for root in Page.objects.filter(depth=1):
            WorkflowPage.objects.update_or_create(
                page=root, defaults={"workflow": default}
            )
    Workflow.objects.filter(name="三审").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0003_review_workflow"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
