"""Work out when a release may go out on an account: the publishing schedule.

Each account publishes only inside its windows (times of day), on dates that are
not blacked out, within its daily and weekly caps, and at least its minimum
spacing away from its other deliveries; urgent releases go at once. Everything
is reckoned in Asia/Shanghai local time, whatever zone the datetimes come in.

Pure functions: no queries, no request. The caller passes the times of the
account's deliveries already planned or sent as ``taken``.

A window is a pair of times, start included and end excluded; an end of
``time(0)`` (written "24:00") means midnight at the end of the day. A window
cannot run past midnight: write 22:00-02:00 as 22:00-24:00 and 00:00-02:00.
"""

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext

SHANGHAI = ZoneInfo("Asia/Shanghai")

#: How many days after ``after`` ``next_slot`` looks before giving up.
HORIZON_DAYS = 400

_DAY = timedelta(days=1)
_MIDNIGHT = time(0)

#: The windows of an account that leaves ``publishing_windows`` empty, by
#: platform code (from the seeds of the new-media regulations).
DEFAULT_WINDOWS = {
    "wechat_oa": (
        (time(7), time(9)),
        (time(12), time(14)),
        (time(19), time(22)),
    ),
    "weibo": ((time(7), time(23)),),
    "douyin": (
        (time(11), time(13)),
        (time(17), time(22)),
    ),
    "app": ((_MIDNIGHT, _MIDNIGHT),),  # any time: 00:00-24:00
}


class RulesError(ValueError):
    """A schedule setting is malformed; the message says which and how."""


class NoSlotError(Exception):
    """No time within the search horizon satisfies the schedule."""


@dataclass(frozen=True)
class Rules:
    """The publishing schedule of one account.

    ``windows`` is kept sorted; the constructor refuses malformed values with
    :class:`RulesError`.
    """

    windows: tuple
    daily_cap: int | None = None
    weekly_cap: int | None = None
    min_spacing: timedelta = timedelta(0)
    blackout_dates: frozenset = field(default_factory=frozenset)

    def __post_init__(self):
        windows = _check_windows(self.windows)
        if not windows:
            raise RulesError(gettext("Give at least one publishing window."))
        object.__setattr__(self, "windows", windows)
        if not _is_count(self.daily_cap):
            raise RulesError(
                gettext("The daily cap must be empty or a whole number, 0 or more.")
            )
        if not _is_count(self.weekly_cap):
            raise RulesError(
                gettext("The weekly cap must be empty or a whole number, 0 or more.")
            )
        spacing = self.min_spacing
        if not isinstance(spacing, timedelta) or spacing < timedelta(0):
            raise RulesError(
                gettext(
                    "The minimum spacing must be a whole number of minutes, 0 or more."
                )
            )
        object.__setattr__(
            self, "blackout_dates", frozenset(parse_blackout_dates(self.blackout_dates))
        )


def rules_for(account):
    """Return the :class:`Rules` of ``account``, with its platform's default
    windows when it sets none."""
    windows = parse_windows(account.publishing_windows or ())
    if not windows:
        try:
            windows = DEFAULT_WINDOWS[account.platform]
        except KeyError:
            raise RulesError(
                gettext("The platform %(platform)s has no default windows.")
                % {"platform": account.platform}
            ) from None
    spacing = account.min_spacing_minutes or 0
    if not _is_count(spacing):
        raise RulesError(
            gettext("The minimum spacing must be a whole number of minutes, 0 or more.")
        )
    return Rules(
        windows=windows,
        daily_cap=account.daily_cap,
        weekly_cap=account.weekly_cap,
        min_spacing=timedelta(minutes=spacing),
        blackout_dates=parse_blackout_dates(account.blackout_dates or ()),
    )


# ---------------------------------------------------------------------------
# Reading and showing settings
# ---------------------------------------------------------------------------

_WINDOW_SEPARATORS = re.compile(r"[,;\n，；、]+")
_RANGE_SEPARATORS = re.compile(r"\s*(?:-|–|—|~|～|至|到)\s*")
_TIME = re.compile(r"(\d{1,2})[:：](\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_windows(value):
    """Return the windows in ``value`` as a sorted tuple of ``(start, end)`` times.

    ``value`` is the stored JSON (a list of ``["HH:MM", "HH:MM"]`` pairs) or
    text such as "07:00-09:00, 12:00-14:00". Empty gives ``()``, which stands for
    the platform's defaults. Raise :class:`RulesError` naming the first
    malformed window.
    """
    if isinstance(value, str):
        items = [item.strip() for item in _WINDOW_SEPARATORS.split(value)]
        items = [item for item in items if item]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise RulesError(
            gettext("Write the publishing windows as a list of start and end times.")
        )
    pairs = []
    for number, item in enumerate(items, 1):
        parts = _RANGE_SEPARATORS.split(item.strip()) if isinstance(item, str) else item
        shown = _show_raw_window(item)
        if not isinstance(parts, list | tuple) or len(parts) != 2:
            raise RulesError(
                gettext(
                    "Window %(number)d (%(window)s) must be a start time and an "
                    "end time, such as 07:00-09:00."
                )
                % {"number": number, "window": shown}
            )
        start = _parse_time(parts[0], end=False)
        end = _parse_time(parts[1], end=True)
        if start is None or end is None:
            raise RulesError(
                gettext(
                    "Window %(number)d (%(window)s): write times as HH:MM, "
                    "from 00:00 to 24:00."
                )
                % {"number": number, "window": shown}
            )
        pairs.append((start, end))
    return _check_windows(pairs)


def format_windows(rules_or_windows):
    """Return windows as text such as "07:00-09:00, 12:00-14:00", which
    :func:`parse_windows` reads back."""
    windows = getattr(rules_or_windows, "windows", rules_or_windows)
    return ", ".join(_show_window(window) for window in windows)


def windows_as_json(windows):
    """Return windows in the stored form: a list of ``["HH:MM", "HH:MM"]`` pairs."""
    return [
        [_show_time(start, end=False), _show_time(end, end=True)]
        for start, end in windows
    ]


def parse_blackout_dates(value):
    """Return the set of dates in ``value``: ``date`` objects or "YYYY-MM-DD"
    strings, as a list or as text separated by commas, semicolons or spaces.
    Raise :class:`RulesError` naming the first malformed date."""
    if isinstance(value, str):
        value = [item for item in re.split(r"[\s,;，；、]+", value) if item]
    elif not isinstance(value, list | tuple | set | frozenset):
        raise RulesError(gettext("Write the blackout dates as a list of dates."))
    dates = set()
    for item in value:
        if isinstance(item, date) and not isinstance(item, datetime):
            dates.add(item)
            continue
        try:
            if not isinstance(item, str) or not _DATE.fullmatch(item.strip()):
                raise ValueError(item)
            dates.add(date.fromisoformat(item.strip()))
        except ValueError:
            raise RulesError(
                gettext("Blackout date %(value)s is not a date such as 2026-10-01.")
                % {"value": item}
            ) from None
    return frozenset(dates)


def _parse_time(value, *, end):
    """Return ``value`` ("HH:MM" or a ``time``) as a time, or None if malformed.

    "24:00" is allowed only at the end of a window, where it is ``time(0)``.
    """
    if isinstance(value, time):
        return value
    match = _TIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match:
        return None
    hour, minute = int(match[1]), int(match[2])
    if end and (hour, minute) == (24, 0):
        return _MIDNIGHT
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _check_windows(windows):
    """Return ``windows`` sorted, refusing non-pairs, reversed or overlapping ones."""
    windows = tuple(windows)
    for number, window in enumerate(windows, 1):
        if not (
            isinstance(window, list | tuple)
            and len(window) == 2
            and all(isinstance(moment, time) for moment in window)
        ):
            raise RulesError(
                gettext("Window %(number)d must be a pair of times.")
                % {"number": number}
            )
    windows = tuple(sorted((start, end) for start, end in windows))
    for start, end in windows:
        if _offset(start) >= _offset(end, end=True):
            raise RulesError(
                gettext(
                    "Window %(window)s must start before it ends; split a window "
                    "across midnight in two, such as 22:00-24:00 and 00:00-02:00."
                )
                % {"window": _show_window((start, end))}
            )
    for previous, following in zip(windows, windows[1:], strict=False):
        if _offset(following[0]) < _offset(previous[1], end=True):
            raise RulesError(
                gettext("Windows %(first)s and %(second)s overlap.")
                % {"first": _show_window(previous), "second": _show_window(following)}
            )
    return windows


def _is_count(value):
    """Return whether ``value`` is None or a whole number, 0 or more."""
    return value is None or (
        isinstance(value, int) and not isinstance(value, bool) and value >= 0
    )


def _offset(moment, *, end=False):
    """Time since midnight of a window boundary; an end of 00:00 is 24 hours."""
    if end and moment == _MIDNIGHT:
        return _DAY
    return timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )


def _show_time(moment, *, end):
    if end and moment == _MIDNIGHT:
        return "24:00"
    return moment.strftime("%H:%M")


def _show_window(window):
    start, end = window
    return "%s-%s" % (_show_time(start, end=False), _show_time(end, end=True))


def _show_raw_window(item):
    if isinstance(item, list | tuple):
        return "-".join(str(part) for part in item)
    return str(item)


# ---------------------------------------------------------------------------
# The schedule
# ---------------------------------------------------------------------------


def as_local(moment):
    """Return aware ``moment`` in Asia/Shanghai; refuse a naive datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            "Schedule times must be timezone-aware, got naive %s" % moment.isoformat()
        )
    return moment.astimezone(SHANGHAI)


class _Taken:
    """The account's other deliveries, sorted once, counted per day and week."""

    def __init__(self, taken):
        self.times = sorted(as_local(moment) for moment in taken)
        self.per_day = Counter(moment.date() for moment in self.times)
        self.per_week = Counter(moment.isocalendar()[:2] for moment in self.times)

    def on_day(self, day):
        return self.per_day[day]

    def in_week(self, day):
        return self.per_week[day.isocalendar()[:2]]

    def too_close(self, moment, spacing):
        """Return the deliveries less than ``spacing`` before or after ``moment``."""
        if not spacing:
            return []
        first = bisect_right(self.times, moment - spacing)
        last = bisect_left(self.times, moment + spacing)
        return self.times[first:last]


def _midnight(day):
    return datetime.combine(day, _MIDNIGHT, tzinfo=SHANGHAI)


def _window_at_or_after(rules, moment):
    """Return ``(start, end)`` of the first window on ``moment``'s local day that
    ends after ``moment``, or None when the day's windows are over."""
    midnight = _midnight(moment.date())
    since_midnight = moment - midnight
    for start, end in rules.windows:
        if since_midnight < _offset(end, end=True):
            return midnight + _offset(start), midnight + _offset(end, end=True)
    return None


def is_within_windows(rules, at):
    """Return whether ``at`` falls inside one of the windows (local time)."""
    at = as_local(at)
    window = _window_at_or_after(rules, at)
    return window is not None and window[0] <= at


def next_slot(rules, after, taken=(), *, urgent=False, horizon_days=HORIZON_DAYS):
    """Return the earliest time at or after ``after`` that the schedule allows.

    That is inside a window, not on a blackout date, on a local day with fewer
    than ``daily_cap`` and in an ISO week with fewer than ``weekly_cap`` of
    ``taken``, and at least ``min_spacing`` from each of ``taken``. An urgent
    release goes at ``after`` itself. Look at most ``horizon_days`` local days
    past ``after``'s, then raise :class:`NoSlotError`.
    """
    after = as_local(after)
    if urgent:
        return after
    taken = _Taken(taken)
    last_day = after.date() + timedelta(days=horizon_days)
    if rules.daily_cap == 0 or rules.weekly_cap == 0:
        _no_slot(after, horizon_days)
    candidate = after
    while candidate.date() <= last_day:
        day = candidate.date()
        if day in rules.blackout_dates or (
            rules.daily_cap is not None and taken.on_day(day) >= rules.daily_cap
        ):
            candidate = _midnight(day + _DAY)
            continue
        if rules.weekly_cap is not None and taken.in_week(day) >= rules.weekly_cap:
            candidate = _midnight(day + timedelta(days=7 - day.weekday()))
            continue
        window = _window_at_or_after(rules, candidate)
        if window is None:
            candidate = _midnight(day + _DAY)
            continue
        candidate = max(candidate, window[0])
        close = taken.too_close(candidate, rules.min_spacing)
        if close:
            # Every time before the last close delivery plus the spacing is too
            # close to it; start again from there (possibly in a later window).
            candidate = (close[-1] + rules.min_spacing).astimezone(SHANGHAI)
            continue
        return candidate
    _no_slot(after, horizon_days)


def _no_slot(after, horizon_days):
    raise NoSlotError(
        gettext(
            "No time within %(days)d days after %(after)s fits the account's "
            "publishing windows, caps and blackout dates."
        )
        % {"days": horizon_days, "after": after.strftime("%Y-%m-%d %H:%M")}
    )


def check_requested_time(rules, at, taken=()):
    """Return what is wrong with publishing at ``at``, as messages for the editor.

    An empty list means the schedule allows it; otherwise the caller asks the
    editor for a reason. ``taken`` excludes the delivery being checked.
    """
    at = as_local(at)
    day = at.date()
    taken = _Taken(taken)
    problems = []
    if not is_within_windows(rules, at):
        problems.append(
            gettext("%(time)s is outside the publishing windows (%(windows)s).")
            % {"time": at.strftime("%H:%M"), "windows": format_windows(rules)}
        )
    if day in rules.blackout_dates:
        problems.append(
            gettext("%(date)s is a date without publishing for this account.")
            % {"date": day.isoformat()}
        )
    if rules.daily_cap is not None and taken.on_day(day) >= rules.daily_cap:
        problems.append(
            gettext("%(date)s already has the most releases allowed per day (%(cap)d).")
            % {"date": day.isoformat(), "cap": rules.daily_cap}
        )
    if rules.weekly_cap is not None and taken.in_week(day) >= rules.weekly_cap:
        monday = day - timedelta(days=day.weekday())
        problems.append(
            gettext(
                "The week of %(monday)s already has the most releases allowed per "
                "week (%(cap)d)."
            )
            % {"monday": monday.isoformat(), "cap": rules.weekly_cap}
        )
    close = taken.too_close(at, rules.min_spacing)
    if close:
        problems.append(
            gettext(
                "Less than %(minutes)d minutes from another release to this account "
                "(at %(times)s)."
            )
            % {
                "minutes": rules.min_spacing // timedelta(minutes=1),
                "times": ", ".join(
                    dict.fromkeys(
                        moment.strftime(
                            "%H:%M" if moment.date() == day else "%Y-%m-%d %H:%M"
                        )
                        for moment in close
                    )
                ),
            }
        )
    return problems
