"""No platform credential of the demo ever reaches a response or a log line.

``seed_demo`` fills the database; then every admin page reachable by following
same-site links from /admin/ (as the superuser and as a technical maintainer, the
role that edits accounts), every public page and every API v2 listing and detail
is fetched, and each body is searched for each demo credential value.
"""

import io
import json
import logging
import re
from collections import Counter, deque
from urllib.parse import urldefrag, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client

from channels.models import Account
from cms.models import ReleasePage

pytestmark = pytest.mark.django_db

#: Pages fetched per user at most.
MAX_PAGES = 400
#: Variants of one path (query strings: filters, ordering, pagination) followed.
MAX_VARIANTS_PER_PATH = 2
#: Objects visited per kind of page (the same view for other ids adds little),
#: enough for every demo account.
MAX_PER_SHAPE = 10
#: Links never followed: they end the session.
SKIP_PATHS = ("/admin/logout/",)

JSON_URL = re.compile(r'"(/[^"\s<>]*)"')

LOGGERS = (
    "",
    "django.request",
    "django.security",
    "wagtail",
    "cms",
    "channels",
    "axes",
)


def demo_secrets():
    """Every demo credential value, by account.

    The Douyin ``open_id`` is the account's own platform ID, which is filing data
    and shown in the admin by design, so it is not counted as a secret.
    """
    found = {}
    for account in Account.objects.exclude(credentials=""):
        for name, value in account.get_credentials().items():
            if value and value != account.platform_account_id:
                found[value] = "account %d %s" % (account.pk, name)
    return found


def body(response):
    """The response's bytes, streamed ones (files) included."""
    if not hasattr(response, "_scanned_body"):
        if response.streaming:
            response._scanned_body = b"".join(response.streaming_content)
        else:
            response._scanned_body = response.content
    return response._scanned_body


def links(response):
    """Same-site URLs in a page: hrefs, srcs, GET form actions, data-*-url, and the
    URLs in JSON script blocks (the admin's sidebar menu is one)."""
    if "html" not in response.get("Content-Type", ""):
        return []
    html = body(response).decode(response.charset or "utf-8", errors="replace")
    soup = BeautifulSoup(html, "html.parser")
    urls = []
    for tag in soup.find_all(True):
        if tag.name == "script" and tag.get("type") == "application/json":
            urls += JSON_URL.findall(tag.string or "")
        for attribute, value in tag.attrs.items():
            if not isinstance(value, str):
                continue
            if attribute == "action" and tag.get("method", "get").lower() != "get":
                continue
            if attribute in ("href", "src", "action") or (
                attribute.startswith("data-") and attribute.endswith("-url")
            ):
                urls.append(value)
    return urls


def shape(path):
    """The path with its ids replaced, so /edit/3/ and /edit/4/ share a shape."""
    return re.sub(r"/\d+/", "/N/", path)


def normalise(url):
    url, _fragment = urldefrag(url.strip())
    parts = urlsplit(url)
    if parts.scheme and parts.netloc != "testserver":
        return None
    if not parts.path.startswith("/"):
        return None
    return parts.path + ("?" + parts.query if parts.query else "")


def crawl(client, start, prefix, limit=MAX_PAGES):
    """Fetch pages breadth-first from ``start``, following links under ``prefix``.

    Return {url: response}.
    """
    seen, variants, shapes = set(), Counter(), {}
    queue = deque([start])
    fetched = {}
    while queue and len(fetched) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        path = urlsplit(url).path
        if path.startswith(SKIP_PATHS):
            continue
        variants[path] += 1
        shapes.setdefault(shape(path), set()).add(path)
        if (
            variants[path] > MAX_VARIANTS_PER_PATH
            or len(shapes[shape(path)]) > MAX_PER_SHAPE
        ):
            continue
        response = client.get(url)
        fetched[url] = response
        candidates = links(response)
        if response.status_code in (301, 302) and response.get("Location"):
            candidates.append(response["Location"])
        for link in candidates:
            target = normalise(link)
            if target and target.startswith(prefix) and target not in seen:
                queue.append(target)
    return fetched


def api_urls(client):
    """Every API v2 listing (all fields) and every item's detail."""
    listings = [
        "/api/v2/pages/?type=cms.ReleasePage&fields=*&limit=100",
        "/api/v2/pages/?fields=*&limit=100",
        "/api/v2/images/?fields=*&limit=100",
        "/api/v2/documents/?fields=*&limit=100",
        "/api/v2/units/?fields=*&limit=100",
        "/api/v2/accounts/?fields=*&limit=100",
    ]
    fetched = {}
    for url in listings:
        response = client.get(url)
        fetched[url] = response
        assert response.status_code == 200, url
        for item in json.loads(body(response))["items"]:
            # detail_url is absolute, on WAGTAILAPI_BASE_URL's host.
            detail = urlsplit(item["meta"]["detail_url"]).path
            fetched[detail] = client.get(detail)
    return fetched


def assert_clean(fetched, secrets, who):
    leaks = [
        "%s: %s" % (url, where)
        for url, response in fetched.items()
        for value, where in secrets.items()
        if value.encode() in body(response)
        or any(value in v for _header, v in response.items())
    ]
    assert not leaks, "%s sees credentials: %s" % (who, leaks)


def test_demo_secrets_appear_in_no_response_and_no_log(caplog):
    """As the superuser and as a maintainer, no admin page, no API answer, no
    public page and no log line shows any demo credential."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", stdout=out, stderr=err, no_color=True)
    secrets = demo_secrets()
    assert len(secrets) >= 8, "the demo should hold credentials to look for"
    probe = next(iter(secrets))
    with pytest.raises(AssertionError):
        assert_clean({"/probe/": HttpResponse("<p>%s</p>" % probe)}, secrets, "probe")

    users = {
        "admin": get_user_model().objects.get(username="admin"),
        "maintainer": get_user_model().objects.get(username="xcb_maintainer"),
    }
    report = {}
    errors = []
    for who, user in users.items():
        client = Client(raise_request_exception=False)
        client.force_login(user)
        fetched = crawl(client, "/admin/", "/admin/")
        report[who] = len(fetched)
        errors += [
            "%s %s %d" % (who, url, r.status_code)
            for url, r in fetched.items()
            if r.status_code >= 500
        ]
        assert_clean(fetched, secrets, who)
        # The crawl is only worth something if it reached every account's edit
        # form, where credentials are set (both may edit every demo account).
        for account in Account.objects.all():
            edit = "/admin/snippets/channels/account/edit/%d/" % account.pk
            assert edit in fetched, "%s's crawl did not reach %s" % (who, edit)

    anonymous = Client(raise_request_exception=False)
    api = api_urls(anonymous)
    report["api"] = len(api)
    assert_clean(api, secrets, "the API")

    public = {}
    for release in ReleasePage.objects.live().public():
        url = normalise(release.get_url())
        public[url] = anonymous.get(url)
    public.update(crawl(anonymous, "/", "/", limit=100))
    report["public"] = len(public)
    assert_clean(public, secrets, "the public site")

    printed = out.getvalue() + err.getvalue()
    logged = caplog.text + "".join(
        repr(getattr(record, "args", "")) for record in caplog.records
    )
    for value, where in secrets.items():
        assert value not in printed, "seed_demo printed %s" % where
        assert value not in logged, "a log line holds %s" % where

    print("\npages scanned: %s, %d in all" % (report, sum(report.values())))  # noqa: T201
    assert not errors, "server errors while crawling: %s" % errors
