"""Tests of the review app: content checks, lexicon lists, the batch command.

Helpers shared by the check tests live here: they build documents and run the
checks against the lists Rongmei ships, without a database.
"""

from moderation.checks import ReleaseDocument, TextField, run_checks
from moderation.checks.lexicon import Lexicon, Source, Term, default_lexicon


def document(body="", *, title="标题", **kwargs):
    """A document with a title and one body field (more fields as ``fields``)."""
    fields = [TextField("title", title)] if title else []
    if body:
        fields.append(TextField("body.0", body))
    fields.extend(TextField(name, text) for name, text in kwargs.pop("fields", ()))
    return ReleaseDocument(fields=tuple(fields), **kwargs)


def check(doc, *, lexicon=None, category=None, code=None):
    """Run every check; keep the findings of one category or code prefix."""
    findings = run_checks(doc, lexicon=lexicon or default_lexicon())
    if category:
        findings = [f for f in findings if f.category == category]
    if code:
        findings = [f for f in findings if f.code.startswith(code)]
    return findings


def found_texts(doc, **kwargs):
    """The text of the field at each finding's place."""
    return [
        doc.text(f.field)[f.offset : f.offset + f.length] for f in check(doc, **kwargs)
    ]


def lexicon_with(*terms, sources=()):
    """A lexicon of the shipped lists plus ``terms`` ((term, category[, severity,
    suggestion, note]) tuples)."""
    shipped = default_lexicon()
    return Lexicon(
        [*shipped.terms, *(Term(*t) for t in terms)],
        [*shipped.sources, *(Source(*s) for s in sources)],
        version="test",
    )
