import random
import string
import time

import pytest

from moderation.checks import run_checks
from moderation.checks.context import CheckContext
from moderation.checks.lexicon import (
    ALLOWED,
    Lexicon,
    NormalisedFields,
    NormalisedText,
    Term,
    TermMatcher,
    invalidate_lexicon,
    lexicon_version,
    load_lexicon,
    map_chars,
    normalise_term,
)
from moderation.models import LexiconTerm

from . import check, document, found_texts, lexicon_with

LEXICON = lexicon_with(
    ("机密文件", "lexicon", "block", "", "示例"),
    ("法轮", "lexicon", "block"),
    ("VPN", "lexicon", "warn"),
    ("ad", "lexicon", "warn"),
    ("测试词", "lexicon", "warn", "替换词"),
    ("手机密码", "allowed"),
    ("机密", "lexicon", "block"),
)


def lexicon_texts(text):
    doc = document(text)
    return found_texts(doc, lexicon=LEXICON, category="lexicon")


def test_normalise_term():
    assert normalise_term(" ＡＢ　Ｃ ") == "abc"
    assert normalise_term("機 密") == "机密"
    assert normalise_term("机\u200b*密") == "机密"
    assert map_chars("機密ABC１２") == "机密abc12"


def test_normalised_text_maps_back_to_the_original():
    normalised = NormalisedText("前 机 \u200b密 后")
    assert normalised.text == "前机密后"
    start = normalised.text.index("机密")
    assert normalised.span(start, start + 2) == (2, 6)


@pytest.mark.parametrize(
    "text, found",
    [
        ("这是机密", "机密"),
        ("机 密", "机 密"),
        ("机\u200b密", "机\u200b密"),
        ("机*密", "机*密"),
        ("机·密", "机·密"),
        ("機密", "機密"),
        ("機 密", "機 密"),
        ("下载ＶＰＮ软件", "ＶＰＮ"),
        ("下载vpn软件", "vpn"),
        ("v p n", "v p n"),
    ],
)
def test_normalisation_defeats_evasion(text, found):
    """Spaces, zero-width characters, symbols, full-width and traditional forms
    and case do not hide a term; the finding covers the original spelling."""
    assert found in lexicon_texts(text)


def test_evasion_across_punctuation_needs_every_character_set_apart():
    """机，密，文，件 is found for a term of three or more characters; ordinary
    clauses are not read across punctuation."""
    assert "机，密，文，件" in lexicon_texts("这是机，密，文，件。")
    assert lexicon_texts("我的手机，密码，文件都丢了") == []
    assert lexicon_texts("机，密") == []


def test_allowed_terms_keep_findings_away():
    assert lexicon_texts("请设置手机密码") == []
    assert lexicon_texts("手机和机密") == ["机密"]


def test_ascii_terms_match_whole_words_only():
    assert lexicon_texts("load the file") == []
    assert lexicon_texts("an ad here") == ["ad"]
    assert lexicon_texts("广告ad位") == ["ad"]


def test_overlapping_terms_are_all_found():
    assert lexicon_texts("机密文件") == ["机密文件", "机密"]


def test_lexicon_finding_shape():
    (finding,) = check(document("这是测试词。"), lexicon=LEXICON, category="lexicon")
    assert finding.code == "lexicon.term"
    assert finding.severity == "warn"
    assert finding.suggestion == "替换词"
    assert (finding.field, finding.offset, finding.length) == ("body.0", 2, 3)
    assert "测试词" in finding.message


def test_note_is_part_of_the_message():
    (finding,) = check(document("机密文件"), lexicon=LEXICON, code="lexicon")[:1]
    assert "示例" in finding.message


def test_ordinary_text_has_no_lexicon_findings():
    assert lexicon_texts("今天天气很好，我们去公园散步。") == []


def test_one_character_terms_are_ignored():
    matcher = TermMatcher([Term("机", "lexicon"), Term("机密", "lexicon")])
    assert matcher.patterns == ["机密"]


def test_the_same_pattern_in_two_categories():
    lexicon = Lexicon([Term("速看", "lexicon", "block"), Term("速看", "clickbait")])
    findings = run_checks(document("速看", title="速看"), lexicon=lexicon)
    assert {(f.field, f.category) for f in findings} == {
        ("title", "lexicon"),
        ("title", "clickbait"),
        ("body.0", "lexicon"),
    }


@pytest.mark.django_db
def test_load_lexicon_reads_the_database_once_per_version():
    """The shipped defaults are in the database; a change makes a new version,
    seen at the next look (at most every few seconds)."""
    invalidate_lexicon()
    first = load_lexicon(max_age=0)
    assert any(t.term == "中华人民共和国" for t in first.terms)
    assert load_lexicon(max_age=60) is first
    # Another process adds a term (no save() here to tell this one).
    LexiconTerm.objects.bulk_create([LexiconTerm(term="新加的词", severity="block")])
    assert load_lexicon(max_age=60) is first  # not looked at yet
    second = load_lexicon(max_age=0)
    assert second is not first
    assert second.version == lexicon_version()
    assert check(document("这是新加的词"), lexicon=second, category="lexicon")
    assert load_lexicon(max_age=0) is second  # same version, not rebuilt


@pytest.mark.django_db
def test_saving_a_term_is_seen_at_once_in_this_process():
    first = load_lexicon(max_age=0)
    LexiconTerm.objects.create(term="马上生效", category="lexicon")
    assert load_lexicon(max_age=60) is not first


@pytest.mark.django_db
def test_inactive_terms_are_not_loaded_and_severity_defaults():
    term = LexiconTerm.objects.create(term="停用词", category="typo", is_active=False)
    assert term.severity == "warn"
    assert LexiconTerm.objects.create(term="另一个", category="secrecy").severity == (
        "block"
    )
    invalidate_lexicon()
    assert not any(t.term == "停用词" for t in load_lexicon(max_age=0).terms)


def test_matcher_is_built_once_per_lexicon():
    started = time.perf_counter()
    lexicon = lexicon_with(*((str(n) + "号词", "lexicon") for n in range(2000)))
    assert time.perf_counter() - started < 5
    assert lexicon.matcher is lexicon.matcher
    assert lexicon.derived("x", lambda lx: object()) is lexicon.derived("x", None)


# -- the fast scan against an obvious one -------------------------------------

REFERENCE_LEXICON = Lexicon(
    [
        Term(*row)
        for row in (
            ("机密文件", "lexicon", "block"),
            ("机密", "lexicon", "block"),
            ("密文", "lexicon"),
            ("密文", "typo", "warn", "秘闻"),  # one pattern, two categories
            ("文件", "secrecy"),
            ("内部资料", "secrecy", "block"),
            ("手机密码", "allowed"),
            ("VPN", "lexicon"),
            ("ad", "ads"),
            ("a1", "lexicon"),
            ("1号", "lexicon"),
            ("国家机", "lexicon"),
            ("法轮", "lexicon", "block"),
            ("速看", "clickbait"),
            ("中华人民共和国", "protected_name", "block"),
        )
    ]
)
# Characters of the terms above and of the shipped lists, their traditional and
# full-width forms, upper case, separators, punctuation and filler.
ALPHABET = (
    "机密文件手码法轮国家中华人民共和速看内部资料号"
    "機國華輪內資號"
    "vpnadlo1VPNADＶＰＮａｄ１"
    " \u200b*·-._／\u3000"
    "，，。、\n；"
    "的是在了"
)
ASCII_ALNUM = set(string.ascii_lowercase + string.digits)


CLEAN = "机密文件手码法轮国家中华人民共和速看内部资料号，。、\n；的是在了"


def random_text(rng):
    """A text of terms, spaced-out terms and random characters; now and then
    one that normalisation leaves as it is."""
    alphabet = CLEAN if rng.random() < 0.4 else ALPHABET
    parts = []
    for _ in range(rng.randint(0, 12)):
        roll = rng.random()
        if roll < 0.3:
            term = rng.choice(REFERENCE_LEXICON.terms).term
            if rng.random() < 0.3:  # spaced out: 机，密，文
                term = rng.choice("，。、 *").join(term)
            parts.append(term)
        else:
            parts.append("".join(rng.choices(alphabet, k=rng.randint(1, 6))))
    return "".join(parts)


def reference_scan(document, lexicon):
    """What ``CheckContext.scan`` finds, found the slow, obvious way: every
    pattern looked for at every place of each field on its own."""
    matcher = lexicon.matcher
    result = {}
    for field in document.fields:
        normalised = NormalisedText(field.text)
        mapped = normalised.mapped
        found = set()
        for index, pattern in enumerate(matcher.patterns):
            at = normalised.text.find(pattern)
            while at != -1:
                found.add((*normalised.span(at, at + len(pattern)), index))
                at = normalised.text.find(pattern, at + 1)
            for run, positions in normalised.spaced_runs:
                at = run.find(pattern) if len(pattern) >= 3 else -1
                while at != -1:
                    end = positions[at + len(pattern) - 1] + 1
                    found.add((positions[at], end, index))
                    at = run.find(pattern, at + 1)

        def whole_word(match):
            pattern = matcher.patterns[match[2]]
            start, end = match[0], match[1]
            if pattern[0] in ASCII_ALNUM and start and mapped[start - 1] in ASCII_ALNUM:
                return False
            return not (
                pattern[-1] in ASCII_ALNUM
                and end < len(mapped)
                and mapped[end] in ASCII_ALNUM
            )

        buckets = {}
        for match in filter(whole_word, found):
            for category in matcher.categories[match[2]]:
                buckets.setdefault(category, set()).add(match)
        allowed = buckets.get(ALLOWED, ())
        for category, matches in buckets.items():
            if category != ALLOWED:
                matches -= {
                    m
                    for m in matches
                    if any(s <= m[0] and m[1] <= e for s, e, _ in allowed)
                }
            if matches:
                result[field.name, category] = matches
    return result


@pytest.mark.parametrize("seed", range(6))
def test_scan_finds_what_an_obvious_search_finds(seed):
    """The one-look normalisation of every field, the automaton and the sorting
    into categories report exactly the matches that looking for every pattern
    at every place of each normalised field reports."""
    rng = random.Random(seed)
    for _ in range(200):
        fields = [("body.%d" % n, random_text(rng)) for n in range(rng.randint(1, 8))]
        doc = document(title=random_text(rng), fields=fields)
        scan = CheckContext(doc, REFERENCE_LEXICON).scan
        got = {}
        for category, per_field in scan.items():
            for field, matches in per_field:
                assert len(set(matches)) == len(matches)  # each match once
                got[field.name, category] = set(matches)
        assert got == reference_scan(doc, REFERENCE_LEXICON), doc.fields


def test_normalised_fields_finds_the_fields_normalisation_changes():
    texts = ["", "機密", "机密", "", "A b", "纯文本", "ｖｐｎ", "机，密，文"]
    fields = NormalisedFields(texts)
    assert sorted(fields.changed) == [1, 4, 6]
    assert fields.texts == ["", "机密", "机密", "", "ab", "纯文本", "vpn", "机，密，文"]
    assert fields.spaced
    for index, text in enumerate(texts):
        alone = NormalisedText(text)
        assert (fields[index].text, fields[index].mapped) == (alone.text, alone.mapped)
        assert fields[index].spaced_runs == alone.spaced_runs
    assert not NormalisedFields(["机密", "文件。"]).spaced


def test_patterns_of_the_commonest_category_come_first():
    """Matches of those patterns are sorted into their category without
    reading the pattern's categories."""
    matcher = REFERENCE_LEXICON.matcher
    assert (matcher.main_category, matcher.main_count) == ("lexicon", 7)
    for index, categories in enumerate(matcher.categories):
        assert (index < matcher.main_count) == (set(categories) == {"lexicon"})
