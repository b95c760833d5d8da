"""The messages tests expect, in the language the code under test speaks.

Unless told otherwise, Rongmei speaks ``settings.LANGUAGE_CODE`` (Simplified
Chinese): the admin for a user who chose no language, its messages and form
errors, the management commands. A test builds the text it expects from the same
English msgid the code uses, translated into that language, so that it holds
whatever the site language and whatever the current translation::

    assert site_gettext("Choose at least one scope.") in form.errors["scopes"]
    assert site_gettext("Line %(line)d: %(message)s", line=2, message="x") in errors

When only some of a message's values matter (or a value is not known, like the
seconds of a pause), ``made_from`` and ``message_pattern`` match the translated
message with those values and anything in the other placeholders::

    assert made_from(error, "%(key)s: required.", key="title")

A msgid that differs from the code's is not in the catalogue, stays English and
fails the test, as a changed English text did before. Tests about English output
say so explicitly (a user whose preferred language is English, ``--language en``,
``translation.override("en")``) and then compare with English text.
"""

import re

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, ngettext


def site_language():
    """Speak the site language in the ``with`` block, as ``manage.py`` does."""
    return translation.override(settings.LANGUAGE_CODE)


def site_gettext(message, /, **params):
    """``message`` in the site language, with ``params`` filled in if given."""
    with site_language():
        text = gettext(message)
    return text % params if params else text


def site_ngettext(singular, plural, number, /, **params):
    """The singular or plural of a message in the site language, filled in."""
    with site_language():
        text = ngettext(singular, plural, number)
    return text % params if params else text


def message_pattern(text):
    """A regular expression matching the translated ``text`` with any value in
    its ``%(name)d``, ``%(name)s`` and ``%(name)r`` placeholders (a number for
    ``d``), each captured as the group ``name``; use it with ``fullmatch``."""
    regex, seen = [], set()
    for part in re.split(r"(%\(\w+\)[dsr])", text):
        placeholder = re.fullmatch(r"%\((\w+)\)([dsr])", part)
        if not placeholder:
            regex.append(re.escape(part))
            continue
        name, kind = placeholder.groups()
        if name in seen:
            regex.append("(?P=%s)" % name)
        else:
            regex.append("(?P<%s>%s)" % (name, r"\d+" if kind == "d" else ".+?"))
            seen.add(name)
    return re.compile("".join(regex), re.DOTALL)


def made_from(text, message, /, **values):
    """Whether ``text`` is ``message`` (a msgid) in the site language, with the
    strings ``values`` in the placeholders they name and anything in the others."""
    match = message_pattern(site_gettext(message)).fullmatch(text)
    return bool(match) and all(match[name] == value for name, value in values.items())
