"""Clickbait titles (标题党, warn).

Only titles are read: the title, the subtitle and titles set per target account.

- 刚刚体, 突发体, 震惊体: a title opening with 刚刚, 突发, 重磅, 紧急, 震惊 and
  punctuation (刚刚！…, 【突发】…), or any of them followed by an exclamation
  mark. As plain words they are ordinary (刚刚过去的一年, 突发事件应急预案).
- Clickbait words: lexicon terms of category ``clickbait`` (速看, 不转不是 …).
- Stacked punctuation: two or more ! or ?, or three of them mixed (!!, ？？, ?!?).
"""

import re

from django.utils.translation import gettext as _

from .base import WARN, Finding, excerpt
from .context import is_title_field

_WORDS = "刚刚|突发|重磅|紧急|震惊"
_OPENING = re.compile(r"^\s*[\[【(（]?\s*(?:%s)\s*(?:[!！:：,，\]】)）]|$)" % _WORDS)
_EXCLAIMED = re.compile(r"(?:%s)\s*[!！]" % _WORDS)
_STACKED = re.compile(r"[!！]{2,}|[?？]{2,}|[!！?？]{3,}")


def check(context):
    findings = []
    taken = {}

    def add(field, start, end, code, message, severity=WARN):
        spans = taken.setdefault(field.name, [])
        if any(s < end and start < e for s, e in spans):
            return
        spans.append((start, end))
        findings.append(
            Finding(
                code,
                "clickbait",
                severity,
                message,
                field.name,
                excerpt(field.text, start, end),
                start,
                end - start,
            )
        )

    for field in context.document.fields:
        if not is_title_field(field.name):
            continue
        mapped = context.normalised[field.name].mapped
        for pattern in (_OPENING, _EXCLAIMED):
            for match in pattern.finditer(mapped):
                start, end = match.span()
                text = field.text[start:end].strip()
                add(
                    field,
                    start,
                    end,
                    "clickbait.pattern",
                    _("“%(text)s” is a clickbait opening (刚刚体/突发体/震惊体).")
                    % {"text": text},
                )
        for match in _STACKED.finditer(mapped):
            start, end = match.span()
            add(
                field,
                start,
                end,
                "clickbait.punctuation",
                _("Stacked punctuation “%(text)s” in a title.")
                % {"text": field.text[start:end]},
            )
    template = _("“%(text)s” is a clickbait word.")
    for field, start, end, terms in context.term_matches("clickbait", is_title_field):
        add(
            field,
            start,
            end,
            "clickbait.word",
            template % {"text": field.text[start:end]},
            terms[0].severity,
        )
    return findings
