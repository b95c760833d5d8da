import json

import pytest
from wagtail.models import APIToken

from cms.security.tokens import set_token_scopes
from tests.utils import make_user

pytestmark = pytest.mark.django_db

URL = "/api/checks/"


def token_for(scopes):
    token, key = APIToken.create_token(user=make_user(is_superuser=True), name="ci")
    set_token_scopes(token, scopes)
    return key


def post(client, key, data):
    return client.post(
        URL,
        data=json.dumps(data, ensure_ascii=False),
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer %s" % key,
    )


def test_checks_over_http_with_a_check_token(client):
    """A token of scope check gets the findings of a release, blocking flagged."""
    key = token_for(["check"])
    response = post(client, key, {"title": "通知", "body_html": "<p>机密★一年</p>"})
    assert response.status_code == 200
    body = response.json()
    assert body["blocking"] is True
    assert {f["category"] for f in body["findings"]} >= {"secrecy"}
    finding = body["findings"][0]
    assert set(finding) >= {"code", "category", "severity", "message", "field",
                            "excerpt", "offset"}  # fmt: skip


def test_clean_release_does_not_block(client):
    response = post(client, token_for(["check"]), {"title": "期末考试安排"})
    assert response.status_code == 200
    assert response.json()["blocking"] is False


def test_token_without_check_scope_is_refused(client):
    response = post(client, token_for(["read"]), {"title": "通知"})
    assert response.status_code == 403


def test_no_token_is_refused(client):
    response = client.post(URL, data="{}", content_type="application/json")
    assert response.status_code == 401


def test_bad_input_gets_a_400_with_a_message(client):
    key = token_for(["check"])
    response = post(client, key, {"title": 42})
    assert response.status_code == 400
    assert response.json()["message"]
    response = client.post(
        URL, data="{not json", content_type="application/json",
        HTTP_AUTHORIZATION="Bearer %s" % key,
    )  # fmt: skip
    assert response.status_code == 400
    response = post(client, key, ["a list"])
    assert response.status_code == 400
