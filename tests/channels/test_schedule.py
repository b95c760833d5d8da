"""The publishing schedule: an account's windows, caps, spacing and blackout dates
decide when a release may go out, reckoned in Asia/Shanghai (channels.schedule).

November 2026 is the calendar used throughout: Monday 16 to Sunday 22 is ISO week
47, Monday 23 starts week 48.
"""

import time as clock
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.schedule import (
    DEFAULT_WINDOWS,
    SHANGHAI,
    NoSlotError,
    Rules,
    RulesError,
    check_requested_time,
    format_windows,
    is_within_windows,
    next_slot,
    parse_blackout_dates,
    parse_windows,
    rules_for,
    windows_as_json,
)
from tests.i18n import made_from

UTC = timezone.utc


def at(day, hhmm="00:00", tz=SHANGHAI):
    """A time in November 2026, Shanghai time unless ``tz`` says otherwise."""
    hour, minute = map(int, hhmm.split(":"))
    return datetime(2026, 11, day, hour, minute, tzinfo=tz)


def make_account(**fields):
    values = {
        "platform": "wechat_oa",
        "publishing_windows": [],
        "daily_cap": None,
        "weekly_cap": None,
        "min_spacing_minutes": 0,
        "blackout_dates": [],
    }
    values.update(fields)
    return SimpleNamespace(**values)


def make_rules(windows="07:00-09:00, 12:00-14:00, 19:00-22:00", **fields):
    return Rules(windows=parse_windows(windows), **fields)


# ---------------------------------------------------------------------------
# Rules from an account
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "platform, expected",
    [
        ("wechat_oa", "07:00-09:00, 12:00-14:00, 19:00-22:00"),
        ("weibo", "07:00-23:00"),
        ("douyin", "11:00-13:00, 17:00-22:00"),
        ("app", "00:00-24:00"),
    ],
)
def test_an_account_without_windows_gets_its_platforms_defaults(platform, expected):
    """Empty publishing_windows means the platform's default windows."""
    rules = rules_for(make_account(platform=platform))
    assert format_windows(rules) == expected
    assert rules.windows == DEFAULT_WINDOWS[platform]


def test_every_registered_platform_has_default_windows():
    """Each platform an account can be on has default windows."""
    from channels.platforms import all_platforms

    assert {p.code for p in all_platforms()} <= set(DEFAULT_WINDOWS)


def test_an_apps_default_window_covers_the_whole_day():
    """An app account may publish at any time, midnight and 23:59 included."""
    rules = rules_for(make_account(platform="app"))
    for moment in (at(20, "00:00"), at(20, "12:34"), at(20, "23:59")):
        assert is_within_windows(rules, moment)
        assert next_slot(rules, moment) == moment


def test_an_accounts_own_settings_replace_the_defaults():
    """Windows, caps, spacing and blackout dates are read off the account."""
    rules = rules_for(
        make_account(
            platform="weibo",
            publishing_windows=[["18:00", "20:00"], ["08:00", "09:30"]],
            daily_cap=3,
            weekly_cap=10,
            min_spacing_minutes=45,
            blackout_dates=["2026-10-01", "2026-10-02"],
        )
    )
    assert rules == Rules(
        windows=((time(8), time(9, 30)), (time(18), time(20))),
        daily_cap=3,
        weekly_cap=10,
        min_spacing=timedelta(minutes=45),
        blackout_dates=frozenset({date(2026, 10, 1), date(2026, 10, 2)}),
    )


def test_null_json_fields_read_as_empty():
    """A null windows or blackout field reads as none set."""
    rules = rules_for(make_account(publishing_windows=None, blackout_dates=None))
    assert rules.windows == DEFAULT_WINDOWS["wechat_oa"]
    assert rules.blackout_dates == frozenset()


def test_an_unknown_platform_without_windows_is_refused():
    """There is nothing to default to for an unknown platform."""
    with pytest.raises(RulesError) as error:
        rules_for(make_account(platform="myspace"))
    assert made_from(
        str(error.value),
        "The platform %(platform)s has no default windows.",
        platform="myspace",
    )


# ---------------------------------------------------------------------------
# Reading and showing windows
# ---------------------------------------------------------------------------


def test_windows_are_read_from_text_with_any_usual_separator():
    """A form may take "07:00-09:00, 12:00-14:00", Chinese punctuation, dashes,
    "至", one window per line, and 24:00 as an end; windows come back sorted."""
    expected = ((time(7), time(9)), (time(12), time(14)), (time(22), time(0)))
    for text in (
        "07:00-09:00, 12:00-14:00, 22:00-24:00",
        "22:00–24:00；12:00 — 14:00，7:00~9:00",
        "07:00至09:00\n12：00-14：00\n\n22:00-00:00",
        "12:00-14:00、07:00～09:00、22:00-24:00",
    ):
        assert parse_windows(text) == expected, text


def test_windows_shown_as_text_and_json_read_back_the_same():
    """format_windows and windows_as_json give what parse_windows reads."""
    windows = parse_windows([["19:00", "24:00"], ["00:00", "06:30"]])
    assert format_windows(windows) == "00:00-06:30, 19:00-24:00"
    assert windows_as_json(windows) == [["00:00", "06:30"], ["19:00", "24:00"]]
    assert parse_windows(format_windows(windows)) == windows
    assert parse_windows(windows_as_json(windows)) == windows


def test_no_windows_read_as_none():
    """Empty text or an empty list gives no windows: the platform's defaults."""
    assert parse_windows("") == ()
    assert parse_windows(" , ") == ()
    assert parse_windows([]) == ()


@pytest.mark.parametrize(
    "value, message, params",
    [
        (
            [["09:00", "07:00"]],
            "Window %(window)s must start before it ends; split a window across "
            "midnight in two, such as 22:00-24:00 and 00:00-02:00.",
            {"window": "09:00-07:00"},
        ),
        (
            "08:00-08:00",
            "Window %(window)s must start before it ends; split a window across "
            "midnight in two, such as 22:00-24:00 and 00:00-02:00.",
            {"window": "08:00-08:00"},
        ),
        (
            "07:00-09:00, 25:00-26:00",
            "Window %(number)d (%(window)s): write times as HH:MM, from 00:00 to "
            "24:00.",
            {"window": "25:00-26:00"},
        ),
        (
            [["07:00", "09:00"], ["7h", "9h"]],
            "Window %(number)d (%(window)s): write times as HH:MM, from 00:00 to "
            "24:00.",
            {"window": "7h-9h"},
        ),
        (
            "24:00-24:00",
            "Window %(number)d (%(window)s): write times as HH:MM, from 00:00 to "
            "24:00.",
            {"window": "24:00-24:00"},
        ),
        (
            "12:60-13:00",
            "Window %(number)d (%(window)s): write times as HH:MM, from 00:00 to "
            "24:00.",
            {"window": "12:60-13:00"},
        ),
        (
            [["07:00", "09:00", "10:00"]],
            "Window %(number)d (%(window)s) must be a start time and an end time, "
            "such as 07:00-09:00.",
            {"window": "07:00-09:00-10:00"},
        ),
        (
            "07:00",
            "Window %(number)d (%(window)s) must be a start time and an end time, "
            "such as 07:00-09:00.",
            {"window": "07:00"},
        ),
        (
            "12:00-14:00, 07:00-09:00, 13:30-15:00",
            "Windows %(first)s and %(second)s overlap.",
            {"first": "12:00-14:00", "second": "13:30-15:00"},
        ),
        (
            {"start": "07:00"},
            "Write the publishing windows as a list of start and end times.",
            {},
        ),
    ],
)
def test_malformed_windows_are_refused_saying_which(value, message, params):
    """Each malformed window is refused with a message that names it."""
    with pytest.raises(RulesError) as error:
        parse_windows(value)
    assert made_from(str(error.value), message, **params), str(error.value)


def test_the_window_number_counts_from_one_in_the_order_written():
    """The message about a badly written window says which one it is."""
    with pytest.raises(RulesError) as error:
        parse_windows("07:00-09:00, 12:00-14:00, 7 pm-10 pm")
    assert made_from(
        str(error.value),
        "Window %(number)d (%(window)s): write times as HH:MM, from 00:00 to 24:00.",
        number="3",
    )


def test_adjacent_windows_do_not_overlap():
    """A window may start when the previous one ends."""
    assert parse_windows("07:00-09:00, 09:00-10:00") == (
        (time(7), time(9)),
        (time(9), time(10)),
    )


def test_an_accounts_malformed_windows_are_refused():
    """rules_for validates the stored windows too."""
    with pytest.raises(RulesError):
        rules_for(make_account(publishing_windows=[["08:00", "07:00"]]))


@pytest.mark.parametrize("value", ["2026-02-30", "2026/10/01", "1 October", 20261001])
def test_malformed_blackout_dates_are_refused_saying_which(value):
    """A blackout date must be a real date written YYYY-MM-DD."""
    with pytest.raises(RulesError) as error:
        rules_for(make_account(blackout_dates=["2026-10-01", value]))
    assert made_from(
        str(error.value),
        "Blackout date %(value)s is not a date such as 2026-10-01.",
        value=str(value),
    )


def test_blackout_dates_are_read_from_text_too():
    """A form may take the dates as text separated by commas or spaces."""
    assert parse_blackout_dates("2026-10-01, 2026-10-02\n2026-10-03") == {
        date(2026, 10, 1),
        date(2026, 10, 2),
        date(2026, 10, 3),
    }


@pytest.mark.parametrize(
    "fields, message",
    [
        (
            {"daily_cap": -1},
            "The daily cap must be empty or a whole number, 0 or more.",
        ),
        (
            {"weekly_cap": 2.5},
            "The weekly cap must be empty or a whole number, 0 or more.",
        ),
        (
            {"min_spacing_minutes": -5},
            "The minimum spacing must be a whole number of minutes, 0 or more.",
        ),
    ],
)
def test_malformed_caps_and_spacing_are_refused(fields, message):
    """Caps and spacing are whole numbers, 0 or more."""
    with pytest.raises(RulesError) as error:
        rules_for(make_account(**fields))
    assert made_from(str(error.value), message)


def test_rules_need_at_least_one_window():
    """Rules without any window could never publish, so they are refused."""
    with pytest.raises(RulesError) as error:
        Rules(windows=())
    assert made_from(str(error.value), "Give at least one publishing window.")


# ---------------------------------------------------------------------------
# next_slot
# ---------------------------------------------------------------------------


WECHAT = make_rules()


def test_a_time_inside_a_window_is_its_own_slot():
    """Inside a window with nothing in the way, the slot is ``after`` itself."""
    moment = at(20, "12:34") + timedelta(seconds=56, microseconds=7)
    assert next_slot(WECHAT, moment) == moment
    assert next_slot(WECHAT, at(20, "07:00")) == at(20, "07:00")


def test_before_or_between_windows_the_slot_is_the_next_windows_start():
    """Outside the windows, the slot is the start of the next window that day."""
    assert next_slot(WECHAT, at(20, "03:00")) == at(20, "07:00")
    assert next_slot(WECHAT, at(20, "09:00")) == at(20, "12:00")
    assert next_slot(WECHAT, at(20, "16:15")) == at(20, "19:00")


def test_after_the_last_window_the_slot_is_the_next_days_first_window():
    """After the day's last window (its end excluded), the next day's first."""
    assert next_slot(WECHAT, at(20, "22:00")) == at(21, "07:00")
    assert next_slot(WECHAT, at(20, "23:59")) == at(21, "07:00")
    assert next_slot(WECHAT, at(30, "22:30")) == datetime(
        2026, 12, 1, 7, tzinfo=SHANGHAI
    )


def test_blackout_dates_are_skipped_however_many_in_a_row():
    """Nothing goes out on a blackout date: the slot moves past all of them."""
    rules = make_rules(
        blackout_dates=frozenset(date(2026, 11, day) for day in (20, 21, 22, 23))
    )
    assert next_slot(rules, at(20, "08:00")) == at(24, "07:00")
    assert next_slot(rules, at(19, "22:30")) == at(24, "07:00")
    assert next_slot(rules, at(19, "20:00")) == at(19, "20:00")


def test_a_day_at_its_daily_cap_is_skipped():
    """With daily_cap deliveries on a local day, the slot moves to the next day."""
    rules = make_rules(daily_cap=2)
    one = [at(20, "07:30")]
    two = [at(20, "07:30"), at(20, "12:30")]
    assert next_slot(rules, at(20, "19:00"), one) == at(20, "19:00")
    assert next_slot(rules, at(20, "19:00"), two) == at(21, "07:00")
    # Deliveries sent earlier that day count as much as planned ones.
    assert next_slot(rules, at(20, "08:00"), two) == at(21, "07:00")
    full_saturday = two + [at(21, "07:00"), at(21, "08:00")]
    assert next_slot(rules, at(20, "20:00"), full_saturday) == at(22, "07:00")


def test_a_week_at_its_weekly_cap_is_skipped_to_monday():
    """With weekly_cap deliveries in an ISO week, the slot is Monday's first
    window; Sunday's deliveries do not count against the next week."""
    rules = make_rules(weekly_cap=3)
    week_47 = [at(16, "08:00"), at(18, "08:00"), at(22, "08:00")]
    assert next_slot(rules, at(20, "12:00"), week_47) == at(23, "07:00")
    assert next_slot(rules, at(22, "21:00"), week_47) == at(23, "07:00")
    # Two in week 47 leave room on Sunday.
    assert next_slot(rules, at(22, "12:00"), week_47[:2]) == at(22, "12:00")
    # Week 48 has its own count, whatever week 47 holds.
    assert next_slot(rules, at(23, "12:00"), week_47) == at(23, "12:00")


def test_spacing_pushes_the_slot_back():
    """The slot keeps min_spacing from deliveries before and after it."""
    rules = make_rules(min_spacing=timedelta(minutes=30))
    assert next_slot(rules, at(20, "07:00"), [at(20, "07:10")]) == at(20, "07:40")
    assert next_slot(rules, at(20, "07:00"), [at(20, "06:50")]) == at(20, "07:20")
    # Exactly min_spacing apart is allowed.
    assert next_slot(rules, at(20, "07:00"), [at(20, "07:30")]) == at(20, "07:00")
    # A chain of deliveries pushes the slot past all of them.
    chain = [at(20, "07:20"), at(20, "07:45"), at(20, "08:05")]
    assert next_slot(rules, at(20, "07:00"), chain) == at(20, "08:35")


def test_spacing_can_push_the_slot_into_the_next_window():
    """A slot pushed past a window's end goes to the next window's start, or
    later when that start is still too close."""
    rules = make_rules(min_spacing=timedelta(minutes=90))
    assert next_slot(rules, at(20, "08:00"), [at(20, "08:00")]) == at(20, "12:00")
    taken = [at(20, "07:45"), at(20, "11:00")]
    assert next_slot(rules, at(20, "08:00"), taken) == at(20, "12:30")
    assert next_slot(rules, at(20, "21:00"), [at(20, "21:00")]) == at(21, "07:00")


def test_spacing_counts_across_midnight():
    """A delivery late on one day keeps the next morning's slot away from it."""
    rules = make_rules("00:00-24:00", min_spacing=timedelta(hours=2))
    assert next_slot(rules, at(20, "23:30"), [at(20, "23:30")]) == at(21, "01:30")


def test_an_urgent_release_goes_at_once():
    """urgent=True returns ``after``, whatever the windows, caps, spacing and
    blackout dates say."""
    rules = make_rules(
        daily_cap=0,
        weekly_cap=0,
        min_spacing=timedelta(hours=3),
        blackout_dates=frozenset({date(2026, 11, 20)}),
    )
    moment = at(20, "03:17")
    assert next_slot(rules, moment, [moment], urgent=True) == moment
    from_utc = next_slot(rules, at(19, "19:17", tz=UTC), urgent=True)
    assert from_utc == moment
    assert from_utc.tzinfo == SHANGHAI


def test_times_in_other_zones_are_read_as_shanghai_time():
    """An aware datetime in any zone is converted; the slot is in Shanghai time."""
    # 23:00 UTC is 07:00 the next morning in Shanghai: inside the first window.
    slot = next_slot(WECHAT, at(19, "23:00", tz=UTC))
    assert slot == at(20, "07:00")
    assert slot.tzinfo == SHANGHAI
    assert slot.isoformat() == "2026-11-20T07:00:00+08:00"
    # 01:00 UTC is 09:00 in Shanghai: the first window has just ended.
    assert next_slot(WECHAT, at(20, "01:00", tz=UTC)) == at(20, "12:00")


def test_the_local_date_decides_blackouts_caps_and_weeks():
    """2026-11-22T17:30Z is Sunday in UTC but 01:30 on Monday 23 in Shanghai:
    Monday's blackout, daily count and week apply to it."""
    utc_sunday_evening = at(22, "17:30", tz=UTC)
    assert utc_sunday_evening.astimezone(SHANGHAI) == at(23, "01:30")
    everywhere = "00:00-24:00"

    monday_off = make_rules(everywhere, blackout_dates=frozenset({date(2026, 11, 23)}))
    assert next_slot(monday_off, utc_sunday_evening) == at(24, "00:00")

    sunday_off = make_rules(everywhere, blackout_dates=frozenset({date(2026, 11, 22)}))
    assert next_slot(sunday_off, utc_sunday_evening) == at(23, "01:30")

    # A delivery at 20:00 UTC on Sunday is on Monday 23 local: the daily cap of
    # one is reached for Monday.
    monday_delivery = [at(22, "20:00", tz=UTC)]
    daily = make_rules(everywhere, daily_cap=1)
    assert next_slot(daily, utc_sunday_evening, monday_delivery) == at(24, "00:00")

    # Three deliveries on Sunday 22 local fill week 47, not week 48.
    weekly = make_rules(everywhere, weekly_cap=3)
    sunday = [at(22, "09:00"), at(22, "10:00"), at(22, "11:00")]
    assert next_slot(weekly, utc_sunday_evening, sunday) == at(23, "01:30")
    assert check_requested_time(weekly, utc_sunday_evening, sunday) == []


def test_naive_datetimes_are_refused():
    """Naive datetimes have no zone to convert from: ValueError."""
    naive = datetime(2026, 11, 20, 8)
    with pytest.raises(ValueError, match="timezone-aware"):
        next_slot(WECHAT, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        next_slot(WECHAT, at(20, "08:00"), [naive])
    with pytest.raises(ValueError, match="timezone-aware"):
        check_requested_time(WECHAT, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        is_within_windows(WECHAT, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        next_slot(WECHAT, naive, urgent=True)


def test_no_slot_when_every_day_is_blacked_out():
    """If nothing fits within the horizon, NoSlotError says so."""
    rules = make_rules(
        blackout_dates=frozenset(
            date(2026, 11, 20) + timedelta(days=n) for n in range(500)
        )
    )
    with pytest.raises(NoSlotError) as error:
        next_slot(rules, at(20, "08:00"))
    assert made_from(
        str(error.value),
        "No time within %(days)d days after %(after)s fits the account's "
        "publishing windows, caps and blackout dates.",
        days="400",
        after="2026-11-20 08:00",
    )
    # Past the blackout, a longer horizon finds a slot.
    later = next_slot(rules, at(20, "08:00"), horizon_days=600)
    assert later == datetime(2028, 4, 3, 7, tzinfo=SHANGHAI)


def test_no_slot_with_a_cap_of_zero():
    """A daily or weekly cap of 0 never allows a release."""
    for rules in (make_rules(daily_cap=0), make_rules(weekly_cap=0)):
        with pytest.raises(NoSlotError):
            next_slot(rules, at(20, "08:00"))


def test_the_horizon_counts_local_days():
    """horizon_days=1 looks at after's local day and the next, no further."""
    rules = make_rules(blackout_dates=frozenset({date(2026, 11, 20)}))
    assert next_slot(rules, at(20, "08:00"), horizon_days=1) == at(21, "07:00")
    with pytest.raises(NoSlotError):
        next_slot(rules, at(20, "08:00"), horizon_days=0)


def test_thousands_of_deliveries_are_handled_quickly():
    """next_slot jumps from delivery to delivery instead of minute by minute: a
    month of deliveries every ten minutes takes well under a second."""
    rules = make_rules("00:00-24:00", min_spacing=timedelta(minutes=10))
    start = at(1, "00:00")
    taken = [start + timedelta(minutes=10 * n) for n in range(30 * 144)]
    taken.reverse()  # any order
    began = clock.perf_counter()
    slot = next_slot(rules, start, taken)
    problems = check_requested_time(rules, slot - timedelta(minutes=5), taken)
    elapsed = clock.perf_counter() - began
    assert slot == datetime(2026, 12, 1, 0, 0, tzinfo=SHANGHAI)
    assert len(problems) == 1
    assert elapsed < 1, elapsed


# ---------------------------------------------------------------------------
# is_within_windows and check_requested_time
# ---------------------------------------------------------------------------


def test_a_window_includes_its_start_and_excludes_its_end():
    """07:00-09:00 allows 07:00 and 08:59:59, not 09:00 or 06:59."""
    assert is_within_windows(WECHAT, at(20, "07:00"))
    assert is_within_windows(WECHAT, at(20, "09:00") - timedelta(seconds=1))
    assert not is_within_windows(WECHAT, at(20, "09:00"))
    assert not is_within_windows(WECHAT, at(20, "06:59"))
    # 23:00 UTC is 07:00 in Shanghai.
    assert is_within_windows(WECHAT, at(19, "23:00", tz=UTC))


def test_an_allowed_time_has_no_problems():
    """A time inside a window with room left and nothing close is allowed."""
    rules = make_rules(daily_cap=2, weekly_cap=5, min_spacing=timedelta(minutes=30))
    taken = [at(20, "07:00"), at(19, "12:00")]
    assert check_requested_time(rules, at(20, "12:30"), taken) == []
    assert check_requested_time(rules, at(20, "07:30"), taken) == []


def test_a_time_outside_the_windows_is_a_problem():
    """The editor is told the time is outside the windows, and which they are."""
    problems = check_requested_time(WECHAT, at(20, "10:15"))
    assert len(problems) == 1
    assert made_from(
        problems[0],
        "%(time)s is outside the publishing windows (%(windows)s).",
        time="10:15",
        windows="07:00-09:00, 12:00-14:00, 19:00-22:00",
    )


def test_a_blackout_date_is_a_problem():
    """The editor is told the date is one without publishing."""
    rules = make_rules(blackout_dates=frozenset({date(2026, 11, 20)}))
    [problem] = check_requested_time(rules, at(20, "08:00"))
    assert made_from(
        problem,
        "%(date)s is a date without publishing for this account.",
        date="2026-11-20",
    )


def test_a_full_day_is_a_problem():
    """The editor is told the day already has its most releases."""
    rules = make_rules(daily_cap=1)
    [problem] = check_requested_time(rules, at(20, "20:00"), [at(20, "07:30")])
    assert made_from(
        problem,
        "%(date)s already has the most releases allowed per day (%(cap)d).",
        date="2026-11-20",
        cap="1",
    )


def test_a_full_week_is_a_problem():
    """The editor is told the week (named by its Monday) is full."""
    rules = make_rules(weekly_cap=2)
    taken = [at(16, "08:00"), at(17, "08:00")]
    [problem] = check_requested_time(rules, at(22, "20:00"), taken)
    assert made_from(
        problem,
        "The week of %(monday)s already has the most releases allowed per week "
        "(%(cap)d).",
        monday="2026-11-16",
        cap="2",
    )
    assert check_requested_time(rules, at(23, "08:00"), taken) == []


def test_a_time_too_close_to_another_release_is_a_problem():
    """The editor is told which deliveries are too close, by their time."""
    rules = make_rules(min_spacing=timedelta(minutes=60))
    taken = [at(20, "12:10"), at(20, "12:40"), at(20, "14:00"), at(19, "12:00")]
    [problem] = check_requested_time(rules, at(20, "13:00"), taken)
    assert made_from(
        problem,
        "Less than %(minutes)d minutes from another release to this account "
        "(at %(times)s).",
        minutes="60",
        times="12:10, 12:40",
    )


def test_a_close_release_on_another_day_shows_its_date():
    """A delivery across midnight is named with its date."""
    rules = make_rules("00:00-24:00", min_spacing=timedelta(minutes=60))
    [problem] = check_requested_time(rules, at(21, "00:10"), [at(20, "23:30")])
    assert made_from(
        problem,
        "Less than %(minutes)d minutes from another release to this account "
        "(at %(times)s).",
        times="2026-11-20 23:30",
    )


def test_every_problem_is_listed():
    """A time that breaks every rule gets one message per rule broken."""
    rules = make_rules(
        daily_cap=1,
        weekly_cap=1,
        min_spacing=timedelta(minutes=30),
        blackout_dates=frozenset({date(2026, 11, 20)}),
    )
    problems = check_requested_time(rules, at(20, "10:00"), [at(20, "10:20")])
    assert len(problems) == 5
    assert all(made_from(p, m) for p, m in zip(problems, PROBLEMS, strict=True))


PROBLEMS = [
    "%(time)s is outside the publishing windows (%(windows)s).",
    "%(date)s is a date without publishing for this account.",
    "%(date)s already has the most releases allowed per day (%(cap)d).",
    "The week of %(monday)s already has the most releases allowed per week (%(cap)d).",
    "Less than %(minutes)d minutes from another release to this account "
    "(at %(times)s).",
]


# ---------------------------------------------------------------------------
# The property: next_slot gives the earliest allowed time
# ---------------------------------------------------------------------------

#: Friday 20 November 2026, 00:00 in Shanghai; the horizon runs into week 48.
BASE = at(20, "00:00")
HORIZON = 2
ZONES = [SHANGHAI, UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9))]


def _minute_time(minutes):
    return time(0) if minutes == 1440 else time(minutes // 60, minutes % 60)


@st.composite
def small_rules(draw):
    """One to three windows on a half-hour grid, small caps and spacing, and a
    few blackout dates around the horizon."""
    points = sorted(
        draw(st.lists(st.integers(0, 48), min_size=2, max_size=6, unique=True))
    )
    points = [30 * p for p in points[: len(points) // 2 * 2]]
    windows = tuple(
        (_minute_time(start), _minute_time(end))
        for start, end in zip(points[::2], points[1::2], strict=True)
    )
    days = [BASE.date() + timedelta(days=n) for n in range(-1, HORIZON + 2)]
    spacing = draw(st.sampled_from([0, 1, 10, 30, 60, 90, 240]))
    return Rules(
        windows=windows,
        daily_cap=draw(st.sampled_from([None, None, None, None, 0, 2, 3, 4])),
        weekly_cap=draw(st.sampled_from([None, None, None, None, 0, 2, 3, 5])),
        min_spacing=timedelta(minutes=spacing),
        blackout_dates=frozenset(draw(st.lists(st.sampled_from(days), max_size=3))),
    )


@st.composite
def moments(draw, lowest, highest, steps):
    """A minute-aligned time ``lowest`` to ``highest`` minutes after BASE, on a
    grid of one of ``steps`` minutes (coarse grids hit the boundaries), in one
    of ZONES."""
    step = draw(st.sampled_from(steps))
    minutes = draw(st.integers(lowest // step, highest // step)) * step
    return (BASE + timedelta(minutes=minutes)).astimezone(draw(st.sampled_from(ZONES)))


def earliest_allowed_minute(rules, after, taken, days):
    """The first whole minute from ``after`` (minute-aligned) to the end of the
    local day ``days`` after ``after``'s that the schedule allows, found the
    plain way by trying each one in turn; None if there is none.

    Times are counted in minutes since BASE, local time.
    """

    def minutes(moment):
        assert moment.second == moment.microsecond == 0
        return (moment - BASE) // timedelta(minutes=1)

    def date_of(minute):
        return BASE.date() + timedelta(days=minute // 1440)

    others = [minutes(moment) for moment in taken]
    per_day = Counter(date_of(other) for other in others)
    per_week = Counter(date_of(other).isocalendar()[:2] for other in others)
    windows = [
        (start.hour * 60 + start.minute, end.hour * 60 + end.minute or 1440)
        for start, end in rules.windows
    ]
    spacing = rules.min_spacing // timedelta(minutes=1)
    first = minutes(after)
    for minute in range(first, (first // 1440 + days + 1) * 1440):
        if not any(start <= minute % 1440 < end for start, end in windows):
            continue
        day = date_of(minute)
        if (
            day not in rules.blackout_dates
            and (rules.daily_cap is None or per_day[day] < rules.daily_cap)
            and (
                rules.weekly_cap is None
                or per_week[day.isocalendar()[:2]] < rules.weekly_cap
            )
            and all(abs(minute - other) >= spacing for other in others)
        ):
            return BASE + timedelta(minutes=minute)
    return None


@st.composite
def scenarios(draw):
    """Rules, a time to start from, and other deliveries, often a few ten-minute
    steps from a window's start or end (or from each other), so that the start
    time and the spacing often meet a boundary exactly."""
    rules = draw(small_rules())
    boundaries = [
        datetime.combine(BASE.date() + timedelta(days=day), moment, tzinfo=SHANGHAI)
        for window in rules.windows
        for moment in window
        for day in range(0, HORIZON + 1)
    ]
    zone = st.sampled_from(ZONES)
    if draw(st.booleans()):
        after = draw(moments(0, 1440 * (HORIZON + 1) - 1, [1, 10, 30]))
    else:
        after = draw(st.sampled_from(boundaries)).astimezone(draw(zone))
        after += timedelta(minutes=10 * draw(st.integers(-3, 3)))
    taken = draw(st.lists(moments(-1440, 1440 * (HORIZON + 2), [5, 30]), max_size=4))
    boundaries.append(after)
    for _ in range(draw(st.integers(0, 8))):
        boundary = draw(st.sampled_from(boundaries + taken))
        step = timedelta(minutes=10 * draw(st.integers(-12, 12)))
        taken.append((boundary + step).astimezone(draw(zone)))
    return rules, after, taken


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_next_slot_is_the_earliest_allowed_minute(scenario):
    """next_slot's answer is ≥ after, has no problems, and no earlier minute from
    after on is allowed; NoSlotError means no minute within the horizon is."""
    rules, after, taken = scenario
    expected = earliest_allowed_minute(rules, after, taken, HORIZON)
    try:
        slot = next_slot(rules, after, taken, horizon_days=HORIZON)
    except NoSlotError:
        assert expected is None
        return
    assert slot == expected
    assert slot >= after
    assert slot.tzinfo == SHANGHAI
    assert check_requested_time(rules, slot, taken) == []
    if slot > after:
        assert check_requested_time(rules, slot - timedelta(minutes=1), taken) != []
