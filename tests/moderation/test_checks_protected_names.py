import pytest

from moderation.checks.protected_names import edit_kind

from . import check, document, found_texts, lexicon_with


@pytest.mark.parametrize(
    "text, miss, name",
    [
        ("中华人民共合国成立", "中华人民共合国", "中华人民共和国"),
        ("中华人民大和国", "中华人民大和国", "中华人民共和国"),
        ("中共人民共和国", "中共人民共和国", "中华人民共和国"),
        ("中华人民和共国", "中华人民和共国", "中华人民共和国"),
        ("中华人民共和和国", "中华人民共和和国", "中华人民共和国"),
        ("中华人民和国", "中华人民和国", "中华人民共和国"),
        ("最高人名法院", "最高人名法院", "最高人民法院"),
        ("全国人民代表大回", None, None),
        ("全国人名代表大会", "全国人名代表大会", "全国人民代表大会"),
        ("中國共產黨", None, None),
    ],
)
def test_near_misses_block(text, miss, name):
    """One edit inside a protected name blocks, with the right name suggested."""
    doc = document(text)
    findings = check(doc, category="protected_name")
    if miss is None:
        assert findings == []
        return
    assert found_texts(doc, category="protected_name") == [miss]
    assert findings[0].severity == "block"
    assert findings[0].suggestion == name


@pytest.mark.parametrize(
    "text",
    [
        "中华人民共和国成立七十五周年",
        "中華人民共和國",  # traditional, but right
        "中国共产主义青年团",
        "美国国务卿访华",
        "全国人民代表大会常务委员会",
        "中国人民解放军",
        "中国人民解放战争",
        "他是全国人民代表，大会期间发言",
        "中华人民共和国和中华人民共和国",
    ],
)
def test_correct_names_and_other_words_are_not_near_misses(text):
    assert check(document(text), category="protected_name") == []


def test_own_names_and_allowed_text():
    lexicon = lexicon_with(("齐齐哈尔市", "protected_name"), ("中国共和党", "allowed"))
    assert found_texts(document("齐齐哈市"), lexicon=lexicon, category="protected_name")
    assert (
        check(document("中国共和党"), lexicon=lexicon, category="protected_name") == []
    )


def test_edit_kind():
    assert edit_kind("中华人民共和国", "中华人民共合国") == "replaced"
    assert edit_kind("中华人民共和国", "中华人民和共国") == "swapped"
    assert edit_kind("中华人民共和国", "中华人民和国") == "missing"
    assert edit_kind("中华人民共和国", "中华人民共和和国") == "added"
    assert edit_kind("中华人民共和国", "中华人民共和图") == ""  # at the end
    assert edit_kind("中华人民共和国", "中华人民共和国") == ""
