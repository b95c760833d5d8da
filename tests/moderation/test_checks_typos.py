import pytest

from . import check, document, found_texts


@pytest.mark.parametrize(
    "text, typo, suggestion",
    [
        ("他己经到了", "己经", "已经"),
        ("再接再励，再创佳绩", "再接再励", "再接再厉"),
        ("按装调试", "按装", "安装"),
        ("既使下雨也要去", "既使", "即使"),
        ("己 经", "己 经", "已经"),
        ("一如继往地支持", "一如继往", "一如既往"),
    ],
)
def test_confusion_pairs_warn_with_a_suggestion(text, typo, suggestion):
    doc = document(text)
    findings = check(doc, category="typo")
    assert found_texts(doc, category="typo") == [typo]
    assert findings[0].severity == "warn"
    assert findings[0].suggestion == suggestion
    assert suggestion in findings[0].message


@pytest.mark.parametrize(
    "text",
    [
        "他已经到了",
        "再接再厉",
        "安装调试",
        "即使下雨",
        "既使用了电脑又使用了手机",
        "按装修标准验收",
    ],
)
def test_right_words_are_not_typos(text):
    assert check(document(text), category="typo") == []
