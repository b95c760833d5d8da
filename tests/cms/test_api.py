"""The headless API at /api/v2/: what it serves, what it never shows, caching
headers, CORS and the number of queries a listing takes."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date
from wagtail.models import PageLogEntry

from channels.models import Account
from cms.models import CreditedRendition, ReleasePage, Unit
from tests.utils import make_account, make_image, make_release, make_unit

pytestmark = pytest.mark.django_db

RELEASES = "/api/v2/pages/?type=cms.ReleasePage"
SECRET = "SECRET-XYZ"

PUBLIC_RELEASE_FIELDS = {
    "title",
    "subtitle",
    "digest",
    "author",
    "origin",
    "source_name",
    "source_url",
    "original_title",
    "original_author",
    "importance",
    "unit_info",
    "published_at",
    "cover_image",
    "cover",
    "cover_thumbnail",
    "body",
    "body_html",
    "tags",
}


def publish_release(unit, tags=(), **kwargs):
    """A live release, with ``tags`` published along with it."""
    release = make_release(unit, publish=True, **kwargs)
    if tags:
        release.tags.add(*tags)
        release.save_revision().publish()
        release.refresh_from_db()
    return release


def backdate_page_changes(delta=timedelta(hours=1)):
    """Date every logged page change ``delta`` ago: a Last-Modified naming the
    current second is never sent."""
    PageLogEntry.objects.update(timestamp=timezone.now() - delta)


@pytest.fixture
def unit():
    return make_unit("教务处", "jwc")


@pytest.fixture
def reprint(unit):
    """A live reprint with every public field set, a cover and tags."""
    return publish_release(
        unit,
        title="开学典礼举行",
        subtitle="新生三千余人参加",
        digest="九月一日，开学典礼在体育馆举行。",
        author="文／张三",
        origin=ReleasePage.Origin.REPRINT,
        source_name="校报",
        source_url="https://news.example.cn/1",
        original_title="开学典礼隆重举行",
        original_author="李四",
        importance=ReleasePage.Importance.MAJOR,
        cover_image=make_image("封面"),
        tags=["迎新", "典礼"],
    )


def test_listing_shows_live_releases_with_all_public_fields(client, unit, reprint):
    """With fields=*, each live release carries every public field: texts, source,
    importance, unit, publication time, cover renditions, body blocks, the body
    rendered as HTML, and tags."""
    response = client.get(RELEASES + "&fields=*")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["meta"]["total_count"] == 1
    [item] = data["items"]
    assert set(item) == {"id", "meta", *PUBLIC_RELEASE_FIELDS}
    assert item["id"] == reprint.id
    assert item["meta"]["type"] == "cms.ReleasePage"
    assert item["title"] == "开学典礼举行"
    assert item["subtitle"] == "新生三千余人参加"
    assert item["digest"] == "九月一日，开学典礼在体育馆举行。"
    assert item["author"] == "文／张三"
    assert item["origin"] == "reprint"
    assert item["source_name"] == "校报"
    assert item["source_url"] == "https://news.example.cn/1"
    assert item["original_title"] == "开学典礼隆重举行"
    assert item["original_author"] == "李四"
    assert item["importance"] == "major"
    assert item["unit_info"] == {"id": unit.id, "name": "教务处", "code": "jwc"}
    assert parse_datetime(item["published_at"]) == reprint.first_published_at
    assert item["cover_image"]["id"] == reprint.cover_image_id
    assert "fill-900x500" in item["cover"]["url"]
    assert item["cover"]["full_url"].startswith("http")
    assert "fill-300x200" in item["cover_thumbnail"]["url"]
    assert (item["cover_thumbnail"]["width"], item["cover_thumbnail"]["height"]) == (
        300,
        200,
    )
    assert [(b["type"], b["value"]) for b in item["body"]] == [
        ("paragraph", "<p>正文第一段。</p>"),
        ("heading", "小标题"),
    ]
    assert "<p>正文第一段。</p>" in item["body_html"]
    assert "小标题</h2>" in item["body_html"]
    assert item["tags"] == ["典礼", "迎新"]


def test_default_listing_fields(client, reprint):
    """Without fields=, a listing gives the documented short form."""
    [item] = client.get(RELEASES).json()["items"]
    assert set(item) == {"id", "meta", "title"}
    assert set(item["meta"]) == {
        "type",
        "detail_url",
        "html_url",
        "slug",
        "first_published_at",
    }


def test_drafts_and_unpublished_releases_are_absent(client, unit, reprint):
    """Only live releases are served, as last published: never a draft, an
    unpublished release or the unpublished changes of a live one."""
    draft = make_release(unit, title="草稿")
    withdrawn = publish_release(unit, title="已撤回")
    withdrawn.unpublish()
    reprint.title = "未发布的修改"
    reprint.save_revision()

    response = client.get(RELEASES + "&fields=*")

    items = response.json()["items"]
    assert [item["id"] for item in items] == [reprint.id]
    assert items[0]["title"] == "开学典礼举行"
    assert "草稿".encode() not in response.content
    assert "未发布的修改".encode() not in response.content
    for release in (draft, withdrawn):
        detail = client.get("/api/v2/pages/%d/" % release.id)
        assert detail.status_code == 404
        assert detail.json()["message"]


def test_detail_view(client, unit, reprint):
    """A release's detail view gives every public field and its parent section."""
    response = client.get("/api/v2/pages/%d/" % reprint.id)

    assert response.status_code == 200
    data = response.json()
    assert PUBLIC_RELEASE_FIELDS <= set(data)
    assert data["meta"]["type"] == "cms.ReleasePage"
    assert data["meta"]["parent"]["id"] == unit.section.id
    assert data["unit_info"]["code"] == "jwc"
    assert data["tags"] == ["典礼", "迎新"]
    assert "小标题</h2>" in data["body_html"]


def test_unknown_release_is_a_404_with_a_message(client):
    """An id that is not a live page answers 404 with a JSON message."""
    response = client.get("/api/v2/pages/999999/")
    assert response.status_code == 404
    assert response.json()["message"]


@pytest.mark.parametrize(
    "query",
    ["limit=abc", "offset=-1", "order=nonexistent", "fields=nonexistent", "x=1"],
)
def test_bad_query_parameter_is_a_400_with_a_message(client, reprint, query):
    """A malformed or unknown parameter answers 400 with a JSON message."""
    response = client.get(RELEASES + "&" + query)
    assert response.status_code == 400
    assert response.json()["message"]


def test_accounts_show_public_facts_only(client, unit):
    """Account listings and details never show credentials, administrators or the
    leader's phone, whatever fields are asked for."""
    account = make_account(
        unit, name="教务处微博", credentials={"access_token": SECRET}
    )
    secrets = [
        SECRET,
        account.credentials,  # the encrypted form
        "010-12345678",  # the leader's phone
        "13800138000",  # an administrator's phone
        "李管理",
        "admin@example.cn",
    ]

    responses = [
        client.get("/api/v2/accounts/"),
        client.get("/api/v2/accounts/?fields=*"),
        client.get("/api/v2/accounts/%d/" % account.id),
        client.get("/api/v2/accounts/%d/?fields=*" % account.id),
        client.get("/api/v2/accounts/?fields=*,unit(*)"),
    ]

    for response in responses:
        assert response.status_code == 200
        for secret in secrets:
            assert secret.encode() not in response.content
    public_fields = {
        "id",
        "meta",
        "name",
        "platform",
        "unit",
        "home_url",
        "is_verified",
        "verification_subject",
        "purpose",
        "status",
        "opened_on",
    }
    [item] = responses[1].json()["items"]
    assert item["name"] == "教务处微博"
    assert set(item) == public_fields
    assert set(responses[3].json()) == public_fields


@pytest.mark.parametrize(
    "query",
    [
        "fields=credentials",
        "fields=administrators",
        "fields=leader_phone",
        "fields=administrators(phone)",
        "leader_phone=010-12345678",
        "credentials=x",
        "order=leader_phone",
    ],
)
def test_accounts_refuse_private_fields(client, unit, query):
    """Asking for, filtering or ordering by a private field is refused, so the API
    cannot be used to probe one either."""
    make_account(unit, credentials={"access_token": SECRET})
    response = client.get("/api/v2/accounts/?" + query)
    assert response.status_code == 400
    assert SECRET.encode() not in response.content


def test_accounts_filter_and_order_by_public_fields(client, unit):
    """Field filters and ordering apply, rather than being accepted and ignored;
    search is refused, since the search index holds non-public data."""
    weibo = make_account(unit, platform="weibo", name="B号")
    douyin = make_account(unit, platform="douyin", name="A号")

    filtered = client.get("/api/v2/accounts/?platform=douyin").json()["items"]
    ordered = client.get("/api/v2/accounts/?order=-name").json()["items"]

    assert [item["id"] for item in filtered] == [douyin.id]
    assert [item["id"] for item in ordered] == [weibo.id, douyin.id]
    assert client.get("/api/v2/accounts/?search=x").status_code == 400


def test_accounts_being_applied_for_or_closed_are_absent(client, unit):
    """Only running and dormant accounts are listed."""
    running = make_account(unit)
    dormant = make_account(unit, status=Account.Status.DORMANT)
    make_account(unit, status=Account.Status.APPLYING)
    make_account(unit, status=Account.Status.CLOSED)

    items = client.get("/api/v2/accounts/").json()["items"]

    assert sorted(item["id"] for item in items) == [running.id, dormant.id]


def test_units_endpoint(client, unit):
    """Active units are listed with name, code and kind; inactive ones are not."""
    child = make_unit("教务处实验室", "jwc-lab", parent=unit)
    make_unit("已撤销单位", "gone", is_active=False)

    listing = client.get("/api/v2/units/?fields=*")
    detail = client.get("/api/v2/units/%d/" % child.id)

    assert listing.status_code == 200
    by_code = {item["code"]: item for item in listing.json()["items"]}
    assert set(by_code) == {"jwc", "jwc-lab"}
    assert by_code["jwc"]["name"] == "教务处"
    assert by_code["jwc"]["kind"] == Unit.Kind.SECONDARY
    assert by_code["jwc-lab"]["parent"]["id"] == unit.id
    assert detail.status_code == 200
    assert detail.json()["name"] == "教务处实验室"
    filtered = client.get("/api/v2/units/?parent=%d" % unit.id).json()["items"]
    assert [item["id"] for item in filtered] == [child.id]


def test_images_endpoint_gives_the_credit(client):
    """An image's detail carries the credit every published picture needs."""
    image = make_image("操场", credit="摄影：王五")
    data = client.get("/api/v2/images/%d/" % image.id).json()
    assert data["credit"] == "摄影：王五"


def test_etag_and_if_none_match(client, reprint):
    """Every answer carries an ETag; sending it back gets 304 without a body."""
    url = RELEASES + "&fields=*"
    first = client.get(url)
    etag = first["ETag"]
    assert etag

    again = client.get(url, HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304
    assert again.content == b""


def test_last_modified_and_if_modified_since(client, unit, reprint):
    """The listing is dated by the latest page change: asked again since that
    date it answers 304, until another release is published."""
    backdate_page_changes()
    first = client.get(RELEASES)
    last_modified = first["Last-Modified"]
    latest = PageLogEntry.objects.latest("timestamp").timestamp
    assert last_modified == http_date(latest.timestamp())

    assert client.get(RELEASES, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304

    publish_release(unit, title="又一篇")

    after = client.get(RELEASES, HTTP_IF_MODIFIED_SINCE=last_modified)
    assert after.status_code == 200
    assert "又一篇" in [item["title"] for item in after.json()["items"]]


def test_no_last_modified_for_a_change_in_the_current_second(client, reprint):
    """An HTTP date counts whole seconds: a date naming the current second (or a
    later one) is not sent, or a second change within that second would be
    answered 304."""
    PageLogEntry.objects.update(timestamp=timezone.now() + timedelta(minutes=1))

    response = client.get(RELEASES)

    assert response.status_code == 200
    assert "Last-Modified" not in response
    assert response["ETag"]


def test_units_last_modified(client, unit):
    """Units are dated by their latest change."""
    Unit.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    last_modified = client.get("/api/v2/units/")["Last-Modified"]
    url = "/api/v2/units/"
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304

    unit.name = "教务部"
    unit.save()

    assert client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 200


def test_cors_allows_configured_origins_only(client, settings, reprint):
    """Browsers get CORS headers for the configured origins, on requests and
    preflights alike, and none for any other origin."""
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.cn"]

    allowed = client.get(RELEASES, HTTP_ORIGIN="https://app.example.cn")
    other = client.get(RELEASES, HTTP_ORIGIN="https://evil.example.com")
    preflight = client.options(
        RELEASES,
        HTTP_ORIGIN="https://app.example.cn",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )

    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.cn"
    assert "Access-Control-Allow-Origin" not in other
    assert other.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == "https://app.example.cn"


def count_listing_queries(client, url):
    """Return the queries of a warm request for ``url``.

    The first request creates the cover renditions (files and rows); the second
    only reads, and is the one measured.
    """
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, queries


def test_listing_queries_do_not_grow_with_the_number_of_releases(client, unit):
    """With fields=* (covers and their renditions, tags, units, body), a listing
    of 15 releases takes as many queries as one of 3."""
    other_unit = make_unit()

    def add_releases(count):
        for n in range(count):
            publish_release(
                unit if n % 2 else other_unit,
                cover_image=make_image("封面%d" % n),
                tags=["标签%d" % n, "共同"],
            )

    url = RELEASES + "&fields=*&limit=100"
    add_releases(3)
    renditions_before = CreditedRendition.objects.count()
    client.get(url)
    # The first request made the renditions: 3 covers, 2 sizes each.
    assert CreditedRendition.objects.count() == renditions_before + 6
    response, few = count_listing_queries(client, url)
    assert len(response.json()["items"]) == 3

    add_releases(12)
    response, many = count_listing_queries(client, url)
    assert len(response.json()["items"]) == 15

    assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)
    assert len(many) <= 12
    assert not any(
        q["sql"].startswith(("INSERT", "UPDATE")) for q in many.captured_queries
    )
