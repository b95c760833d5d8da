"""What the checks of one run share: the document, the lexicon, and work done once."""

from operator import itemgetter

from django.utils.functional import cached_property

from .lexicon import ALLOWED, NormalisedFields

#: Fields that are titles (clickbait rules read only these).
TITLE_FIELDS = ("title", "subtitle")

_INDEX = itemgetter(2)  # the pattern index of a match


def is_title_field(name):
    return name in TITLE_FIELDS or (
        name.startswith("targets.") and name.endswith(".title")
    )


class CheckContext:
    """One document checked against one lexicon.

    Each field is normalised once and scanned once for the terms of every
    category; checks read the matches of their category from :meth:`term_matches`.
    """

    def __init__(self, document, lexicon):
        self.document = document
        self.lexicon = lexicon

    @cached_property
    def normalised_fields(self):
        """The :class:`~.lexicon.NormalisedFields` of the document's fields."""
        return NormalisedFields(f.text for f in self.document.fields)

    @cached_property
    def normalised(self):
        """Per field name, its :class:`~.lexicon.NormalisedText`."""
        fields = self.normalised_fields
        return {f.name: fields[i] for i, f in enumerate(self.document.fields)}

    @cached_property
    def scan(self):
        """Per term category, ``[(field, [(start, end, pattern index), …]), …]``.

        Matches inside allowed terms are left out (but for category ``allowed``).
        """
        matcher = self.lexicon.matcher
        categories = matcher.categories
        main, main_count = matcher.main_category, matcher.main_count
        fields = self.document.fields
        by_category = {}
        self._allowed = {}
        for field, found in zip(
            fields, matcher.find_fields(self.normalised_fields), strict=True
        ):
            if not found:
                continue
            if max(map(_INDEX, found)) < main_count:
                # The usual case: every match of the field is of the category
                # most terms have (see TermMatcher.main_count).
                by_category.setdefault(main, []).append((field, found))
                continue
            buckets = {}
            for match in found:
                for category in categories[match[2]]:
                    buckets.setdefault(category, []).append(match)
            allowed = buckets.get(ALLOWED)
            if allowed:
                spans = self._allowed[field.name] = [(s, e) for s, e, _ in allowed]
                for category, matches in buckets.items():
                    if category != ALLOWED:
                        buckets[category] = [
                            m
                            for m in matches
                            if not any(s <= m[0] and m[1] <= e for s, e in spans)
                        ]
            for category, matches in buckets.items():
                if matches:
                    by_category.setdefault(category, []).append((field, matches))
        return by_category

    def is_allowed(self, field_name, start, end):
        """Whether ``start:end`` of the field lies inside an allowed term."""
        self.scan  # noqa: B018 - fills self._allowed
        for allowed_start, allowed_end in self._allowed.get(field_name, ()):
            if allowed_start <= start and end <= allowed_end:
                return True
        return False

    def raw_matches(self, category):
        """``[(field, [(start, end, pattern index), …]), …]`` for one category."""
        return self.scan.get(category, [])

    def term_matches(self, category, fields=None):
        """Yield ``(field, start, end, terms)`` per match of a term category.

        ``terms`` are the category's terms the match stands for, blocking ones
        first. ``fields`` (a callable on field names) limits the fields read.
        """
        categories = self.lexicon.matcher.categories
        for field, found in self.scan.get(category, ()):
            if fields is not None and not fields(field.name):
                continue
            for start, end, index in found:
                yield field, start, end, categories[index][category]
