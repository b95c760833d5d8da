import pytest

from moderation.checks.secrecy import find_marks

from . import check, document, found_texts


@pytest.mark.parametrize(
    "text, marked",
    [
        ("机密★", "机密★"),
        ("本文件 秘密★一年 请妥善保管", "秘密★一年"),
        ("绝密★长期", "绝密★长期"),
        ("机密 ★ 10年", "机密 ★ 10年"),
        ("密级：秘密", "密级：秘密"),
        ("这是绝密材料", "绝密"),
        ("機密★", "機密★"),
    ],
)
def test_secrecy_marks_block(text, marked):
    """密级 marks are found, blocking, at their place in the text."""
    doc = document(text)
    findings = check(doc, category="secrecy")
    assert [f.severity for f in findings] == ["block"]
    assert found_texts(doc, category="secrecy") == [marked]
    assert findings[0].code == "secrecy.mark"
    assert findings[0].field == "body.0"


@pytest.mark.parametrize(
    "text",
    [
        "内部资料",
        "请注意保密",
        "不得外传",
        "涉密人员",
        "内 部 资 料",
        "内部\u200b资料",
        "內部資料",
        "内部＊资料",
    ],
)
def test_secrecy_words_block_in_every_spelling(text):
    """Internal-material words block, also spaced out, with zero-width
    characters, in traditional characters or with symbols in between."""
    findings = check(document(text), category="secrecy")
    assert [(f.code, f.severity) for f in findings] == [("secrecy.term", "block")]


@pytest.mark.parametrize(
    "text",
    [
        "揭开宇宙的秘密",
        "这是一个秘密。",
        "保守国家秘密是每个公民的义务",
        "企业要保护商业机密",
        "机密文件管理办法解读",
        "手机，密码都要设置好",
        "内部，资料",
    ],
)
def test_ordinary_prose_is_not_a_secrecy_marker(text):
    """Prose that merely mentions secrets is not reported."""
    assert check(document(text), category="secrecy") == []


def test_marks_found_in_any_field():
    """Titles and captions are read as well as the body."""
    doc = document(title="秘密★一年 通知", fields=[("body.1.caption", "图：绝密")])
    assert [f.field for f in check(doc, category="secrecy")] == [
        "title",
        "body.1.caption",
    ]


def test_overlapping_patterns_report_one_mark():
    """A star mark containing 绝密 is one finding, not two."""
    assert find_marks("绝密★一年") == [(0, 5)]
