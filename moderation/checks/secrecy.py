"""Secrecy markers (block).

Two sources:

- 密级 marks, found by pattern: a level with a star and an optional period
  (机密★, 秘密★一年, 绝密★长期, 机密 ★ 10年), a level label (密级：秘密), and
  绝密 on its own. A level word without a star is ordinary prose (揭开宇宙的秘密,
  商业机密) and is not a marker.
- Words that mark a document as internal (内部资料, 不得外传, 注意保密, 涉密 …):
  lexicon terms of category ``secrecy``, so an organisation can add its own.

Patterns read the mapped text (full-width, case and traditional forms folded),
so 機密★ is found as well.
"""

import re

from django.utils.translation import gettext as _

from .base import BLOCK, Finding, excerpt

_NUMBER = "(?:[0-9]+|[一二两三四五六七八九十百]+)"
_MARK = re.compile(
    r"(?:绝密|机密|秘密)\s*[★☆]\s*"
    rf"(?:{_NUMBER}\s*(?:年|个月|月|日|天)|长期)?"
)
_LABEL = re.compile(r"密\s*级\s*[:：]?\s*(?:绝密|机密|秘密|内部)")
_TOP_SECRET = re.compile(r"绝\s*密")


def find_marks(mapped):
    """Return the ``(start, end)`` of each 密级 mark in mapped text."""
    spans = []
    for pattern in (_MARK, _LABEL, _TOP_SECRET):
        for match in pattern.finditer(mapped):
            start, end = match.span()
            if not any(s < end and start < e for s, e in spans):
                spans.append((start, end))
    return sorted(spans)


def check(context):
    findings = []
    mark_message = _(
        "Secrecy marking “%(text)s”: classified material must not be published."
    )
    term_message = _("“%(text)s” marks internal or classified material.")
    for field in context.document.fields:
        mapped = context.normalised[field.name].mapped
        for start, end in find_marks(mapped):
            text = field.text[start:end]
            findings.append(
                Finding(
                    "secrecy.mark",
                    "secrecy",
                    BLOCK,
                    mark_message % {"text": text},
                    field.name,
                    excerpt(field.text, start, end),
                    start,
                    end - start,
                )
            )
    for field, start, end, terms in context.term_matches("secrecy"):
        term = terms[0]
        text = field.text[start:end]
        message = term_message % {"text": text}
        if term.note:
            message = "%s %s" % (message, term.note)
        findings.append(
            Finding(
                "secrecy.term",
                "secrecy",
                term.severity,
                message,
                field.name,
                excerpt(field.text, start, end),
                start,
                end - start,
                term.suggestion,
            )
        )
    return findings
