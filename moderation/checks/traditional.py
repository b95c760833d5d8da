"""Traditional characters in simplified text (warn).

Each field is converted with OpenCC's ``t2s`` (phrase-aware, so 乾隆 and 著作
stay as they are) and compared with itself character by character; the Han
characters that change are traditional forms. Characters close together are
reported as one finding that lists them. Text inside an allowed term (lexicon
category ``allowed``: a name, a quotation, a calligraphy caption) is left alone.
"""

import threading

import opencc
from django.utils.translation import gettext as _

from .base import WARN, Finding, excerpt

#: Traditional characters at most this far apart make one finding.
GROUP_GAP = 4

_local = threading.local()


def converter():
    """An OpenCC ``t2s`` converter for this thread."""
    instance = getattr(_local, "converter", None)
    if instance is None:
        instance = _local.converter = opencc.OpenCC("t2s")
    return instance


def _is_han(char):
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3134F
    )


def traditional_positions(text):
    """Return ``(position, traditional, simplified)`` for each traditional character."""
    converted = converter().convert(text)
    if converted == text:
        return []
    if len(converted) != len(text):
        # A phrase changed length: fall back to characters one by one.
        from .lexicon import char_table

        table = char_table()
        converted = "".join(table.get(c, c) if _is_han(c) else c for c in text)
    return [
        (index, char, simple)
        for index, (char, simple) in enumerate(zip(text, converted, strict=True))
        if char != simple and _is_han(char)
    ]


def check(context):
    findings = []
    template = _("Traditional characters: %(chars)s (simplified: %(simplified)s).")
    for field in context.document.fields:
        positions = [
            p
            for p in traditional_positions(field.text)
            if not context.is_allowed(field.name, p[0], p[0] + 1)
        ]
        groups = []
        for position in positions:
            if groups and position[0] - groups[-1][-1][0] <= GROUP_GAP:
                groups[-1].append(position)
            else:
                groups.append([position])
        for group in groups:
            start, end = group[0][0], group[-1][0] + 1
            chars = list(dict.fromkeys((p[1], p[2]) for p in group))
            span = field.text[start:end]
            suggestion = list(span)
            for index, _char, simple in group:
                suggestion[index - start] = simple
            findings.append(
                Finding(
                    "traditional.characters",
                    "traditional",
                    WARN,
                    template
                    % {
                        "chars": "、".join(c for c, _s in chars),
                        "simplified": "、".join(s for _c, s in chars),
                    },
                    field.name,
                    excerpt(field.text, start, end),
                    start,
                    end - start,
                    "".join(suggestion),
                )
            )
    return findings
