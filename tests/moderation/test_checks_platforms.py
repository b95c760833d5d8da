import pytest

from moderation.checks import ReleaseDocument, Target, TextField
from moderation.checks.platforms import weibo_length

from . import check


def release(title="标题", targets=("wechat_oa",), html="<p>正文</p>", **kwargs):
    fields = [TextField("title", title)]
    for name in ("author", "digest"):
        if name in kwargs:
            fields.append(TextField(name, kwargs.pop(name)))
    return ReleaseDocument(
        fields=tuple(fields),
        targets=tuple(t if isinstance(t, Target) else Target(t) for t in targets),
        html=html,
        **kwargs,
    )


def test_wechat_title_author_and_digest_limits():
    assert check(release("字" * 32, author="字" * 16, digest="字" * 128)) == []
    findings = check(release("字" * 33, author="字" * 17, digest="字" * 129))
    assert [(f.code, f.field, f.severity, f.target) for f in findings] == [
        ("length.wechat_title", "title", "block", "wechat_oa"),
        ("length.wechat_digest", "digest", "block", "wechat_oa"),
        ("length.wechat_author", "author", "block", "wechat_oa"),
    ]
    title = findings[0]
    assert (title.offset, title.length) == (32, 1)
    assert "33" in title.message and "32" in title.message


def test_wechat_content_limit():
    assert check(release(html="字" * 19_999)) == []
    (finding,) = check(release(html="字" * 20_000))
    assert finding.code == "length.wechat_content"
    assert "20000" in finding.message


def test_title_set_for_the_account_is_checked():
    target = Target(
        "wechat_oa", title="字" * 40, account="某公众号", title_field="targets.0.title"
    )
    (finding,) = check(release(targets=[target]))
    assert finding.field == "targets.0.title"
    assert finding.message.startswith("某公众号")


def test_weibo_length_counts_a_link_as_a_short_link():
    assert weibo_length("你好") == 2
    assert weibo_length("看 https://www.example.gov.cn/" + "a" * 60) == 2 + 20
    long_url = "https://example.cn/" + "a" * 200
    assert weibo_length(long_url) == 20 + len(long_url) - 140


@pytest.mark.parametrize("length, blocked", [(119, False), (120, True)])
def test_weibo_status_limit_includes_the_link(length, blocked):
    """Title + space + link (20) must fit in 140."""
    doc = release("字" * length, targets=["weibo"], url="https://x.gov.cn/r/1/")
    findings = check(doc)
    assert bool(findings) == blocked
    if blocked:
        assert findings[0].code == "length.weibo_status"
        assert "141" in findings[0].message and "140" in findings[0].message


def test_weibo_text_set_for_the_account_is_checked():
    target = Target("weibo", text="字" * 130, text_field="targets.0.text")
    (finding,) = check(release(targets=[target]))
    assert finding.field == "targets.0.text"


def test_douyin_needs_a_video():
    (finding,) = check(release(targets=["douyin"]))
    assert (finding.category, finding.code, finding.severity, finding.target) == (
        "video",
        "video.douyin_missing",
        "block",
        "douyin",
    )
    assert check(release(targets=["douyin"], has_video=True)) == []


def test_no_targets_no_platform_findings():
    assert check(release("字" * 100, targets=[])) == []


def test_same_finding_for_two_accounts_is_reported_once():
    assert len(check(release("字" * 40, targets=["wechat_oa", "wechat_oa"]))) == 1
