"""Walk every admin URL pattern and API endpoint as each demo role.

``seed_demo`` fills the database, one jwc release is submitted for review, and
then every URL pattern under /admin/, /api/v2/ and /api/checks/ (found by walking
``django.urls.get_resolver()``) is instantiated with real object ids and fetched
with GET as each user of ``USERS``. Each status code is recorded and printed as a
table; the URL classes of ``EXPECTED`` are compared with the matrix of
docs/permissions.md, and no answer may be a server error. Patterns that cannot be
fetched sensibly are listed in ``SKIPPED`` with the reason.
"""

import re
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Site, Task, Workflow

from channels.models import Account, Delivery, PublishingPause
from cms.models import ReleasePage, Role, RoleAssignment, Unit, UnitIndexPage
from moderation.models import ApprovedSource, LexiconTerm

pytestmark = pytest.mark.django_db

JWC_ROLES = [role.value for role in Role]
#: Everybody the walk logs in as: every role of jwc, two of the managing
#: department, an editor of another unit, and the superuser.
USERS = ["jwc_%s" % role for role in JWC_ROLES] + [
    "xcb_final_reviewer",
    "xcb_maintainer",
    "xgb_editor",
    "admin",
]
PREFIXES = ("admin/", "api/v2/", "api/checks/")

#: Patterns not fetched, with the reason.
SKIPPED = {
    "admin/failwhale/": "raises an error on purpose (Wagtail's 500 page test)",
    "admin/logout/": "ends the session",
    "admin/bulk/<str:app_label>/<str:model_name>/<str:action>/": (
        "needs a bulk action name and object ids in the query"
    ),
    "admin/api/main/^pages/<int:pk>/action/<str:action_name>/": (
        "POST only, needs a page action name"
    ),
    "admin/pages/workflow/action/<int:page_id>/<slug:action_name>/"
    "<int:task_state_id>/": "needs a workflow action name; POST changes state",
    "admin/pages/workflow/collect_action_data/<int:page_id>/<slug:action_name>/"
    "<int:task_state_id>/": "needs a workflow action name",
    "admin/editing-sessions/ping/<str:app_label>/<str:model_name>/<str:object_id>/"
    "<int:session_id>/": "POST only, needs a live editing session",
    "admin/editing-sessions/release/<int:session_id>/": (
        "POST only, needs a live editing session"
    ),
    "admin/password_reset/confirm/<uidb64>/<token>/": "needs a reset token",
    "admin/documents/multiple/create_from_uploaded_document/<int:uploaded_file_id>/": (
        "needs a pending upload (transient object)"
    ),
    "admin/documents/multiple/delete_upload/<int:uploaded_file_id>/": (
        "needs a pending upload (transient object)"
    ),
    "admin/images/multiple/create_from_uploaded_image/<int:uploaded_file_id>/": (
        "needs a pending upload (transient object)"
    ),
    "admin/images/multiple/delete_upload/<int:uploaded_file_id>/": (
        "needs a pending upload (transient object)"
    ),
    "admin/media/edit/<int:media_id>/": "the demo holds no media item",
    "admin/media/delete/<int:media_id>/": "the demo holds no media item",
    "admin/media/chooser/<int:media_id>/": "the demo holds no media item",
    "admin/media/usage/<int:media_id>/": "the demo holds no media item",
    "admin/tag-autocomplete/<slug:app_name>/<slug:model_name>/": (
        "no demo model is tagged"
    ),
    "admin/settings/<slug:app_name>/<slug:model_name>/": "no settings model",
    "admin/settings/<slug:app_name>/<slug:model_name>/<int:pk>/": "no settings model",
    "admin/settings/<slug:app_name>/<slug:model_name>/<int:pk>/preview/": (
        "no settings model"
    ),
}

PARAM = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def walk(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def build(route, values):
    """The URL of ``route`` with its parameters taken from ``values``."""

    def sub(match):
        name = match.group(2) or match.group(3)
        return str(values[name])

    url = PARAM.sub(sub, route)
    url = url.replace("^", "").replace("$", "").replace("\\.", ".")
    return "/" + url


class Objects:
    """The demo objects the URLs are instantiated with."""

    def __init__(self):
        User = get_user_model()
        self.users = {name: User.objects.get(username=name) for name in USERS}
        units = {u.code: u for u in Unit.objects.all()}
        self.units = units

        def release(code, slug):
            return ReleasePage.objects.get(unit=units[code], slug=slug)

        self.pages = {
            "jwc draft": release("jwc", "academic-system-maintenance"),
            "jwc live": release("jwc", "final-exams-2025-autumn"),
            "xgb draft": release("xgb", "financial-aid-identification"),
            "xgb live": release("xgb", "national-scholarship-2025"),
            "jwc submitted": release("jwc", "national-first-class-majors"),
        }
        self.sections = {
            code: UnitIndexPage.objects.get(unit=units[code]) for code in ("jwc", "xgb")
        }
        submitted = self.pages["jwc submitted"]
        submitted.save_revision(user=self.users["jwc_editor"])
        workflow = submitted.get_workflow()
        self.workflow_state = workflow.start(submitted, self.users["jwc_editor"])
        submitted.refresh_from_db()
        self.task_state = submitted.current_workflow_task_state
        Image = get_image_model()
        self.images = {
            code: Image.objects.filter(collection=units[code].collection).first()
            for code in ("jwc", "xgb")
        }
        Document = get_document_model()
        self.documents = {}
        for code in ("jwc", "xgb"):
            collection = self.images[code].collection
            document = Document(title="%s walk document" % code, collection=collection)
            document.file.save("%s-walk.txt" % code, ContentFile(b"walk"), save=False)
            document.save()
            self.documents[code] = document
        self.accounts = {
            code: Account.objects.filter(unit=units[code]).first()
            for code in ("jwc", "xgb")
        }
        self.assignment = RoleAssignment.objects.filter(unit=units["jwc"]).first()
        self.lexicon_term = LexiconTerm.objects.first()
        self.approved_source = ApprovedSource.objects.first()
        from wagtail.contrib.redirects.models import Redirect
        from wagtail.models import APIToken

        self.redirect = Redirect.objects.create(old_path="/walk", redirect_link="/")
        self.token = APIToken.objects.create(user=self.users["jwc_editor"], name="walk")
        self.group = Group.objects.filter(name__startswith="jwc").first()
        self.collection = self.images["jwc"].collection
        self.workflow = Workflow.objects.filter(active=True).first()
        self.task = Task.objects.filter(active=True).first()
        # Deliveries of the demo's live releases: one sent (to withdraw), one
        # planned (to reschedule), per unit.
        self.deliveries = {}
        for code in ("jwc", "xgb"):
            live = self.pages["%s live" % code]
            sent, planned = _two_deliveries(live)
            self.deliveries["%s sent" % code] = sent
            self.deliveries["%s planned" % code] = planned
        self.pause = PublishingPause.objects.create(
            unit=units["xgb"], reason="walk", started_by=self.users["admin"]
        )

    def targets(self, route):
        """[(label, values)] for ``route``; ``None`` when it has no parameters."""
        names = [m.group(2) or m.group(3) for m in PARAM.finditer(route)]
        if not names:
            return None
        p = self.pages
        if route.startswith("api/v2/"):
            kind = route.split("^")[1].split("/")[0]
            ids = {
                "pages": [
                    ("jwc live", p["jwc live"].pk),
                    ("jwc draft", p["jwc draft"].pk),
                ],
                "images": [("jwc image", self.images["jwc"].pk)],
                "documents": [("jwc document", self.documents["jwc"].pk)],
                "units": [("jwc unit", self.units["jwc"].pk)],
                "accounts": [("jwc account", self.accounts["jwc"].pk)],
            }[kind]
            return [(label, {"pk": pk}) for label, pk in ids]
        if route.startswith(("admin/pages/", "admin/api/main/^pages/")) or (
            route.startswith(("admin/choose-page/", "admin/forms/submissions/"))
        ):
            return self.page_targets(route, names)
        if route.startswith(("admin/reviews/", "admin/workflows/")) and (
            "task_state_id" in names or "page_id" in names
        ):
            if "task_state_id" in names:
                return [("jwc submitted", {"task_state_id": self.task_state.pk})]
            return [("jwc submitted", {"page_id": p["jwc submitted"].pk})]
        single = self.single_targets(route)
        if single is None:
            return []
        return single

    def page_targets(self, route, names):
        p, s = self.pages, self.sections
        values = {
            "content_type_app_name": "cms",
            "content_type_model_name": "releasepage",
            "app_label": "cms",
            "model_name": "releasepage",
        }
        if "parent_page_id" in names:
            return [
                (label, {**values, "parent_page_id": page.pk})
                for label, page in (
                    ("jwc section", s["jwc"]),
                    ("xgb section", s["xgb"]),
                )
            ]
        if "task_id" in names or "workflow_state_id" in names:
            return [
                (
                    "jwc submitted",
                    {
                        "page_id": p["jwc submitted"].pk,
                        "task_id": self.task_state.task_id,
                        "workflow_state_id": self.workflow_state.pk,
                    },
                )
            ]
        if "confirm_cancellation" in route:
            return [("jwc submitted", {"page_id": p["jwc submitted"].pk})]
        key = next(
            (n for n in ("page_id", "page_to_move_id", "pk") if n in names), None
        )
        if key is None:
            return [("", values)]
        chosen = ["jwc draft", "jwc live", "xgb draft"]
        if "privacy" in route or "usage" in route or "forms/" in route:
            chosen = ["jwc draft"]
        elif not re.search(r"/(edit|view_draft|delete|unpublish)/$", route):
            chosen = ["jwc draft", "xgb draft"]
        out = []
        for label in chosen:
            page = p[label]
            v = {**values, key: page.pk, "destination_id": s["xgb"].pk}
            v["revision_id"] = page.latest_revision_id
            v["revision_id_a"] = "earliest"
            v["revision_id_b"] = "latest"
            out.append((label, v))
        if route.endswith(("/edit/", "/delete/")) and key == "page_id":
            out.append(("jwc section", {**values, key: s["jwc"].pk}))
        return out

    def single_targets(self, route):
        u = self.users
        table = [
            ("admin/snippets/cms/unit/", [("jwc unit", self.units["jwc"].pk)]),
            ("admin/snippets/choose/cms/unit/", [("jwc unit", self.units["jwc"].pk)]),
            ("admin/snippets/cms/roleassignment/", [("jwc role", self.assignment.pk)]),
            (
                "admin/snippets/choose/cms/roleassignment/",
                [("jwc role", self.assignment.pk)],
            ),
            (
                "admin/snippets/moderation/lexiconterm/",
                [("term", self.lexicon_term.pk)],
            ),
            (
                "admin/snippets/choose/moderation/lexiconterm/",
                [("term", self.lexicon_term.pk)],
            ),
            (
                "admin/snippets/moderation/approvedsource/",
                [("source", self.approved_source.pk)],
            ),
            (
                "admin/snippets/choose/moderation/approvedsource/",
                [("source", self.approved_source.pk)],
            ),
            (
                "admin/snippets/channels/account/",
                [
                    ("jwc account", self.accounts["jwc"].pk),
                    ("xgb account", self.accounts["xgb"].pk),
                ],
            ),
            (
                "admin/snippets/choose/channels/account/",
                [
                    ("jwc account", self.accounts["jwc"].pk),
                    ("xgb account", self.accounts["xgb"].pk),
                ],
            ),
            (
                "admin/images/",
                [
                    ("jwc image", self.images["jwc"].pk),
                    ("xgb image", self.images["xgb"].pk),
                ],
            ),
            (
                "admin/documents/",
                [
                    ("jwc document", self.documents["jwc"].pk),
                    ("xgb document", self.documents["xgb"].pk),
                ],
            ),
            ("admin/api/main/^images/", [("jwc image", self.images["jwc"].pk)]),
            ("admin/api/main/^documents/", [("jwc doc", self.documents["jwc"].pk)]),
            ("admin/collections/", [("jwc collection", self.collection.pk)]),
            ("admin/redirects/", [("redirect", self.redirect.pk)]),
            ("admin/api-tokens/", [("jwc editor token", self.token.pk)]),
            ("admin/sites/", [("site", Site.objects.first().pk)]),
            ("admin/users/", [("jwc editor", u["jwc_editor"].pk)]),
            ("admin/groups/", [("jwc group", self.group.pk)]),
            ("admin/2fa/reset/", [("jwc editor", u["jwc_editor"].pk)]),
            ("admin/workflows/tasks/", [("task", self.task.pk)]),
            ("admin/workflows/task_chooser/", [("task", self.task.pk)]),
            ("admin/workflows/", [("workflow", self.workflow.pk)]),
            ("admin/snippets/moderation/", [("", 0)]),
            (
                "admin/publishing/delivery/",
                [(label, d.pk) for label, d in self.deliveries.items()],
            ),
            ("admin/publishing/pauses/", [("xgb pause", self.pause.pk)]),
            (
                "admin/publishing/deliveries/inspect/",
                [(label, d.pk) for label, d in self.deliveries.items()],
            ),
            ("admin/publishing/release/", [("jwc live", self.pages["jwc live"].pk)]),
            ("admin/media/", [("video", 0)]),
            ("admin/^.*/$", [("nowhere", 0)]),
        ]
        for prefix, ids in table:
            if route.startswith(prefix):
                return [
                    (
                        label,
                        {
                            "pk": pk,
                            "image_id": pk,
                            "document_id": pk,
                            "doc_id": pk,
                            "collection_id": pk,
                            "redirect_id": pk,
                            "user_id": pk,
                            "task_id": pk,
                            "page_pk": self.pages["jwc draft"].pk,
                            "page_id": pk,
                            "workflow_pk": pk,
                            "filter_spec": "fill-100x100",
                            "kind": "csv",
                            "media_type": "video",
                            "app_label": "moderation",
                            "model_name": "reviewtask",
                        },
                    )
                    for label, pk in ids
                ]
        return None


def outcome(response):
    """allowed, denied (403, or a redirect to the dashboard or the login),
    missing (404), method (405), redirect (elsewhere), error (5xx), other."""
    code = response.status_code
    if code >= 500:
        return "error"
    if code == 200:
        return "allowed"
    if code in (301, 302):
        location = response.get("Location", "")
        if location in ("/admin/", "/admin") or location.startswith("/admin/login/"):
            return "denied"
        return "redirect"
    return {401: "denied", 403: "denied", 404: "missing", 405: "method"}.get(
        code, "other"
    )


EVERYONE = set(USERS)
JWC_EDITORS = {
    "jwc_editor",
    "jwc_first_reviewer",
    "jwc_second_reviewer",
    "jwc_final_reviewer",
    "jwc_unit_head",
    "xcb_final_reviewer",
    "admin",
}
JWC_PUBLISHERS = {"jwc_final_reviewer", "xcb_final_reviewer", "admin"}
XGB_EDITORS = {"xgb_editor", "xcb_final_reviewer", "admin"}
JWC_ADDERS = {"jwc_collector", "jwc_editor", "admin"}
JWC_ACCOUNT_VIEWERS = {u for u in USERS if u != "xgb_editor"}
JWC_ACCOUNT_MANAGERS = {"jwc_maintainer", "xcb_maintainer", "admin"}
XGB_ACCOUNT_MANAGERS = {"xcb_maintainer", "admin"}
ACCOUNT_ADDERS = JWC_ACCOUNT_MANAGERS
SUPERUSER = {"admin"}
XGB_PUBLISHERS = {"xcb_final_reviewer", "admin"}
PAUSERS_OF_XGB = {"xcb_final_reviewer", "admin"}


def _two_deliveries(release):
    """A sent and a planned delivery of ``release`` (the demo plans them)."""
    revision = release.live_revision
    accounts = list(Account.objects.publishable_by(release.unit).order_by("pk"))
    made = []
    assert len(accounts) >= 2, "the demo gives every unit two accounts"
    for status, account in zip(
        (Delivery.Status.SENT, Delivery.Status.PLANNED), accounts, strict=False
    ):
        delivery, _ = Delivery.objects.update_or_create(
            revision=revision,
            account=account,
            defaults={
                "release": release,
                "status": status,
                "due_at": timezone.now() + timedelta(days=1),
                "next_attempt_at": timezone.now() + timedelta(days=1),
                "platform_id": "walk" if status == Delivery.Status.SENT else "",
                "attempts": 0,
            },
        )
        made.append(delivery)
    return made


#: (route regex, target label regex, who gets "allowed"; everybody else must be
#: denied or get a 404). The first match wins; URLs matching none are recorded
#: (and must not fail with a 5xx) but not compared.
EXPECTED = [
    # Releases: the matrix's View draft / Edit / Delete columns.
    (
        r"admin/pages/<int:page_id>/(edit|view_draft)/$",
        r"jwc (draft|live)",
        JWC_EDITORS,
    ),
    (r"admin/pages/<int:page_id>/(edit|view_draft)/$", r"xgb draft", XGB_EDITORS),
    (r"admin/pages/<int:page_id>/delete/$", r"jwc draft", JWC_EDITORS),
    (r"admin/pages/<int:page_id>/delete/$", r"jwc live", JWC_PUBLISHERS),
    (r"admin/pages/<int:page_id>/delete/$", r"xgb draft", XGB_EDITORS),
    (r"admin/pages/<int:page_id>/unpublish/$", r"jwc live", JWC_PUBLISHERS),
    # Sections are fixed structure.
    (r"admin/pages/<int:page_id>/(edit|delete)/$", r"jwc section", SUPERUSER),
    # The matrix's Create column.
    (r"admin/pages/<int:parent_page_id>/add_subpage/$", r"jwc section", JWC_ADDERS),
    (r"admin/pages/add/.*<int:parent_page_id>/$", r"jwc section", JWC_ADDERS),
    (
        r"admin/pages/add/.*<int:parent_page_id>/$",
        r"xgb section",
        {"xgb_editor", "admin"},
    ),
    # Accounts: the Manage accounts column, and "seeing accounts".
    (r"admin/snippets/channels/account/$", r"", EVERYONE),
    (r"admin/snippets/channels/account/add/$", r"", ACCOUNT_ADDERS),
    (
        r"admin/snippets/channels/account/(edit|delete)/",
        r"jwc account",
        JWC_ACCOUNT_MANAGERS,
    ),
    (
        r"admin/snippets/channels/account/(edit|delete)/",
        r"xgb account",
        XGB_ACCOUNT_MANAGERS,
    ),
    # Security screens.
    (r"admin/security/log/$", r"", {"admin", "xcb_maintainer"}),
    (r"admin/security/lockouts/$", r"", SUPERUSER),
    (r"admin/2fa/reset/", r"", SUPERUSER),
    (r"admin/2fa/$", r"", EVERYONE),
    # Reviews: everybody sees the page (with their own items only).
    (r"admin/reviews/$", r"", EVERYONE),
    # Organisation (units and role assignments): superusers only.
    (
        r"admin/snippets/cms/(unit|roleassignment)/(add/|edit/|delete/|$)",
        r"",
        SUPERUSER,
    ),
    # Wagtail's own settings screens: role groups hold only access_admin.
    (
        r"admin/(users|groups|sites|workflows/list|workflows/tasks/index|redirects"
        r"|collections)/$",
        r"",
        SUPERUSER,
    ),
    (r"admin/(users|groups|sites)/edit/", r"", SUPERUSER),
    # Deliveries: withdrawing takes a post down (publishers), rescheduling is
    # editing the release; retry and cancel are POST only.
    (r"admin/publishing/delivery/<int:pk>/withdraw/$", r"jwc sent", JWC_PUBLISHERS),
    (r"admin/publishing/delivery/<int:pk>/withdraw/$", r"xgb sent", XGB_PUBLISHERS),
    (r"admin/publishing/delivery/<int:pk>/reschedule/$", r"jwc planned", JWC_EDITORS),
    (r"admin/publishing/delivery/<int:pk>/reschedule/$", r"xgb planned", XGB_EDITORS),
    (r"admin/publishing/release/<int:page_id>/withdraw/$", r"jwc live", JWC_PUBLISHERS),
    # Emergency stop: unit heads and final reviewers of the unit, and of the
    # managing department.
    (r"admin/publishing/pauses/<int:pk>/lift/$", r"xgb pause", PAUSERS_OF_XGB),
    # The dashboard.
    (r"admin/$", r"", EVERYONE),
]


def expectation(route, label):
    for route_re, label_re, allowed in EXPECTED:
        if re.match(route_re, route) and re.search(label_re, label):
            return allowed
    return None


def test_permission_walk():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    objects = Objects()
    patterns = [(route, p) for route, p in walk() if route.startswith(PREFIXES)]
    urls = []  # (route, label, url)
    skipped = dict(SKIPPED)
    for route, _pattern in patterns:
        if route in SKIPPED:
            continue
        targets = objects.targets(route)
        if targets is None:
            urls.append((route, "", build(route, {})))
            continue
        if not targets:
            skipped[route] = "no instantiation rule"
            continue
        for label, values in targets:
            url = build(route, values)
            if route != "admin/^.*/$":
                match = resolve(url.split("?")[0])
                assert match.func == _pattern.callback, (route, url, match.route)
            urls.append((route, label, url))

    results = {}  # (url, user) -> (status, outcome)
    for username in USERS:
        client = Client(raise_request_exception=False)
        client.force_login(objects.users[username])
        for route, label, url in urls:
            response = client.get(url)
            results[url, username] = (response.status_code, outcome(response))

    # The table.
    short = {u: u.replace("jwc_", "").replace("_reviewer", "")[:9] for u in USERS}
    lines = [
        "%-70s %-13s %s" % ("URL", "target", " ".join("%9s" % short[u] for u in USERS))
    ]
    for route, label, url in urls:
        lines.append(
            "%-70s %-13s %s"
            % (
                url[:70],
                label[:13],
                " ".join("%9d" % results[url, u][0] for u in USERS),
            )
        )
    outcomes = Counter(o for _status, o in results.values())
    print("\n" + "\n".join(lines))  # noqa: T201
    print("\nskipped patterns (%d):" % len(skipped))  # noqa: T201
    for route, reason in sorted(skipped.items()):
        print("  %s -- %s" % (route, reason))  # noqa: T201

    errors = [
        "%s as %s: %d" % (url, u, s)
        for (url, u), (s, o) in results.items()
        if o == "error"
    ]
    mismatches = []
    checked = 0
    for route, label, url in urls:
        allowed = expectation(route, label)
        if allowed is None:
            continue
        for username in USERS:
            checked += 1
            status, got = results[url, username]
            want = "allowed" if username in allowed else "denied"
            ok = got == want or (
                # A denial may also be a 404; an allowed page may forward
                # (add_subpage goes straight to the only page type's form).
                got == ("missing" if want == "denied" else "redirect")
            )
            if not ok:
                mismatches.append(
                    "%s [%s] as %s: %d (%s), expected %s"
                    % (url, label, username, status, got, want)
                )
    print(  # noqa: T201
        "\nURL patterns: %d (walked %d, skipped %d); URLs: %d; users: %d; "
        "URL x user pairs: %d; compared with the matrix: %d; outcomes: %s"
        % (
            len(patterns),
            len(patterns) - len(skipped),
            len(skipped),
            len(urls),
            len(USERS),
            len(results),
            checked,
            dict(outcomes),
        )
    )
    print("mismatches (%d):\n  %s" % (len(mismatches), "\n  ".join(mismatches)))  # noqa: T201
    print("server errors (%d):\n  %s" % (len(errors), "\n  ".join(errors)))  # noqa: T201
    assert not errors, errors
    assert not mismatches, mismatches
