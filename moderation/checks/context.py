"""What the checks of one run share: the document, the lexicon, and work done once."""

from django.utils.functional import cached_property

from .lexicon import ALLOWED, normalise_all

#: Fields that are titles (clickbait rules read only these).
TITLE_FIELDS = ("title", "subtitle")


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
    def normalised(self):
        """Per field name, its :class:`~.lexicon.NormalisedText`."""
        fields = self.document.fields
        return dict(
            zip(
                (f.name for f in fields),
                normalise_all(f.text for f in fields),
                strict=True,
            )
        )

    @cached_property
    def scan(self):
        """Per term category, ``[(field, [(pattern index, start, end), …]), …]``.

        Matches inside allowed terms are left out (but for category ``allowed``).
        """
        matcher = self.lexicon.matcher
        find, categories, sole = matcher.find, matcher.categories, matcher.sole_category
        normalised = self.normalised
        by_category = {}
        self._allowed = {}
        for field in self.document.fields:
            found = find(normalised[field.name])
            if not found:
                continue
            first = sole[found[0][0]]
            if first is not None and all(sole[m[0]] == first for m in found):
                buckets = {first: found}  # the usual case: one category
            else:
                buckets = {}
                for match in found:
                    for category in categories[match[0]]:
                        buckets.setdefault(category, []).append(match)
            allowed = buckets.get(ALLOWED)
            if allowed:
                spans = self._allowed[field.name] = [(s, e) for _, s, e in allowed]
                for category, matches in buckets.items():
                    if category != ALLOWED:
                        buckets[category] = [
                            m
                            for m in matches
                            if not any(s <= m[1] and m[2] <= e for s, e in spans)
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
        """``[(field, [(pattern index, start, end), …]), …]`` for one category."""
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
            for index, start, end in found:
                yield field, start, end, categories[index][category]
