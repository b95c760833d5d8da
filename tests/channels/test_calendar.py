"""The publishing calendar (发布日历): a week of deliveries in Asia/Shanghai, per
unit and per account, seen only by people of the units concerned; and moving a
planned delivery (改期) with a reason when the time is off the schedule."""

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from wagtail.models import PageLogEntry

from channels import engine
from channels.calendar_views import week_bounds, week_start
from channels.engine import DeliveryActionError
from channels.models import Delivery, ReleaseTarget
from channels.rescheduling import (
    ACTION,
    OffScheduleError,
    reschedule_delivery,
)
from cms.models import Role
from tests.i18n import site_gettext
from tests.utils import (
    make_account,
    make_managing_department,
    make_release,
    make_unit,
    make_user,
)

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
Status = Delivery.Status
CALENDAR = reverse("channels_calendar")


def local(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def deliver(release, account, at, status=Status.PLANNED, **fields):
    """A delivery of a new revision of ``release`` to ``account`` at ``at``."""
    if status == Status.SENT:
        fields.setdefault("sent_at", at)
    return Delivery.objects.create(
        release=release,
        revision=release.save_revision(),
        account=account,
        status=status,
        due_at=at,
        next_attempt_at=at,
        **fields,
    )


def reschedule_url(delivery):
    return reverse("channels_reschedule", args=[delivery.pk])


def shown(message, **params):
    return escape(site_gettext(message, **params))


def messages_of(response):
    return [str(message).strip() for message in get_messages(response.wsgi_request)]


def assert_refused(response):
    """Wagtail's refusal in the admin: back to the dashboard, with a message."""
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")
    assert site_gettext(
        "Sorry, you do not have permission to access this area."
    ) in messages_of(response)


def deliveries_on_page(response):
    """{delivery id: the date of the column it is in}."""
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    return {
        int(item["data-delivery"]): section["data-date"]
        for section in soup.select("section[data-date]")
        for item in section.select("[data-delivery]")
    }


@pytest.fixture
def world():
    """Units A and B, each with a Weibo account, an editor and a release; a
    maintainer and an archivist of A; the managing department's editor."""
    managing = make_managing_department()
    a, b = make_unit("教务处", "jwc"), make_unit("后勤处", "hqc")
    account_a = make_account(a, "weibo", name="教务处微博")
    account_b = make_account(b, "weibo", name="后勤处微博")
    return {
        "a": a,
        "b": b,
        "account_a": account_a,
        "account_b": account_b,
        "app_a": make_account(a, "app", name="教务处App"),
        "editor_a": make_user("editor-a", roles=[(a, Role.EDITOR)]),
        "editor_b": make_user("editor-b", roles=[(b, Role.EDITOR)]),
        "maintainer_a": make_user("maint-a", roles=[(a, Role.MAINTAINER)]),
        "archivist_a": make_user("arch-a", roles=[(a, Role.ARCHIVIST)]),
        "managing_editor": make_user("xcb", roles=[(managing, Role.EDITOR)]),
        "release_a": make_release(
            a, title="教务处的稿件", targets=[ReleaseTarget(account=account_a)]
        ),
        "release_b": make_release(
            b, title="后勤处的稿件", targets=[ReleaseTarget(account=account_b)]
        ),
    }


def next_week_day(weekday):
    """A date in next week (Shanghai), on ``weekday`` (0 = Monday)."""
    today = timezone.now().astimezone(SHANGHAI).date()
    return week_start(today) + timedelta(days=7 + weekday)


# ---------------------------------------------------------------------------
# Weeks


def test_a_week_runs_monday_to_sunday_in_shanghai():
    """The week of a Wednesday starts on its Monday at 00:00 Shanghai time,
    which is Sunday 16:00 UTC, and ends seven days later."""
    monday = week_start(date(2026, 3, 4))
    assert monday == date(2026, 3, 2)
    start, end = week_bounds(monday)
    assert start == datetime(2026, 3, 1, 16, 0, tzinfo=ZoneInfo("UTC"))
    assert end - start == timedelta(days=7)
    assert week_start(date(2026, 3, 8)) == monday  # Sunday
    assert week_start(date(2026, 3, 9)) == date(2026, 3, 9)  # next Monday


def test_deliveries_sit_in_their_shanghai_day(client, world):
    """Sunday 23:30 in Shanghai (15:30 UTC) is in Sunday's column; Monday 00:10
    (still Sunday in UTC) belongs to the next week; a sent delivery sits where it
    went out."""
    release, account = world["release_a"], world["account_a"]
    sunday_night = deliver(release, account, local(date(2026, 3, 8), 23, 30))
    next_monday = deliver(release, account, local(date(2026, 3, 9), 0, 10))
    sent = deliver(
        release,
        account,
        local(date(2026, 3, 3), 8),
        Status.SENT,
        sent_at=local(date(2026, 3, 4), 9),
    )
    client.force_login(world["editor_a"])

    response = client.get(CALENDAR, {"week": "2026-03-04"})
    assert response.status_code == 200
    found = deliveries_on_page(response)
    assert found == {sunday_night.pk: "2026-03-08", sent.pk: "2026-03-04"}
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    columns = [s["data-date"] for s in soup.select("section[data-date]")]
    assert columns == ["2026-03-0%d" % n for n in range(2, 9)]

    following = deliveries_on_page(client.get(CALENDAR, {"week": "2026-03-09"}))
    assert following == {next_monday.pk: "2026-03-09"}


def test_entries_link_to_the_release_and_show_account_and_status(client, world):
    """Each entry shows its time, account and status, and links to the editor."""
    at = local(date(2026, 3, 4), 12, 5)
    delivery = deliver(world["release_a"], world["account_a"], at, Status.FAILED)
    client.force_login(world["editor_a"])
    html = client.get(CALENDAR, {"week": "2026-03-04"}).content.decode()
    soup = BeautifulSoup(html, "html.parser")
    entry = soup.select_one('[data-delivery="%d"]' % delivery.pk)
    assert "rm-cal__entry--failed" in entry["class"]
    text = entry.get_text()
    assert "12:05" in text
    assert str(world["account_a"]) in text
    assert site_gettext("failed") in text
    link = entry.find("a", string="教务处的稿件")
    assert link["href"] == reverse(
        "wagtailadmin_pages:edit", args=[world["release_a"].pk]
    )


def test_previous_next_and_this_week_keep_the_filters(client, world):
    """The week links move by seven days and keep the unit and account filters."""
    client.force_login(world["editor_a"])
    response = client.get(
        CALENDAR, {"week": "2026-03-04", "account": world["account_a"].pk}
    )
    context = response.context
    assert "week=2026-02-23" in context["previous_url"]
    assert "week=2026-03-09" in context["next_url"]
    monday = week_start(timezone.now().astimezone(SHANGHAI).date())
    assert "week=%s" % monday.isoformat() in context["today_url"]
    for url in (context["previous_url"], context["next_url"], context["today_url"]):
        assert "account=%d" % world["account_a"].pk in url


def test_without_a_week_the_calendar_shows_this_week(client, world):
    client.force_login(world["editor_a"])
    response = client.get(CALENDAR)
    today = timezone.now().astimezone(SHANGHAI).date()
    assert response.context["monday"] == week_start(today)


# ---------------------------------------------------------------------------
# Filters and who sees what


def test_filters_by_account_unit_and_status(client, world):
    """The account, unit and status filters each narrow the week."""
    day = date(2026, 3, 4)
    weibo = deliver(world["release_a"], world["account_a"], local(day, 9))
    app = deliver(world["release_a"], world["app_a"], local(day, 10), Status.SENT)
    other = deliver(world["release_b"], world["account_b"], local(day, 11))
    client.force_login(world["managing_editor"])

    def shown_ids(**params):
        response = client.get(CALENDAR, {"week": day.isoformat(), **params})
        return set(deliveries_on_page(response))

    assert shown_ids() == {weibo.pk, app.pk, other.pk}
    assert shown_ids(account=world["app_a"].pk) == {app.pk}
    assert shown_ids(unit=world["a"].pk) == {weibo.pk, app.pk}
    assert shown_ids(unit=world["b"].pk) == {other.pk}
    assert shown_ids(status=Status.SENT) == {app.pk}
    # A filter that does not make sense is left out; the others still apply.
    assert shown_ids(account=world["app_a"].pk, status="nonsense") == {app.pk}


def test_other_statuses_are_muted(client, world):
    """Cancelled and withdrawn deliveries are shown, in the muted style."""
    day = date(2026, 3, 4)
    cancelled = deliver(
        world["release_a"], world["account_a"], local(day, 9), Status.CANCELLED
    )
    client.force_login(world["editor_a"])
    soup = BeautifulSoup(
        client.get(CALENDAR, {"week": day.isoformat()}).content.decode(),
        "html.parser",
    )
    entry = soup.select_one('[data-delivery="%d"]' % cancelled.pk)
    assert "rm-cal__entry--muted" in entry["class"]


def test_a_unit_sees_only_its_own_deliveries(client, world):
    """An editor of A sees A's deliveries, not B's, and cannot filter for B's
    unit or account (they are not offered, and asking for them shows nothing)."""
    day = date(2026, 3, 4)
    own = deliver(world["release_a"], world["account_a"], local(day, 9))
    deliver(world["release_b"], world["account_b"], local(day, 10))
    client.force_login(world["editor_a"])
    response = client.get(CALENDAR, {"week": day.isoformat()})
    assert set(deliveries_on_page(response)) == {own.pk}
    assert "后勤处的稿件" not in response.content.decode()
    form = response.context["form"]
    assert list(form.fields["unit"].queryset) == [world["a"]]
    assert world["account_b"] not in form.fields["account"].queryset
    response = client.get(CALENDAR, {"week": day.isoformat(), "unit": world["b"].pk})
    assert "后勤处的稿件" not in response.content.decode()
    response = client.get(
        CALENDAR, {"week": day.isoformat(), "account": world["account_b"].pk}
    )
    assert "后勤处的稿件" not in response.content.decode()


def test_a_release_to_another_units_account_is_seen_by_both(client, world):
    """B's release sent to an account of A (opened to B) shows in both units'
    calendars: it is B's release and A's account."""
    world["account_a"].publishing_units.add(world["b"])
    shared = deliver(world["release_b"], world["account_a"], local(date(2026, 3, 4), 9))
    for user in ("editor_a", "editor_b"):
        client.force_login(world[user])
        response = client.get(CALENDAR, {"week": "2026-03-04"})
        assert shared.pk in deliveries_on_page(response), user


def test_superusers_and_the_managing_department_see_every_unit(client, world):
    day = date(2026, 3, 4)
    ids = {
        deliver(world["release_a"], world["account_a"], local(day, 9)).pk,
        deliver(world["release_b"], world["account_b"], local(day, 10)).pk,
    }
    admin = make_user("root", is_superuser=True)
    for user in (admin, world["managing_editor"]):
        client.force_login(user)
        response = client.get(CALENDAR, {"week": day.isoformat()})
        assert set(deliveries_on_page(response)) == ids


def test_roles_without_the_calendar_are_refused(client, world):
    """An archivist (no calendar role) is refused, and the menu does not offer
    the calendar; an editor finds it in the 发布 menu."""
    client.force_login(world["archivist_a"])
    assert_refused(client.get(CALENDAR))
    assert CALENDAR not in client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(world["editor_a"])
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert CALENDAR in home
    # The sidebar menu is a JSON script, where non-ASCII text is \uXXXX-escaped.
    sidebar = BeautifulSoup(home, "html.parser").find(id="wagtail-sidebar-props")
    labels = json.dumps(json.loads(sidebar.string), ensure_ascii=False)
    assert site_gettext("Publishing") in labels


def test_signed_out_visitors_are_sent_to_log_in(client):
    response = client.get(CALENDAR)
    assert response.status_code == 302
    assert reverse("wagtailadmin_login") in response["Location"]


# ---------------------------------------------------------------------------
# Moving a delivery


def test_moving_within_the_windows_needs_no_reason(client, world):
    """An editor moves a planned delivery to another time inside the account's
    windows: due, next attempt and requested times change, the calendar shows
    the new week, and the release's history records it."""
    day = next_week_day(2)
    delivery = deliver(world["release_a"], world["account_a"], local(day, 9))
    client.force_login(world["editor_a"])
    form = client.get(reschedule_url(delivery))
    assert form.status_code == 200
    assert (
        'value="%s"' % local(day, 9).strftime("%Y-%m-%dT%H:%M") in form.content.decode()
    )

    new_time = local(day + timedelta(days=1), 14, 30)
    response = client.post(
        reschedule_url(delivery),
        {"due_at": new_time.strftime("%Y-%m-%dT%H:%M"), "reason": ""},
    )
    assert response.status_code == 302
    assert "week=%s" % (day + timedelta(days=1)).isoformat() in response["Location"]
    delivery.refresh_from_db()
    assert delivery.due_at == new_time
    assert delivery.next_attempt_at == new_time
    assert delivery.requested_at == new_time
    assert delivery.off_window_reason == ""
    assert delivery.status == Status.PLANNED

    entry = PageLogEntry.objects.get(action=ACTION)
    assert entry.page_id == world["release_a"].pk
    assert entry.user == world["editor_a"]
    assert entry.data["delivery"] == delivery.pk
    assert entry.data["to"] == new_time.isoformat()
    assert entry.data["from"] == local(day, 9).isoformat()
    assert entry.message == site_gettext(
        "Delivery to %(account)s moved from %(old)s to %(new)s",
        account=str(world["account_a"]),
        old=local(day, 9).strftime("%Y-%m-%d %H:%M"),
        new=new_time.strftime("%Y-%m-%d %H:%M"),
    )
    assert messages_of(response) == [
        site_gettext(
            "The delivery to %(account)s now goes out at %(time)s.",
            account=str(world["account_a"]),
            time=new_time.strftime("%Y-%m-%d %H:%M"),
        )
    ]


def test_a_time_outside_the_windows_needs_a_reason(client, world):
    """03:00 is outside Weibo's default windows (07:00-23:00): without a reason
    the form is refused, keeps what was typed and says why; with one, the move
    is made and the reason kept on the delivery and in the history."""
    day = next_week_day(3)
    delivery = deliver(world["release_a"], world["account_a"], local(day, 9))
    client.force_login(world["editor_a"])
    typed = local(day, 3).strftime("%Y-%m-%dT%H:%M")

    refused = client.post(reschedule_url(delivery), {"due_at": typed, "reason": ""})
    assert refused.status_code == 200
    html = refused.content.decode()
    assert 'value="%s"' % typed in html
    assert (
        shown("Give a reason for publishing at a time the schedule does not allow.")
        in html
    )
    assert (
        shown(
            "%(time)s is outside the publishing windows (%(windows)s).",
            time="03:00",
            windows="07:00-23:00",
        )
        in html
    )
    delivery.refresh_from_db()
    assert delivery.due_at == local(day, 9)
    assert not PageLogEntry.objects.filter(action=ACTION).exists()

    moved = client.post(
        reschedule_url(delivery), {"due_at": typed, "reason": "考试时间提前"}
    )
    assert moved.status_code == 302
    delivery.refresh_from_db()
    assert delivery.due_at == local(day, 3)
    assert delivery.off_window_reason == "考试时间提前"
    entry = PageLogEntry.objects.get(action=ACTION)
    assert entry.data["reason"] == "考试时间提前"
    assert entry.data["problems"]
    assert "考试时间提前" in entry.message


def test_a_past_time_is_refused(client, world):
    delivery = deliver(
        world["release_a"], world["account_a"], local(next_week_day(1), 9)
    )
    client.force_login(world["editor_a"])
    yesterday = timezone.now() - timedelta(days=1)
    response = client.post(
        reschedule_url(delivery),
        {"due_at": yesterday.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 200
    assert shown("Choose a time that has not passed yet.") in response.content.decode()


def test_only_planned_untried_deliveries_move(client, world):
    """A sent delivery, or a planned one already tried, cannot be moved: the
    calendar offers no link and the form sends the user back with a message."""
    day = next_week_day(1)
    sent = deliver(world["release_a"], world["account_a"], local(day, 9), Status.SENT)
    tried = deliver(world["release_a"], world["account_a"], local(day, 10), attempts=1)
    client.force_login(world["editor_a"])
    html = client.get(CALENDAR, {"week": day.isoformat()}).content.decode()
    assert reschedule_url(sent) not in html
    assert reschedule_url(tried) not in html
    response = client.get(reschedule_url(sent))
    assert response.status_code == 302
    assert messages_of(response) == [
        site_gettext(
            "Only planned deliveries that have not been tried yet can be moved; "
            "this one is %(status)s.",
            status=site_gettext("sent"),
        )
    ]
    with pytest.raises(DeliveryActionError):
        reschedule_delivery(tried, local(day, 12), "", world["editor_a"])


def test_another_units_delivery_cannot_be_moved(client, world):
    """An editor of B asking for A's delivery by its address gets 404, and a
    post changes nothing."""
    day = next_week_day(2)
    delivery = deliver(world["release_a"], world["account_a"], local(day, 9))
    client.force_login(world["editor_b"])
    assert client.get(reschedule_url(delivery)).status_code == 404
    response = client.post(
        reschedule_url(delivery),
        {"due_at": local(day, 12).strftime("%Y-%m-%dT%H:%M"), "reason": "x"},
    )
    assert response.status_code == 404
    delivery.refresh_from_db()
    assert delivery.due_at == local(day, 9)


def test_seeing_is_not_moving(client, world):
    """A maintainer of A sees A's calendar but may not edit releases, so gets no
    link and is refused; the function refuses too."""
    day = next_week_day(2)
    delivery = deliver(world["release_a"], world["account_a"], local(day, 9))
    client.force_login(world["maintainer_a"])
    html = client.get(CALENDAR, {"week": day.isoformat()}).content.decode()
    assert 'data-delivery="%d"' % delivery.pk in html
    assert reschedule_url(delivery) not in html
    assert_refused(client.get(reschedule_url(delivery)))
    assert_refused(
        client.post(
            reschedule_url(delivery),
            {"due_at": local(day, 12).strftime("%Y-%m-%dT%H:%M")},
        )
    )
    delivery.refresh_from_db()
    assert delivery.due_at == local(day, 9)
    with pytest.raises(PermissionDenied):
        reschedule_delivery(delivery, local(day, 12), "", world["maintainer_a"])


def test_reschedule_function_checks_the_schedule(world):
    """``reschedule_delivery`` refuses an off-schedule time without a reason with
    the problems listed; the delivery's own time does not count against it."""
    account = world["account_a"]
    account.daily_cap = 1
    account.save()
    day = next_week_day(4)
    delivery = deliver(world["release_a"], account, local(day, 9))
    # Moving within the same day: its own slot does not use up the daily cap.
    moved = reschedule_delivery(delivery, local(day, 10), "", world["editor_a"])
    assert moved.due_at == local(day, 10)
    # The next day already has one: the cap is reached there.
    deliver(world["release_a"], account, local(day + timedelta(days=1), 9))
    with pytest.raises(OffScheduleError) as refused:
        reschedule_delivery(
            delivery, local(day + timedelta(days=1), 15), "", world["editor_a"]
        )
    assert refused.value.problems == [
        site_gettext(
            "%(date)s already has the most releases allowed per day (%(cap)d).",
            date=(day + timedelta(days=1)).isoformat(),
            cap=1,
        )
    ]


def test_deliveries_the_engine_planned_can_be_moved(world):
    """A delivery planned by the engine on publishing moves like any other."""
    release = world["release_a"]
    release.is_urgent = True
    release.save()
    (delivery,) = engine.plan_deliveries(release, release.save_revision())
    target = timezone.now() + timedelta(days=2)
    target = target.astimezone(SHANGHAI).replace(hour=12, minute=0, second=0)
    target = target.replace(microsecond=0)
    moved = reschedule_delivery(delivery, target, "", world["editor_a"])
    assert moved.next_attempt_at == target
