"""Personal data in the text.

- Resident ID numbers (居民身份证号码, GB 11643): 18 characters, a province code,
  a real date of birth and a correct ISO 7064 MOD 11-2 check character: block.
  Numbers that fail the check are not reported (they are not ID numbers).
- Bank card numbers: 16 to 19 digits, optionally in groups of four, starting as
  card numbers do (3–6, or 9 for 19-digit cards) and passing the Luhn check:
  block. A number shaped like an ID number is never taken for a card.
- Mainland mobile numbers (1[3-9] and nine digits, optionally +86 and grouped
  3-4-4): warn, since a published contact may be intended. Not when a unit
  follows: 13500000000元 is an amount.

Hotlines (12345, 95588, 400 numbers) and landlines with an area code
(010-12345678) are none of these and are not reported. Numbers already masked
(110101********1234) are not reported either. Excerpts mask the middle digits,
so findings never carry the full number.
"""

import re

from django.utils.translation import gettext as _

from .base import BLOCK, WARN, Finding, excerpt

_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 "
    "54 61 62 63 64 65 71 81 82 83 91".split()
)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10x98765432"

_ID_NUMBER = re.compile(
    r"(?<![0-9a-z])([1-9][0-9]{5})[ -]?"
    r"((?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))[ -]?"
    r"([0-9]{3}[0-9x])(?![0-9a-z])"
)
_CARD_NUMBER = re.compile(
    r"(?<![0-9a-z])(?:[0-9]{16,19}|[0-9]{4}(?:[ -][0-9]{4}){3}(?:[ -]?[0-9]{1,3})?)"
    r"(?![0-9a-z])"
)
_MOBILE = re.compile(
    r"(?<![0-9a-z+])(?:(?:\+|00)?86[ -]?)?(1[3-9][0-9])([ -]?)([0-9]{4})\2([0-9]{4})"
    # Not an amount or a count (13500000000元).
    r"(?![0-9a-z.%元万亿千百人次件个吨台辆户家条份名位亩米股])"
)
_DIGITS = re.compile(r"[^0-9x]")
_CANDIDATE = re.compile(r"[0-9]{11}|[0-9]{4}[ -][0-9]{4}")


def id_check_char(first17):
    """The check character of an ID number's first 17 digits ("x" for 10)."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def is_id_number(number):
    """Whether ``number`` (18 characters, separators removed) is a valid ID number."""
    number = number.lower()
    if len(number) != 18 or not number[:17].isdigit():
        return False
    if number[:2] not in _PROVINCES:
        return False
    return id_check_char(number[:17]) == number[17]


def luhn_ok(digits):
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def is_card_number(digits):
    if not 16 <= len(digits) <= 19 or not digits.isdigit():
        return False
    if digits[0] not in "3456" and not (digits[0] == "9" and len(digits) == 19):
        return False
    if len(digits) == 18 and _ID_NUMBER.fullmatch(digits):
        return False
    return luhn_ok(digits)


def mask(text, keep_start=3, keep_end=4):
    """Replace the digits of ``text`` but the first and last few with "*"."""
    positions = [i for i, c in enumerate(text) if c.isdigit() or c in "xX"]
    hidden = set(positions[keep_start : len(positions) - keep_end])
    return "".join("*" if i in hidden else c for i, c in enumerate(text))


def _excerpt(text, start, end, hide=None):
    """An excerpt with the number masked (only ``hide``, a span, if given)."""
    if hide is None:
        masked = mask(text[start:end])
    else:
        masked = text[start : hide[0]] + "*" * (hide[1] - hide[0]) + text[hide[1] : end]
    return excerpt(text[:start] + masked + text[end:], start, end)


def check(context):
    findings = []
    for field in context.document.fields:
        mapped = context.normalised[field.name].mapped
        if not _CANDIDATE.search(mapped):
            continue
        text = field.text
        taken = []
        for match in _ID_NUMBER.finditer(mapped):
            start, end = match.span()
            if is_id_number("".join(match.groups())):
                taken.append((start, end))
                findings.append(
                    Finding(
                        "privacy.id_number",
                        "privacy",
                        BLOCK,
                        _(
                            "A resident ID number: personal data must not be "
                            "published. Remove or mask it."
                        ),
                        field.name,
                        _excerpt(text, start, end),
                        start,
                        end - start,
                    )
                )
        for match in _CARD_NUMBER.finditer(mapped):
            start, end = match.span()
            if any(s < end and start < e for s, e in taken):
                continue
            if is_card_number(_DIGITS.sub("", match.group())):
                taken.append((start, end))
                findings.append(
                    Finding(
                        "privacy.bank_card",
                        "privacy",
                        BLOCK,
                        _(
                            "A bank card number: personal data must not be "
                            "published. Remove or mask it."
                        ),
                        field.name,
                        _excerpt(text, start, end),
                        start,
                        end - start,
                    )
                )
        for match in _MOBILE.finditer(mapped):
            start, end = match.span()
            if any(s < end and start < e for s, e in taken):
                continue
            findings.append(
                Finding(
                    "privacy.mobile",
                    "privacy",
                    WARN,
                    _(
                        "A mobile phone number: publish it only if the person "
                        "agreed; otherwise mask it."
                    ),
                    field.name,
                    _excerpt(text, start, end, match.span(3)),
                    start,
                    end - start,
                )
            )
    return findings
