from . import check, document, lexicon_with


def test_traditional_characters_are_listed():
    doc = document("经济發展很重要")
    (finding,) = check(doc, category="traditional")
    assert finding.severity == "warn"
    assert (finding.offset, finding.length) == (2, 1)
    assert "發" in finding.message and "发" in finding.message
    assert finding.suggestion == "发"


def test_close_characters_make_one_finding():
    doc = document("我們的國家")
    (finding,) = check(doc, category="traditional")
    assert doc.text("body.0")[finding.offset : finding.offset + finding.length] == (
        "們的國"
    )
    assert finding.suggestion == "们的国"
    assert "們、國" in finding.message


def test_simplified_text_and_words_kept_by_opencc_are_fine():
    for text in ("经济发展很重要", "乾隆皇帝", "著作权法", "了解情况", "头发"):
        assert check(document(text), category="traditional") == [], text


def test_allowed_names_and_quotations():
    lexicon = lexicon_with(("國立臺灣大學", "allowed"))
    doc = document("他毕业于國立臺灣大學，後来…")
    findings = check(doc, lexicon=lexicon, category="traditional")
    assert [doc.text("body.0")[f.offset] for f in findings] == ["後"]
