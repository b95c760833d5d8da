"""The lexicon: terms, the normaliser, the matcher, and the lexicon check.

Normalisation makes one spelling of a term find its variants. Text and terms
both go through it:

- upper case to lower case, full-width letters and digits to ASCII (ＶＰＮ is vpn);
- traditional characters to simplified, character by character (OpenCC's t2s
  applied to each character alone, so lengths never change);
- *separators* that do not belong in a word are taken out: spaces (not line
  breaks), zero-width and other format characters, and symbols such as
  ``* _ - ~ | / . · •`` (half- or full-width). So 机 密, 机\\u200b密, 机*密 and
  機密 all read as 机密.

Sentence punctuation (，。、；：！？ and a line break) is not taken out: words
never run across it, which keeps 手机，密码 from reading as 机密. The one
exception is the evasion pattern of characters each set apart by the same
mark (机，密，文，件): inside such a run a term of three or more characters is
found across the punctuation.

Terms of ASCII letters and digits only match as whole words (``ad`` is not found
in ``load``). Matches inside an *allowed* term (category ``allowed``: names and
quotations where the text is right as written) are dropped.

:class:`NormalisedText` keeps a map from normalised positions back to the
original text, so every match is reported at its place in the original.
:class:`NormalisedFields` normalises a document's fields together: one look over
them all finds the few that normalisation changes, and the others are searched
as they are.

The matcher is one Aho–Corasick automaton over every term (``daachorse``'s
character-wise double array), run once over each normalised field, reporting
overlapping matches so that a term inside or across another is never hidden.
:func:`load_lexicon` builds the :class:`Lexicon` once per lexicon version and
keeps it in the process.
"""

import bisect
import collections
import functools
import itertools
import operator
import re
import threading
import time
from typing import NamedTuple

import daachorse
from django.utils.translation import gettext as _

from .base import BLOCK, WARN, Finding, excerpt

#: Categories a lexicon term can have, with the severity a term gets when an
#: import does not say. ``allowed`` marks text where findings are not wanted.
TERM_CATEGORIES = {
    "secrecy": BLOCK,
    "lexicon": BLOCK,
    "protected_name": BLOCK,
    "typo": WARN,
    "clickbait": WARN,
    "ads": WARN,
    "allowed": WARN,
}
ALLOWED = "allowed"
#: Terms shorter than this after normalisation are ignored (one character
#: matches everywhere).
MIN_TERM_LENGTH = 2
#: Seconds between two looks at the database for a new lexicon version.
RECHECK_SECONDS = 5


class Term(NamedTuple):
    term: str
    category: str
    severity: str = WARN
    suggestion: str = ""
    note: str = ""


class Source(NamedTuple):
    """An approved source (稿源) of reprints."""

    name: str
    domain: str = ""


# -- normalisation ------------------------------------------------------------

# Separators taken out wherever they are.
_SOFT_CHARS = (
    " \t\r\f\v\xa0\u00ad\u1680\u180e\u2000-\u200f\u2028\u2029\u202a-\u202f"
    "\u205f-\u2064\u3000\ufeff"
    r"*_\-~^|/\\+=#@&%$.`"
    "·•・‧∙°＊＿－～＾｜／＼＋＝＃＠＆％＄．｀"
)
# Sentence punctuation: words do not run across it (but see _SPACED_RUN).
_PUNCT_CHARS = "\n,;:!?，；：！？。、"
_SOFT = re.compile("[%s]+" % _SOFT_CHARS)
_SOFT_CHAR = re.compile("[%s]" % _SOFT_CHARS)  # twice as fast to look for
_SEPARATORS = re.compile("[%s%s]+" % (_SOFT_CHARS, _PUNCT_CHARS))
_WORD = "[^%s%s]" % (_SOFT_CHARS, _PUNCT_CHARS)
# Characters set apart by the same punctuation mark, three or more: 机，密，件
# (the first may end a word, the last begin one). Looked for only where a quick
# search finds "，X，" (_SPACED_HINT).
_SPACED_RUN = {
    mark: re.compile("{w}(?:{m}{w}){{2,}}".format(w=_WORD, m=re.escape(mark)))
    for mark in _PUNCT_CHARS
}
_SPACED_HINT = {
    mark: re.compile("%s[^%s]%s" % (re.escape(mark), re.escape(mark), re.escape(mark)))
    for mark in _PUNCT_CHARS
}
_ASCII_ALNUM = re.compile(r"[a-z0-9]")
_CJK_RANGES = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))


@functools.cache
def char_table():
    """The one-to-one character map of normalisation (after lower-casing):
    full-width letters and digits to ASCII, traditional characters to simplified."""
    from .traditional import converter

    table = {}
    for code in range(0xFF10, 0xFF1A):
        table[chr(code)] = chr(code - 0xFEE0)
    for code in list(range(0xFF21, 0xFF3B)) + list(range(0xFF41, 0xFF5B)):
        table[chr(code)] = chr(code - 0xFEE0).lower()
    chars = [chr(code) for start, stop in _CJK_RANGES for code in range(start, stop)]
    converted = converter().convert("\n".join(chars)).split("\n")
    if len(converted) == len(chars):
        for char, simple in zip(chars, converted, strict=True):
            if char != simple and len(simple) == 1:
                table[char] = simple
    return table


@functools.cache
def _patterns():
    """Regular expressions over the character map, compiled on first use."""
    table = char_table()
    mappable = "".join(re.escape(c) for c in sorted(table))
    return (
        re.compile("[%s]" % mappable),
        # Anything normalisation changes: a text without any is used as it is.
        re.compile("[A-Z%s%s]" % (mappable, _SOFT_CHARS)),
    )


def map_chars(text):
    """Lower-case, half-width, simplified: the same length as ``text``."""
    if not _patterns()[1].search(text):
        return text
    return _map_chars(text)


def _map_chars(text):
    lowered = text.lower()
    if len(lowered) != len(text):  # a few letters lower-case to two characters
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    table = char_table()
    return _patterns()[0].sub(lambda m: table[m.group()], lowered)


def normalise_term(term):
    """Return the form a term is matched in: mapped, without any separator."""
    return _SEPARATORS.sub("", map_chars(term.strip()))


class NormalisedText:
    """A text in normalised form, with the way back to original positions."""

    __slots__ = ("original", "mapped", "text", "_norm", "_orig", "_runs")

    def __init__(self, original, *, plain=None):
        """``plain``: whether normalisation leaves ``original`` as it is, when
        the caller knows (:class:`NormalisedFields` looks once over every field);
        ``None``: look."""
        self.original = original
        self._runs = None
        self._norm = self._orig = None
        if plain is None:
            plain = not _patterns()[1].search(original)
        if plain:
            self.mapped = self.text = original
            return
        #: ``original`` with characters mapped, position for position.
        self.mapped = mapped = _map_chars(original)
        if not _SOFT_CHAR.search(mapped):
            self.text = mapped
            return
        pieces, norm, orig = [], [], []
        position = length = 0
        for match in _SOFT.finditer(mapped):
            start, end = match.span()
            if start > position:
                pieces.append(mapped[position:start])
                norm.append(length)
                orig.append(position)
                length += start - position
            position = end
        if position < len(mapped):
            pieces.append(mapped[position:])
            norm.append(length)
            orig.append(position)
        self.text = "".join(pieces)
        self._norm, self._orig = norm, orig

    @property
    def is_identity(self):
        return self._norm is None

    def position(self, index):
        """The original position of normalised position ``index``."""
        if self._norm is None:
            return index
        piece = bisect.bisect_right(self._norm, index) - 1
        return self._orig[piece] + index - self._norm[piece]

    def span(self, start, end):
        """The original span of the normalised span ``start:end``."""
        if self._norm is None:
            return start, end
        return self.position(start), self.position(end - 1) + 1

    @property
    def spaced_runs(self):
        """Evasion-like runs (机，密，件): ``(collapsed text, original positions)``."""
        if self._runs is None:
            runs = []
            mapped = self.mapped
            for mark, hint in _SPACED_HINT.items():
                if mark not in mapped or not hint.search(mapped):
                    continue
                for match in _SPACED_RUN[mark].finditer(mapped):
                    positions = list(range(match.start(), match.end(), 2))
                    runs.append(("".join(mapped[p] for p in positions), positions))
            self._runs = runs
        return self._runs


class NormalisedFields:
    """The texts of a document's fields, normalised together.

    One look over all of them joined finds the few fields that normalisation
    changes and whether any may hold a spaced-out run: the others are searched
    as they are, and get their :class:`NormalisedText` only when asked for.
    """

    __slots__ = ("originals", "texts", "changed", "spaced", "_items")

    def __init__(self, texts):
        self.originals = originals = list(texts)
        joined = "\x00".join(originals)
        #: Per field index, the :class:`NormalisedText` of a field that
        #: normalisation changes.
        self.changed = changed = {}
        needs_work = _patterns()[1]
        hit = needs_work.search(joined)
        if hit is not None:
            # Where each field's text ends in ``joined`` (at its separator).
            ends = list(itertools.accumulate(map(len, originals)))
            ends = list(map(operator.add, ends, range(len(ends))))
            while hit is not None:
                index = bisect.bisect_left(ends, hit.start())
                changed[index] = NormalisedText(originals[index], plain=False)
                hit = needs_work.search(joined, ends[index] + 1)
        #: Per field, the text the matcher searches.
        self.texts = originals
        if changed:
            self.texts, mapped = originals.copy(), originals.copy()
            for index, item in changed.items():
                self.texts[index], mapped[index] = item.text, item.mapped
            joined = "\x00".join(mapped)
        #: Whether some field may hold a spaced-out run (most documents have none).
        self.spaced = any(
            mark in joined and hint.search(joined)
            for mark, hint in _SPACED_HINT.items()
        )
        if not self.spaced:
            for item in changed.values():
                item._runs = ()
        self._items = {}

    def __len__(self):
        return len(self.originals)

    def __getitem__(self, index):
        """The :class:`NormalisedText` of field number ``index``."""
        item = self.changed.get(index) or self._items.get(index)
        if item is None:
            item = self._items[index] = NormalisedText(
                self.originals[index], plain=True
            )
            if not self.spaced:
                item._runs = ()
        return item

    def mapped(self, index):
        """The mapped text of field number ``index`` (its original length)."""
        item = self.changed.get(index)
        return self.originals[index] if item is None else item.mapped


# -- matching -------------------------------------------------------------------

_INDEX = operator.itemgetter(2)


class TermMatcher:
    """Every term of a lexicon, compiled into one automaton.

    One pass over a text finds the terms of every category; :meth:`find_fields`
    returns pattern indexes, and :attr:`categories` says which categories' terms each
    pattern stands for.
    """

    def __init__(self, terms):
        by_pattern = {}
        for term in terms:
            pattern = normalise_term(term.term)
            if len(pattern) >= MIN_TERM_LENGTH:
                by_pattern.setdefault(pattern, {}).setdefault(term.category, []).append(
                    term
                )
        # The patterns of the commonest category alone come first, so that
        # "every match is of that category" is one comparison per field
        # (scanning a document reads no per-pattern data for them).
        sole = [next(iter(c)) if len(c) == 1 else None for c in by_pattern.values()]
        counts = collections.Counter(c for c in sole if c not in (None, ALLOWED))
        #: The category most patterns have alone, and how many have it: patterns
        #: ``0`` to ``main_count - 1`` are of this category and no other.
        self.main_category, self.main_count = (
            counts.most_common(1)[0] if counts else (None, 0)
        )
        order = sorted(range(len(sole)), key=lambda i: sole[i] != self.main_category)
        items = list(by_pattern.items())
        self.patterns = [items[i][0] for i in order]
        #: Per pattern: {category: its terms there, blocking ones first}.
        self.categories = [
            {
                category: tuple(sorted(found, key=lambda t: t.severity != BLOCK))
                for category, found in items[i][1].items()
            }
            for i in order
        ]
        # Whole-word rule for ASCII terms: per pattern index, whether its first
        # and its last character are ASCII letters or digits.
        self._ascii = {
            index: (bool(_ASCII_ALNUM.match(p[0])), bool(_ASCII_ALNUM.match(p[-1])))
            for index, p in enumerate(self.patterns)
            if _ASCII_ALNUM.match(p[0]) or _ASCII_ALNUM.match(p[-1])
        }
        # Character-wise (one step per character, not per UTF-8 byte), in a
        # compact double array: several times faster than a byte-wise automaton
        # on Chinese text with a large lexicon.
        self._automaton = (
            daachorse.CharwiseDoubleArrayAhoCorasick(self.patterns, use_prefilter=False)
            if self.patterns
            else None
        )

    def __len__(self):
        return len(self.patterns)

    def find_fields(self, fields):
        """Return, per field of a :class:`NormalisedFields`, every match
        (overlapping ones too) as ``(start, end, pattern index)`` in original
        positions, in the order the matches end."""
        if self._automaton is None:
            return [[] for _ in range(len(fields))]
        results = list(map(self._automaton.find_overlapping, fields.texts))
        for index, item in fields.changed.items():
            if results[index] and item._norm is not None:
                span = item.span
                results[index] = [
                    (*span(start, end), pattern)
                    for start, end, pattern in results[index]
                ]
        if fields.spaced:
            for index in range(len(fields)):
                item = fields[index]
                if item.spaced_runs:
                    results[index] = self._add_spaced(item, results[index])
        ascii_edges = self._ascii
        if ascii_edges and not ascii_edges.keys().isdisjoint(
            map(_INDEX, itertools.chain.from_iterable(results))
        ):
            for index, found in enumerate(results):
                if found and not ascii_edges.keys().isdisjoint(map(_INDEX, found)):
                    results[index] = self._whole_words(fields.mapped(index), found)
        return results

    def _add_spaced(self, normalised, found):
        seen = set(found)
        for text, positions in normalised.spaced_runs:
            for start, end, index in self._automaton.find_overlapping(text):
                if end - start < 3:
                    continue
                match = (positions[start], positions[end - 1] + 1, index)
                if match not in seen:
                    seen.add(match)
                    found.append(match)
        return sorted(found, key=lambda m: (m[0], m[1]))

    def _whole_words(self, mapped, found):
        ascii_edges, alnum, kept = self._ascii, _ASCII_ALNUM, []
        for match in found:
            edges = ascii_edges.get(match[2])
            if edges:
                start, end = match[0], match[1]
                if edges[0] and start and alnum.match(mapped, start - 1):
                    continue
                if edges[1] and end < len(mapped) and alnum.match(mapped, end):
                    continue
            kept.append(match)
        return kept


class Lexicon:
    """One version of the editable lists, compiled for matching.

    Check modules keep what they derive from the lists (indexes, compiled
    patterns) with :meth:`derived`, so it is built once per version too.
    """

    def __init__(self, terms=(), sources=(), version=""):
        self.version = version
        self.terms = tuple(terms)
        self.sources = tuple(sources)
        self.matcher = TermMatcher(self.terms)
        self.term_categories = frozenset(t.category for t in self.terms)
        self._derived = {}
        self._lock = threading.Lock()

    def __repr__(self):
        return "<Lexicon %s: %d terms, %d sources>" % (
            self.version or "-",
            len(self.terms),
            len(self.sources),
        )

    def terms_of(self, category):
        return [term for term in self.terms if term.category == category]

    def derived(self, key, build):
        """Return ``build(self)``, built once for this lexicon."""
        try:
            return self._derived[key]
        except KeyError:
            with self._lock:
                if key not in self._derived:
                    self._derived[key] = build(self)
            return self._derived[key]


@functools.cache
def default_lexicon():
    """The small neutral lists the project ships (also loaded by a migration)."""
    from . import defaults

    return Lexicon(
        [Term(*row) for row in defaults.TERMS],
        [Source(*row) for row in defaults.SOURCES],
        version="defaults",
    )


class _Cache:
    lexicon = None
    checked = 0.0
    lock = threading.Lock()


def lexicon_version():
    """A cheap fingerprint of the lists in the database."""
    from django.db.models import Count, Max

    from moderation.models import ApprovedSource, LexiconTerm

    parts = []
    for model in (LexiconTerm, ApprovedSource):
        stats = model.objects.aggregate(count=Count("pk"), latest=Max("updated_at"))
        latest = stats["latest"].isoformat() if stats["latest"] else "-"
        parts.append("%d@%s" % (stats["count"], latest))
    return "/".join(parts)


def build_lexicon(version=""):
    """Read the active terms and sources from the database into a :class:`Lexicon`."""
    from moderation.models import ApprovedSource, LexiconTerm

    terms = [
        Term(*row)
        for row in LexiconTerm.objects.filter(is_active=True)
        .order_by("pk")
        .values_list("term", "category", "severity", "suggestion", "note")
    ]
    sources = [
        Source(*row)
        for row in ApprovedSource.objects.filter(is_active=True)
        .order_by("pk")
        .values_list("name", "domain")
    ]
    return Lexicon(terms, sources, version=version or lexicon_version())


def load_lexicon(max_age=None):
    """Return the current lexicon, built once per version and kept in the process.

    The database fingerprint is looked at no more than every ``max_age`` seconds
    (default :data:`RECHECK_SECONDS`); when it changed, the lexicon is rebuilt.
    """
    if max_age is None:
        from django.conf import settings

        max_age = getattr(settings, "RONGMEI_LEXICON_RECHECK_SECONDS", RECHECK_SECONDS)
    now = time.monotonic()
    lexicon = _Cache.lexicon
    if lexicon is not None and now - _Cache.checked < max_age:
        return lexicon
    with _Cache.lock:
        lexicon = _Cache.lexicon
        if lexicon is not None and time.monotonic() - _Cache.checked < max_age:
            return lexicon
        version = lexicon_version()
        if lexicon is None or lexicon.version != version:
            lexicon = _Cache.lexicon = build_lexicon(version)
        _Cache.checked = time.monotonic()
        return lexicon


def invalidate_lexicon():
    """Make the next :func:`load_lexicon` in this process look at the database."""
    _Cache.checked = 0.0


# -- the check ------------------------------------------------------------------


def check(context):
    """Report text that matches a term of the ``lexicon`` category."""
    template = _("“%(text)s” matches the lexicon term “%(term)s”.")
    template_note = _("“%(text)s” matches the lexicon term “%(term)s”: %(note)s")
    findings = []
    for field, start, end, terms in context.term_matches("lexicon"):
        term = terms[0]
        text = field.text
        found = text[start:end]
        values = {"text": found, "term": term.term, "note": term.note}
        findings.append(
            Finding(
                "lexicon.term",
                "lexicon",
                term.severity,
                (template_note if term.note else template) % values,
                field.name,
                excerpt(text, start, end),
                start,
                end - start,
                term.suggestion,
            )
        )
    return findings
