import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from moderation.checks.lexicon import load_lexicon
from moderation.models import ApprovedSource, LexiconTerm
from tests.i18n import message_pattern, site_gettext
from tests.utils import make_user

pytestmark = pytest.mark.django_db

TERMS = "wagtailsnippets_moderation_lexiconterm"
SOURCES = "wagtailsnippets_moderation_approvedsource"


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    return client


def post_import(client, namespace=TERMS, **data):
    data = {"format": "auto", "category": "lexicon", "severity": "", **data}
    return client.post(reverse(namespace + ":import"), data)


def line_errors(response):
    """The import's errors listed on the page, ``{line number: message}``."""
    page = response.content.decode()
    pattern = message_pattern(site_gettext("Line %(line)d: %(message)s"))
    errors = {}
    for error in response.context["form"].non_field_errors():
        assert escape(error) in page
        match = pattern.fullmatch(error)
        assert match, error
        errors[int(match["line"])] = match["message"]
    return errors


def test_listing_offers_import_and_export(admin_client):
    response = admin_client.get(reverse(TERMS + ":list"))
    assert response.status_code == 200
    content = response.content.decode()
    assert reverse(TERMS + ":import") in content
    assert reverse(TERMS + ":export", kwargs={"kind": "csv"}) in content
    assert (
        "中华人民共和国"
        in admin_client.get(
            reverse(TERMS + ":list") + "?category=protected_name"
        ).content.decode()
    )


def test_import_form_renders(admin_client):
    response = admin_client.get(reverse(TERMS + ":import"))
    assert response.status_code == 200
    assert 'name="content"' in response.content.decode()


def test_import_plain_text_one_term_per_line(admin_client):
    """Lines give a term and, optionally, tab-separated fields; the form's
    category and the category's severity fill what they leave out."""
    content = (
        "# our list\n禁用词一\n禁用词二\ttypo\t\t正确词\n\n"
        "第三个\tsecrecy\twarn\t\t备注\t0\n"
    )
    response = post_import(admin_client, content=content, category="lexicon")
    assert response.status_code == 302
    rows = {
        t.term: (t.category, t.severity, t.suggestion, t.note, t.is_active)
        for t in LexiconTerm.objects.filter(term__in=["禁用词一", "禁用词二", "第三个"])
    }
    assert rows == {
        "禁用词一": ("lexicon", "block", "", "", True),
        "禁用词二": ("typo", "warn", "正确词", "", True),
        "第三个": ("secrecy", "warn", "", "备注", False),
    }
    # The next check in this process sees the new terms.
    assert any(t.term == "禁用词一" for t in load_lexicon().terms)


def test_import_updates_existing_terms(admin_client):
    LexiconTerm.objects.create(term="旧词", category="typo", suggestion="旧建议")
    post_import(admin_client, content="旧词\ttypo\twarn\t新建议\n新词\ttypo\n")
    assert LexiconTerm.objects.get(term="旧词", category="typo").suggestion == "新建议"
    assert LexiconTerm.objects.filter(term="新词").count() == 1


def test_import_csv_file(admin_client):
    body = "term,category,severity,suggestion\n错词,typo,,对词\n广告词,ads,block,\n"
    upload = SimpleUploadedFile("list.csv", body.encode("utf-8-sig"), "text/csv")
    response = admin_client.post(
        reverse(TERMS + ":import"),
        {"file": upload, "format": "auto", "category": "lexicon"},
    )
    assert response.status_code == 302
    assert LexiconTerm.objects.get(term="错词").suggestion == "对词"
    assert LexiconTerm.objects.get(term="广告词").severity == "block"


def test_import_gb18030_text_file(admin_client):
    upload = SimpleUploadedFile("list.txt", "国标编码词\n".encode("gb18030"))
    admin_client.post(
        reverse(TERMS + ":import"),
        {"file": upload, "format": "text", "category": "ads"},
    )
    assert LexiconTerm.objects.get(term="国标编码词").category == "ads"


def test_bad_lines_are_listed_and_nothing_is_imported(admin_client):
    """Every bad line is named; the content stays in the form to be fixed."""
    content = (
        "好词\n坏行\tnosuch\n好词二\ttypo\tsevere\n甲\n太多\ttypo\twarn\t\t\t1\textra\n"
    )
    response = post_import(admin_client, content=content)
    assert response.status_code == 200
    errors = line_errors(response)
    assert sorted(errors) == [2, 3, 4, 5]
    assert "nosuch" in errors[2]
    assert "severe" in errors[3]
    assert errors[4] and errors[5]
    assert "坏行" in response.content.decode()  # the content is kept
    assert not LexiconTerm.objects.filter(term__in=["好词", "好词二"]).exists()


def test_bad_csv_header(admin_client):
    response = post_import(
        admin_client, content="word,kind\n一个词,typo\n", format="csv"
    )
    assert response.status_code == 200
    errors = line_errors(response)
    assert list(errors) == [1]
    assert "word, kind" in errors[1]


def test_uploaded_file_is_kept_on_error(admin_client):
    upload = SimpleUploadedFile("list.txt", "正常\n坏\tbogus\n".encode())
    response = admin_client.post(
        reverse(TERMS + ":import"),
        {"file": upload, "format": "text", "category": "lexicon"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "bogus" in page and "正常" in page


def test_export_plain_text_and_csv_round_trip(admin_client):
    LexiconTerm.objects.create(
        term="导出词", category="typo", suggestion="建议", note="带\t制表"
    )
    text = admin_client.get(
        reverse(TERMS + ":export", kwargs={"kind": "txt"}) + "?category=typo"
    )
    assert text["Content-Type"].startswith("text/plain")
    lines = text.content.decode().splitlines()
    assert lines[0] == "# term\tcategory\tseverity\tsuggestion\tnote\tis_active"
    assert "导出词\ttypo\twarn\t建议\t带 制表\t1" in lines
    assert all("\ttypo\t" in line for line in lines[1:])

    response = admin_client.get(reverse(TERMS + ":export", kwargs={"kind": "csv"}))
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    exported = {
        "term": "导出词",
        "category": "typo",
        "severity": "warn",
        "suggestion": "建议",
        "note": "带\t制表",
        "is_active": "1",
    }
    assert exported in rows

    # Exported text imports back unchanged.
    count = LexiconTerm.objects.count()
    response = post_import(admin_client, content=text.content.decode())
    assert response.status_code == 302
    assert LexiconTerm.objects.count() == count


def test_unknown_export_format(admin_client):
    url = reverse(TERMS + ":export", kwargs={"kind": "xls"})
    assert admin_client.get(url).status_code == 404


def test_approved_sources_import_and_export(admin_client):
    response = post_import(
        admin_client, SOURCES, content="某某日报\thttps://www.mmrb.cn/news/\n"
    )
    assert response.status_code == 302
    assert ApprovedSource.objects.get(name="某某日报").domain == "mmrb.cn"
    export = admin_client.get(reverse(SOURCES + ":export", kwargs={"kind": "txt"}))
    assert "某某日报\tmmrb.cn\t\t1" in export.content.decode()


def test_people_without_permission_cannot_import_or_export(client):
    client.force_login(make_user(is_staff=True))
    assert client.get(reverse(TERMS + ":import")).status_code in (302, 403)
    export = client.get(reverse(TERMS + ":export", kwargs={"kind": "csv"}))
    assert export.status_code in (302, 403)
    assert "中华人民共和国" not in export.content.decode()


def test_term_validation():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        LexiconTerm(term="一", category="lexicon").full_clean()
    with pytest.raises(ValidationError):
        LexiconTerm(term=" * ", category="lexicon").full_clean()
