"""The translation catalogues are complete and compiled.

Every user-facing string goes through gettext with an English msgid, and the admin
speaks Simplified Chinese by default, so an untranslated or fuzzy entry shows up as
English in the admin (gettext ignores fuzzy entries). The compiled ``django.mo`` is
committed next to ``django.po`` so that the admin is in Chinese even where gettext
(``msgfmt``) is not installed; the last test catches a ``.po`` edited without
running ``manage.py compilemessages`` afterwards.

After changing strings in the code: ``manage.py makemessages -l zh_Hans
--ignore=.venv --ignore=var --ignore=bench --ignore=tests --no-location``, translate
the new entries, then ``manage.py compilemessages -l zh_Hans --ignore=.venv``.

Only the standard library reads the catalogues here (polib is not a dependency).
"""

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale"
CATALOGUES = sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))
IDS = [po.parent.parent.name for po in CATALOGUES]

KEYWORD = re.compile(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$')
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    '"': '"',
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}


def _unquote(text):
    """The value of one quoted PO string (C escapes)."""
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def read_po(path):
    """The entries of a PO file, header included, obsolete (``#~``) ones left out.

    Each entry is a dict with ``flags`` (a set) and the keywords it has:
    ``msgctxt``, ``msgid``, ``msgid_plural``, ``msgstr`` or ``msgstr[N]``.
    """
    entries = []
    entry, keyword = None, None

    def finish():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#"):
            if keyword is not None:  # a comment starts the next entry
                finish()
                entry, keyword = None, None
            if line.startswith("#,"):
                entry = entry or {"flags": set()}
                entry["flags"].update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith('"'):
            assert keyword is not None, f"{path}:{number}: string outside an entry"
            entry[keyword] += _unquote(line)
            continue
        match = KEYWORD.match(line)
        assert match, f"{path}:{number}: cannot read {line!r}"
        name, value = match.groups()
        if name in ("msgctxt", "msgid") and (keyword or "").startswith("msgstr"):
            finish()
            entry = None
        if entry is None:
            entry = {"flags": set()}
        entry[name] = _unquote(value)
        keyword = name
    finish()
    return entries


def translations(entry):
    return [value for key, value in entry.items() if key.startswith("msgstr")]


def usable(entry):
    """Whether msgfmt compiles the entry: translated and not fuzzy."""
    return all(translations(entry)) and "fuzzy" not in entry["flags"]


def describe(entry):
    context = f"[{entry['msgctxt']}] " if "msgctxt" in entry else ""
    return context + repr(entry["msgid"])


def test_there_is_a_chinese_catalogue():
    assert "zh_Hans" in IDS, f"no locale/zh_Hans/LC_MESSAGES/django.po in {LOCALE}"


@pytest.mark.parametrize("po", CATALOGUES, ids=IDS)
def test_catalogue_has_no_untranslated_or_fuzzy_entries(po):
    entries = read_po(po)
    header = next(e for e in entries if e["msgid"] == "" and "msgctxt" not in e)
    messages = [e for e in entries if e is not header]
    assert messages, f"{po} has no entries"

    fuzzy = [describe(e) for e in messages if "fuzzy" in e["flags"]]
    untranslated = [describe(e) for e in messages if not all(translations(e))]
    assert not fuzzy, f"{len(fuzzy)} fuzzy entries in {po}: " + ", ".join(fuzzy)
    assert not untranslated, (
        f"{len(untranslated)} untranslated entries in {po}: " + ", ".join(untranslated)
    )
    assert "fuzzy" not in header["flags"], f"the header of {po} is marked fuzzy"
    assert "charset=UTF-8" in header["msgstr"], f"{po} is not declared UTF-8"
    language = po.parent.parent.name
    assert f"Language: {language}\n" in header["msgstr"], f"{po} has the wrong Language"


@pytest.mark.parametrize("po", CATALOGUES, ids=IDS)
def test_catalogue_passes_msgfmt_check(po):
    """msgfmt also checks format strings (``%(name)s``) and the plural header."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt not found (apt-get install gettext): not checked")
    result = subprocess.run(  # noqa: S603 - msgfmt on our own file, fixed arguments
        [msgfmt, "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        env={"LC_ALL": "C", "PATH": str(Path(msgfmt).parent)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr, result.stderr
    assert "fuzzy" not in result.stderr, result.stderr


@pytest.mark.parametrize("po", CATALOGUES, ids=IDS)
def test_compiled_catalogue_matches_the_po_file(po):
    """The committed .mo holds exactly what the .po says, so a forgotten compile fails.

    The contents are compared rather than the modification times: a git checkout
    gives both files the time of the checkout, in no particular order.
    """
    mo = po.with_suffix(".mo")
    hint = "run: manage.py compilemessages -l %s --ignore=.venv" % po.parent.parent.name
    assert mo.exists(), f"{mo} is missing; {hint}"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    stale = []
    for entry in read_po(po):
        if not entry["msgid"] or not usable(entry):
            continue
        msgid, context = entry["msgid"], entry.get("msgctxt")
        if "msgid_plural" in entry:
            plural = entry["msgid_plural"]
            for key, wanted in entry.items():
                if not key.startswith("msgstr["):
                    continue
                index = int(key[7:-1])
                # Find an n that selects this form under the catalogue's plural rule.
                n = next((n for n in range(200) if compiled.plural(n) == index), None)
                if n is None:
                    continue
                if context is None:
                    got = compiled.ngettext(msgid, plural, n)
                else:
                    got = compiled.npgettext(context, msgid, plural, n)
                if got != wanted:
                    stale.append(describe(entry))
        else:
            wanted = entry["msgstr"]
            if context is None:
                got = compiled.gettext(msgid)
            else:
                got = compiled.pgettext(context, msgid)
            if got != wanted:
                stale.append(describe(entry))
    listed = ", ".join(stale[:10])
    assert not stale, f"{mo} is stale: {len(stale)} entries differ ({listed}); {hint}"
