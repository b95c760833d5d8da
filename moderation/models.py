"""The editable lists behind the content checks.

One table, :class:`LexiconTerm`, holds every list of words: secrecy markers,
the organisation's own lexicon, protected names, typo pairs, clickbait and
advertising words, and *allowed* text (names and quotations where the text is
right as written, including the traditional characters in them). They share
their shape (a term, a severity, a suggestion, a note, on or off), their
editors and their import and export, and one table gives one cheap version
fingerprint for rebuilding the matcher. Approved sources have another shape
(a name and a domain) and their own table, :class:`ApprovedSource`.

Every process rebuilds its matcher when the fingerprint changes (looked at every
few seconds); saving or deleting here also makes this process look at once.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .checks.lexicon import (
    MIN_TERM_LENGTH,
    TERM_CATEGORIES,
    invalidate_lexicon,
    normalise_term,
)
from .checks.reprint import source_host


class LexiconTerm(models.Model):
    """A word or phrase a content check looks for (or, if allowed, leaves alone)."""

    class Category(models.TextChoices):
        SECRECY = "secrecy", _("Secrecy marker")
        LEXICON = "lexicon", _("Lexicon term")
        PROTECTED_NAME = "protected_name", _("Protected name")
        TYPO = "typo", _("Typo")
        CLICKBAIT = "clickbait", _("Clickbait word")
        ADS = "ads", _("Advertising")
        ALLOWED = "allowed", _("Allowed text")

    class Severity(models.TextChoices):
        BLOCK = "block", _("Block")
        WARN = "warn", _("Warn")

    term = models.CharField(_("term"), max_length=100)
    category = models.CharField(
        _("category"),
        max_length=20,
        choices=Category.choices,
        default=Category.LEXICON,
        help_text=_(
            "Protected names report near misses of the name; allowed text turns "
            "off findings inside it (names, quotations)."
        ),
    )
    severity = models.CharField(
        _("severity"),
        max_length=8,
        choices=Severity.choices,
        blank=True,
        help_text=_(
            "Blocking findings stop submission; warnings are shown to reviewers. "
            "Leave blank for the category's default."
        ),
    )
    suggestion = models.CharField(
        _("suggestion"),
        max_length=100,
        blank=True,
        help_text=_("What to write instead (the right form of a typo)."),
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("lexicon term")
        verbose_name_plural = _("lexicon terms")
        ordering = ["category", "term"]
        constraints = [
            models.UniqueConstraint(
                fields=["term", "category"],
                name="moderation_lexiconterm_unique",
                violation_error_message=_("This term is already in this category."),
            )
        ]

    def __str__(self):
        return self.term

    def save(self, *args, **kwargs):
        self.term = self.term.strip()
        if not self.severity:
            self.severity = self.default_severity(self.category)
        super().save(*args, **kwargs)
        invalidate_lexicon()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        invalidate_lexicon()
        return result

    @staticmethod
    def default_severity(category):
        return TERM_CATEGORIES.get(category, LexiconTerm.Severity.WARN)

    def clean(self):
        super().clean()
        self.term = (self.term or "").strip()
        if self.term and len(normalise_term(self.term)) < MIN_TERM_LENGTH:
            raise ValidationError(
                {
                    "term": _(
                        "A term needs at least %(count)d letters or characters "
                        "besides spaces and punctuation."
                    )
                    % {"count": MIN_TERM_LENGTH}
                }
            )
        if not self.severity:
            self.severity = self.default_severity(self.category)


class ApprovedSource(models.Model):
    """A source reprints may come from (稿源白名单)."""

    name = models.CharField(_("name"), max_length=100, help_text=_("e.g. 新华社"))
    domain = models.CharField(
        _("domain"),
        max_length=253,
        blank=True,
        help_text=_(
            "e.g. news.cn; addresses on this domain and under it "
            "(www.news.cn) count as this source."
        ),
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("approved source")
        verbose_name_plural = _("approved sources")
        ordering = ["name", "domain"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "domain"],
                name="moderation_approvedsource_unique",
                violation_error_message=_("This source is already listed."),
            )
        ]

    def __str__(self):
        return "%s（%s）" % (self.name, self.domain) if self.domain else self.name

    def save(self, *args, **kwargs):
        self.name = self.name.strip()
        self.domain = self.clean_domain(self.domain)
        super().save(*args, **kwargs)
        invalidate_lexicon()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        invalidate_lexicon()
        return result

    @staticmethod
    def clean_domain(value):
        """Reduce an address or domain to a bare lower-case domain ("" if none)."""
        value = (value or "").strip().lower()
        if not value:
            return ""
        host = source_host(value if "://" in value else "http://" + value)
        host = host.removeprefix("www.")
        return host

    def clean(self):
        super().clean()
        if self.domain.strip():
            domain = self.clean_domain(self.domain)
            if not domain or "." not in domain:
                raise ValidationError({"domain": _("Enter a domain such as news.cn.")})
            self.domain = domain


# The review workflow's models live beside their tasks.
from .workflows import (  # noqa: E402, F401
    AutomaticCheckTask,
    CheckRun,
    Notification,
    ReviewDecision,
    ReviewTask,
)
