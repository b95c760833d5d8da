import pytest

from moderation.checks.privacy import id_check_char, is_card_number, is_id_number

from . import check, document, found_texts

VALID_ID = "11010519491231002X"
WRONG_CHECK_DIGIT = "110105194912310021"


def luhn_complete(prefix):
    """Append the Luhn check digit to ``prefix``."""
    for digit in "0123456789":
        if _luhn(prefix + digit):
            return prefix + digit
    raise AssertionError


def _luhn(number):
    total = 0
    for index, char in enumerate(reversed(number)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def test_id_number_check_character():
    assert id_check_char(VALID_ID[:17]) == "x"
    assert is_id_number(VALID_ID)
    assert not is_id_number(WRONG_CHECK_DIGIT)


@pytest.mark.parametrize(
    "text",
    [
        "身份证号%s。" % VALID_ID,
        "身份证号 %s" % VALID_ID.lower(),
        "身份证号：110105 19491231 002X",
        "身份证号１１０１０５１９４９１２３１００２Ｘ",
    ],
)
def test_valid_id_number_blocks(text):
    """An ID number with a correct check character blocks, in any usual writing."""
    findings = check(document(text), category="privacy")
    assert [(f.code, f.severity) for f in findings] == [("privacy.id_number", "block")]


def test_id_number_excerpt_is_masked_and_located():
    doc = document("身份证号%s。" % VALID_ID)
    (finding,) = check(doc, category="privacy")
    assert finding.offset == 4 and finding.length == 18
    assert VALID_ID not in finding.excerpt
    assert "110***********002X" in finding.excerpt


@pytest.mark.parametrize(
    "text",
    [
        "编号%s" % WRONG_CHECK_DIGIT,  # wrong check digit
        "身份证号110105********002X",  # masked
        "订单号%s9" % VALID_ID[:-1],  # 19 characters
        "ID%s0" % VALID_ID,  # part of a longer code
    ],
)
def test_not_an_id_number(text):
    assert check(document(text), category="privacy", code="privacy.id") == []


def test_bank_card_numbers_pass_luhn_and_block():
    card = luhn_complete("621700000000000000")  # 19 digits, UnionPay
    visa = "4111111111111111"
    groups = [visa[i : i + 4] for i in range(0, 16, 4)]
    assert is_card_number(card)
    for text in (card, visa, " ".join(groups), "-".join(groups)):
        findings = check(document("卡号" + text), category="privacy")
        assert [f.code for f in findings] == ["privacy.bank_card"], text
        assert findings[0].severity == "block"


def test_numbers_failing_luhn_are_not_cards():
    assert check(document("卡号4111111111111112"), category="privacy") == []
    assert check(document("流水号1234567890123456"), category="privacy") == []


@pytest.mark.parametrize(
    "text, number",
    [
        ("联系人手机13800138000", "13800138000"),
        ("电话：+86 138 0013 8000", "+86 138 0013 8000"),
        ("电话138-0013-8000。", "138-0013-8000"),
    ],
)
def test_mobile_numbers_warn(text, number):
    doc = document(text)
    findings = check(doc, category="privacy")
    assert [(f.code, f.severity) for f in findings] == [("privacy.mobile", "warn")]
    assert found_texts(doc, category="privacy") == [number]
    assert "0013" not in findings[0].excerpt
    assert "138" in findings[0].excerpt and "****" in findings[0].excerpt


@pytest.mark.parametrize(
    "text",
    [
        "政务服务热线12345",
        "咨询电话010-12345678",
        "咨询电话（010）12345678",
        "电话0755-1234567",
        "客服400-810-8888",
        "客服95588",
        "联系手机138****8000",
        "2026年3月1日，共有13800人参加",
        "编号213800138000",  # 12 digits
        "全年营业收入13500000000元",
        "共有15000000000人次",
    ],
)
def test_hotlines_and_landlines_are_not_findings(text):
    """Public hotlines, landlines with an area code and masked numbers are fine."""
    assert check(document(text), category="privacy") == []


def test_an_id_number_is_not_also_a_card_or_mobile():
    findings = check(document(VALID_ID), category="privacy")
    assert [f.code for f in findings] == ["privacy.id_number"]
