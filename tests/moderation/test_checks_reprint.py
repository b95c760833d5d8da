from moderation.checks import ReleaseDocument, TextField

from . import check

COMPLETE = {
    "origin": "reprint",
    "source_name": "新华社",
    "source_url": "https://www.news.cn/politics/2026-03/01/c_1.htm",
    "original_title": "原标题",
    "original_author": "记者 王五",
}


def reprint(**changes):
    return ReleaseDocument(
        fields=(TextField("title", "标题"),), **{**COMPLETE, **changes}
    )


def test_complete_reprint_from_an_approved_source_is_fine():
    assert check(reprint(), category="reprint_source") == []


def test_each_missing_attribution_blocks():
    doc = reprint(source_name="", source_url=" ", original_title="", original_author="")
    findings = check(doc, category="reprint_source")
    assert {(f.code, f.field, f.severity) for f in findings} == {
        ("reprint.missing_source_name", "source_name", "block"),
        ("reprint.missing_source_url", "source_url", "block"),
        ("reprint.missing_original_title", "original_title", "block"),
        ("reprint.missing_original_author", "original_author", "block"),
    }


def test_original_releases_need_no_source():
    doc = ReleaseDocument(fields=(TextField("title", "标题"),), origin="original")
    assert check(doc, category="reprint_source") == []


def test_source_outside_the_approved_list_warns():
    doc = reprint(source_name="某某资讯", source_url="https://news.example.com/a")
    (finding,) = check(doc, category="reprint_source")
    assert (finding.code, finding.severity) == ("reprint.unapproved_source", "warn")
    assert "news.example.com" in finding.message


def test_approved_domains_include_subdomains_and_not_lookalikes():
    assert (
        check(reprint(source_url="http://sh.gov.cn/x"), category="reprint_source") == []
    )
    doc = reprint(source_url="https://news.cn.example.com/x")
    assert [f.code for f in check(doc, category="reprint_source")] == [
        "reprint.unapproved_source"
    ]


def test_source_url_must_be_a_web_address():
    doc = reprint(source_url="新华社客户端")
    assert [f.code for f in check(doc, category="reprint_source")] == [
        "reprint.invalid_source_url"
    ]
