"""Random query strings never make the headless API answer with a server error."""

from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.utils import make_account, make_image, make_release, make_unit

pytestmark = pytest.mark.django_db

ALLOWED_STATUSES = {200, 301, 302, 304, 400, 404}

# Pieces of values that reach parsers: field lists, model names, numbers, paths,
# and characters that full-text and SQL backends treat specially.
FRAGMENTS = [
    *"*-_,()\x00 \"'\\&=/:.%",
    "root",
    "random",
    "id",
    "title",
    "body",
    "tags",
    "cover",
    "cover_image",
    "unit",
    "parent",
    "credentials",
    "leader_phone",
    "administrators",
    "cms.ReleasePage",
    "wagtailcore.Page",
    "cms.Unit",
    "and",
    "or",
    "NOT",
    "zh-hans",
    "9223372036854775808",
    "-1",
    "0",
    "稿件",
    "单位",
]

numbers = st.one_of(
    st.integers(min_value=-5, max_value=50),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(),
).map(str)

anything = st.one_of(
    st.text(max_size=30),
    numbers,
    st.sampled_from(FRAGMENTS),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), numbers), max_size=6).map("".join),
)

NUMBER_EDGES = [
    "-1",
    "",
    " 1",
    "1.0",
    "1e3",
    "0x10",
    "root",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "1" + "0" * 30,
]
# Full-text query syntax, and characters that search backends quote or escape.
TEXT_EDGES = [
    "",
    " ",
    "\t",
    '"',
    'a"b',
    '"稿件"',
    "'",
    "\\",
    "\x00",
    "*",
    "稿件*",
    "-稿件",
    "NOT 稿件",
    "a AND",
    "OR",
    "(",
    "a)",
    "NEAR(a b)",
    "^a",
    "a:b",
    "{a b}",
    "%",
    "_",
    "a" * 300,
]
FIELDS_EDGES = [
    "",
    "*,*",
    "_,-title",
    "*,title",
    "-*",
    "title(",
    "cover_image()",
    "cover_image(cover_image)",
    "body(type)",
    "tags(name)",
    "unit_info(id)",
    "parent(parent(parent))",
    "cover_image(*,-title)",
    "credentials",
    "leader_phone",
    "administrators",
]

# Per parameter: values it accepts, and values at the edge of what it accepts.
ids = (["1", "2", "5", "4"], NUMBER_EDGES)
texts = (["稿件", "图片", "单位1", "release-3"], TEXT_EDGES)
PARAMETERS = {
    "type": (
        ["cms.ReleasePage", "wagtailcore.Page", "cms.ReleasePage,cms.UnitIndexPage"],
        ["cms.Unit", "cms", "cms.", ".ReleasePage", "cms.ReleasePage,", "a.b.c"],
    ),
    "fields": (
        [
            "*",
            "_",
            "-title",
            "*,-body_html",
            "_,id,title",
            "cover_image(*)",
            "unit_info,tags,cover,cover_thumbnail",
            "body,body_html",
            "unit(name)",
            "name,code,kind,parent",
        ],
        FIELDS_EDGES,
    ),
    "limit": (["0", "1", "20", "100"], ["101", *NUMBER_EDGES]),
    "offset": (["0", "1", "1000"], NUMBER_EDGES),
    "order": (
        ["id", "-id", "title", "-first_published_at", "random", "-code"],
        ["random,id", "--id", "-", ",", "tags", "body", "unit_info", "-random"],
    ),
    "search": texts,
    "search_operator": (["and", "or"], ["AND", "not", ""]),
    "child_of": ids,
    "descendant_of": ids,
    "ancestor_of": ids,
    "translation_of": ids,
    "locale": (["zh-hans"], ["en", "", "zh"]),
    "site": (["localhost", "localhost:80"], ["localhost:x", ":", "localhost:-1"]),
    "html_path": (["/", "/unit1/", "/unit1/release-3/"], ["//", "../", "/a/" * 100]),
    "id": ids,
    "title": texts,
    "slug": texts,
    "rich_text_format": (["html", "db_html"], ["", "HTML", "markdown"]),
    "format": (["json"], ["api", "xml", ""]),
    "_": (["1"], NUMBER_EDGES),
    # Field filters of the endpoints.
    "importance": (["normal", "major"], TEXT_EDGES),
    "origin": (["original", "reprint"], TEXT_EDGES),
    "tags": texts,
    "unit": ids,
    "cover_image": ids,
    "first_published_at": (["2026-01-01T00:00:00Z"], ["2026-13-01", "0", "x"]),
    "show_in_menus": (["true", "false"], ["maybe", "2", ""]),
    "name": texts,
    "code": texts,
    "kind": (["secondary", "managing"], TEXT_EDGES),
    "parent": ids,
    "platform": (["weibo", "wechat"], TEXT_EDGES),
    "status": (["running", "closed"], TEXT_EDGES),
    "is_verified": (["true", "false"], ["maybe", "2", ""]),
}

# Hypothesis favours the first choices: the parameters that reach the database.
COMMON = ["search", "offset", "limit", "fields", "order", "search_operator", "id"]
COMMON += ["rich_text_format", "format", "_"]
ENDPOINT_PARAMETERS = {
    "pages": COMMON
    + ["type", "child_of", "descendant_of", "ancestor_of", "translation_of"]
    + ["locale", "site", "html_path", "title", "slug", "importance", "origin"]
    + ["tags", "unit", "cover_image", "first_published_at", "show_in_menus"],
    "images": [*COMMON, "title", "tags"],
    "documents": [*COMMON, "title", "tags"],
    "units": [*COMMON, "name", "code", "kind", "parent"],
    "accounts": [*COMMON, "name", "platform", "unit", "status", "is_verified"],
}


def plausible(name):
    return st.tuples(st.just(name), st.sampled_from(PARAMETERS[name][0]))


def hostile(name):
    return st.tuples(
        st.just(name), st.one_of(st.sampled_from(PARAMETERS[name][1]), anything)
    )


def query_parameters(endpoint):
    """A few parameters the endpoint accepts, one with a hostile value, and now
    and then one with a random name: each request gets past the checks that
    would refuse it early often enough to reach filtering, search and paging."""
    names = st.sampled_from(ENDPOINT_PARAMETERS[endpoint])
    unknown = st.tuples(st.text(max_size=12), anything)
    return st.tuples(
        st.lists(names.flatmap(plausible), max_size=2),
        st.lists(names.flatmap(hostile), min_size=1, max_size=2),
        st.one_of(st.just([]), st.just([]), st.just([]), st.lists(unknown, max_size=1)),
    ).map(lambda parts: [*parts[0], *parts[1], *parts[2]])


@pytest.fixture
def object_ids():
    """Ids of a live release, a draft, a unit section, an image, a unit and an
    account: what detail URLs are tried with, besides nonexistent ids."""
    unit = make_unit()
    image = make_image()
    live = make_release(unit, publish=True, cover_image=image)
    live.tags.add("新闻")
    live.save_revision().publish()
    draft = make_release(unit)
    account = make_account(unit, credentials={"access_token": "SECRET-XYZ"})
    return {
        "pages": [live.id, draft.id, unit.section.id],
        "images": [image.id],
        "documents": [],
        "units": [unit.id],
        "accounts": [account.id],
    }


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data(), raw=st.booleans())
def test_random_query_strings_never_fail(object_ids, data, raw):
    """Any query string on any endpoint's listing, detail or find view answers
    with a success, a redirect, 400 or 404 (never a server error), and a 400
    explains itself in JSON."""
    endpoint = data.draw(st.sampled_from(list(ENDPOINT_PARAMETERS)), label="endpoint")
    view = data.draw(st.sampled_from(["listing", "detail", "listing", "find"]))
    if view == "listing":
        path = "/api/v2/%s/" % endpoint
    elif view == "find":
        path = "/api/v2/%s/find/" % endpoint
    else:
        pk = data.draw(st.sampled_from([*object_ids[endpoint], 0, 999999, 2**63]))
        path = "/api/v2/%s/%d/" % (endpoint, pk)
    params = data.draw(query_parameters(endpoint), label="params")
    if raw:
        # Written by hand: stray separators and bad percent escapes go through.
        query = "&".join(
            quote(k, safe="%=") + "=" + quote(v, safe="%=&") for k, v in params
        )
    else:
        query = urlencode(params)

    # An exception in the view is raised here, with its traceback.
    response = Client().get(path + "?" + query)

    assert response.status_code in ALLOWED_STATUSES, (path, query, response.content)
    if response.status_code == 400:
        assert "message" in response.json()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v2/pages/?offset=9223372036854775808",
        "/api/v2/pages/?type=cms.ReleasePage&offset=" + "9" * 30,
        "/api/v2/images/?offset=9223372036854775807",
        "/api/v2/units/?offset=18446744073709551616",
        "/api/v2/accounts/?offset=9223372036854775808&limit=100",
        "/api/v2/documents/?offset=9223372036854775808",
        "/api/v2/pages/?search=%20",
        "/api/v2/pages/?search=%22",
        "/api/v2/pages/?type=cms.ReleasePage&search=a%22b",
        "/api/v2/pages/?search=%00",
        "/api/v2/pages/?search=%00&search=a",
        "/api/v2/images/?search=%09",
        "/api/v2/documents/?search=%22",
        "/api/v2/pages/?title=%00",
        "/api/v2/pages/?format=api&limit=x",
        "/api/v2/accounts/?format=api&fields=credentials",
        "/api/v2/pages/find/?html_path=%00",
        "/api/v2/units/find/?id=x",
        "/api/v2/pages/?site=localhost:" + "9" * 30,
        "/api/v2/pages/?type=cms.ReleasePage&first_published_at=2026-13-01",
    ],
)
def test_known_hostile_queries(object_ids, client, url):
    """Queries that once made the API fail answer 200, 400 or 404, in JSON."""
    response = client.get(url)
    assert response.status_code in {200, 400, 404}, response.content
    assert response["Content-Type"] == "application/json"
    if response.status_code == 400:
        assert response.json()["message"]
