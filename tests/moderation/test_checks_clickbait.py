import pytest

from moderation.checks import Target

from . import check, document, found_texts


@pytest.mark.parametrize(
    "title, found",
    [
        ("震惊！这个小区竟然这样", "震惊！"),
        ("刚刚，国务院发布重要通知", "刚刚，"),
        ("【突发】某地发生地震", "【突发】"),
        ("重磅！新政策出台", "重磅！"),
        ("速看，这些地方要停水", "速看"),
        ("不转不是中国人", "不转不是"),
        ("这是真的吗？？", "？？"),
        ("太好了!!!", "!!!"),
        ("好消息！！", "！！"),
        ("真的?!?", "?!?"),
    ],
)
def test_clickbait_titles_warn(title, found):
    doc = document(title=title)
    findings = check(doc, category="clickbait")
    assert found_texts(doc, category="clickbait") == [found]
    assert findings[0].severity == "warn"
    assert findings[0].field == "title"


@pytest.mark.parametrize(
    "title",
    [
        "刚刚过去的一年，我省经济稳中向好",
        "突发事件应急预案修订发布",
        "国际社会对此深感震惊",
        "真的吗？！",
        "春天来了！",
        "如何办理居住证？",
    ],
)
def test_ordinary_titles_are_fine(title):
    assert check(document(title=title), category="clickbait") == []


def test_only_titles_are_read():
    doc = document("速看！这里有一段正文!!!", title="通知")
    assert check(doc, category="clickbait") == []


def test_subtitles_and_account_titles_are_titles():
    doc = document(
        title="通知",
        fields=[("subtitle", "速看"), ("targets.0.title", "震惊！")],
        targets=(Target("weibo", title="震惊！", title_field="targets.0.title"),),
    )
    assert [f.field for f in check(doc, category="clickbait")] == [
        "subtitle",
        "targets.0.title",
    ]
