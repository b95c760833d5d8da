"""Typos from confusion pairs (warn by default).

Pairs are lexicon terms of category ``typo`` whose suggestion is the right form
(己经 → 已经, 再接再励 → 再接再厉, 按装 → 安装, 既使 → 即使 …). A pair that is
right inside a longer word (既使用, 按装修) is kept quiet by an allowed term.
"""

from django.utils.translation import gettext as _

from .base import Finding, excerpt


def check(context):
    findings = []
    with_suggestion = _("“%(text)s” may be a typo for “%(suggestion)s”.")
    without = _("“%(text)s” may be a typo.")
    for field, start, end, terms in context.term_matches("typo"):
        term = terms[0]
        text = field.text[start:end]
        template = with_suggestion if term.suggestion else without
        findings.append(
            Finding(
                "typo.confusion",
                "typo",
                term.severity,
                template % {"text": text, "suggestion": term.suggestion},
                field.name,
                excerpt(field.text, start, end),
                start,
                end - start,
                term.suggestion,
            )
        )
    return findings
