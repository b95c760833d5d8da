import pytest

from moderation.checks import Link, ReleaseDocument, TextField

from . import check, document, found_texts


def test_links_to_shops_warn():
    doc = ReleaseDocument(
        fields=(TextField("title", "标题"), TextField("body.0", "点这里购买")),
        links=(
            Link("body.0", "https://item.taobao.com/item.htm?id=1", 1, 2),
            Link("body.0", "https://www.gov.cn/zhengce/", 0, 1),
        ),
    )
    (finding,) = check(doc, category="ads")
    assert (finding.code, finding.severity, finding.offset) == ("ads.link", "warn", 1)
    assert "item.taobao.com" in finding.message


@pytest.mark.parametrize(
    "text, found",
    [
        ("详情见 https://m.tb.cn/h.abc 。", "https://m.tb.cn/h.abc"),
        ("访问jd.com/item/1购买", "jd.com/item/1"),
        ("现在限时优惠，扫码购买", "限时优惠"),
    ],
)
def test_shop_addresses_and_ad_wording_in_text_warn(text, found):
    assert found in found_texts(document(text), category="ads")


@pytest.mark.parametrize(
    "text",
    [
        "详见 https://www.gov.cn/zhengce/",
        "淘宝村电商发展报告",
        "jd.com.example.org",
        "市场监管局提醒消费者理性消费",
    ],
)
def test_government_links_and_news_about_commerce_are_fine(text):
    assert check(document(text), category="ads") == []
