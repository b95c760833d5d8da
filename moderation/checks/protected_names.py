"""Near misses of protected names (block).

Protected names are lexicon terms of category ``protected_name``: the country's
name, state organs, the organisation's own units. Written right they are fine;
written *almost* right (中华人民共合国, 中华人民大和国, 齐齐哈市) they are a
serious error (严重表述错误).

A near miss is a run of Han characters one edit away from a name of four or
more characters: one character replaced, left out, added, or two neighbours
swapped, **inside** the name. Edits at either end are not counted, because
there they make other words (中国共产主义 is not a miswritten 中国共产党,
国务卿 not a miswritten 国务院); for the same reason names shorter than four
characters are matched exactly only. Runs overlapping a correct protected name,
or inside an allowed term, are not reported.

Candidates come from the halves of each name (one edit leaves one half intact),
found with an automaton over the normalised text, so the cost does not grow
with the number of names.
"""

import re

import ahocorasick_rs
from django.utils.translation import gettext as _

from .base import Finding, excerpt
from .lexicon import normalise_term

MIN_LENGTH = 4
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


class NameIndex:
    """The protected names of a lexicon, with an automaton over their halves."""

    def __init__(self, lexicon):
        self.names = []  # (normalised name, term)
        for term in lexicon.terms_of("protected_name"):
            name = normalise_term(term.term)
            if len(name) >= MIN_LENGTH and _HAN.fullmatch(name):
                self.names.append((name, term))
        anchors = {}
        for number, (name, _term) in enumerate(self.names):
            half = len(name) // 2
            anchors.setdefault(name[:half], []).append((number, True))
            anchors.setdefault(name[half:], []).append((number, False))
        self.anchors = list(anchors)
        self.anchor_names = list(anchors.values())
        self.automaton = (
            ahocorasick_rs.AhoCorasick(self.anchors) if self.anchors else None
        )


def _index(lexicon):
    return lexicon.derived("protected_names.index", NameIndex)


def edit_kind(name, text):
    """Return how ``text`` is one interior edit from ``name``, or ``""``."""
    n, m = len(name), len(text)
    if text == name:
        return ""
    if m == n:
        diffs = [i for i in range(n) if name[i] != text[i]]
        if len(diffs) == 1 and 0 < diffs[0] < n - 1:
            return "replaced"
        if (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and 0 < diffs[0]
            and diffs[1] < n - 1
            and name[diffs[0]] == text[diffs[1]]
            and name[diffs[1]] == text[diffs[0]]
        ):
            return "swapped"
        return ""
    if m == n - 1:
        for i in range(1, n - 1):
            if name[:i] + name[i + 1 :] == text:
                return "missing"
        return ""
    if m == n + 1:
        for i in range(1, n):
            if text[:i] + text[i + 1 :] == name:
                return "added"
    return ""


def find_near_misses(index, text):
    """Return ``(start, end, name number)`` of near misses in normalised ``text``."""
    if index.automaton is None:
        return []
    exact = []
    candidates = set()
    names = index.names
    for anchor, start, end in index.automaton.find_matches_as_indexes(
        text, overlapping=True
    ):
        for number, is_prefix in index.anchor_names[anchor]:
            length = len(names[number][0])
            sizes = (length - 1, length, length + 1)
            if is_prefix:
                if text.startswith(names[number][0], start):
                    exact.append((start, start + length))
                    continue
                windows = [(start, start + size) for size in sizes]
            else:
                if text.endswith(names[number][0], 0, end):
                    exact.append((end - length, end))
                    continue
                windows = [(end - size, end) for size in sizes]
            for window in windows:
                if window[0] >= 0 and window[1] <= len(text):
                    candidates.add((window, number))
    found = []
    for (start, end), number in sorted(candidates):
        if any(s < end and start < e for s, e in exact):
            continue
        window = text[start:end]
        if not _HAN.fullmatch(window) or not edit_kind(names[number][0], window):
            continue
        if any(s < end and start < e and n == number for s, e, n in found):
            continue
        found.append((start, end, number))
    return found


def check(context):
    index = _index(context.lexicon)
    if index.automaton is None:
        return []
    findings = []
    template = _("“%(text)s” looks like a miswritten “%(name)s”.")
    for field in context.document.fields:
        normalised = context.normalised[field.name]
        for start, end, number in find_near_misses(index, normalised.text):
            start, end = normalised.span(start, end)
            if context.is_allowed(field.name, start, end):
                continue
            term = index.names[number][1]
            findings.append(
                Finding(
                    "protected_name.near_miss",
                    "protected_name",
                    term.severity,
                    template % {"text": field.text[start:end], "name": term.term},
                    field.name,
                    excerpt(field.text, start, end),
                    start,
                    end - start,
                    term.term,
                )
            )
    return findings
