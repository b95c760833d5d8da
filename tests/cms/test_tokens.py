"""API tokens for machine clients: created in the admin with scopes, shown once,
stored hashed, revocable; authenticated by ``TokenAuthentication`` and limited by
``HasScope``."""

import json
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView
from wagtail.models import APIToken

from cms.models import TokenScopes
from cms.security.tokens import (
    HasScope,
    TokenAuthentication,
    set_token_scopes,
    token_scopes,
)
from tests.i18n import site_gettext, site_language
from tests.utils import make_user

pytestmark = pytest.mark.django_db

INDEX = reverse("wagtailusers_api_tokens:index")
ADD = reverse("wagtailusers_api_tokens:add")


def edit_url(token):
    return reverse("wagtailusers_api_tokens:edit", args=[token.pk])


def revoke_url(token):
    return reverse("wagtailusers_api_tokens:delete", args=[token.pk])


@pytest.fixture
def superuser():
    return make_user("root", is_superuser=True, is_staff=True)


@pytest.fixture
def token_group():
    """A group holding Wagtail's API token permissions (and admin access)."""
    group = Group.objects.create(name="integrators")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="wagtailcore",
            codename__in=[
                "add_apitoken",
                "change_apitoken",
                "delete_apitoken",
                "view_apitoken",
            ],
        )
    )
    group.permissions.add(
        Permission.objects.get(
            content_type__app_label="wagtailadmin", codename="access_admin"
        )
    )
    return group


@pytest.fixture
def integrator(token_group):
    user = make_user("integrator")
    user.groups.add(token_group)
    return user


@pytest.fixture
def colleague(token_group):
    user = make_user("colleague")
    user.groups.add(token_group)
    return user


def make_token(user, scopes=("read",), name="app"):
    token, plaintext = APIToken.create_token(user=user, name=name)
    if scopes is not None:
        set_token_scopes(token, scopes)
    return token, plaintext


def create_in_admin(client, user, owner, scopes, name="新闻客户端"):
    client.force_login(user)
    return client.post(
        ADD, {"name": name, "user": owner.pk, "scopes": list(scopes)}, follow=True
    )


def shown_token(response):
    field = BeautifulSoup(response.content, "html.parser").find(id="api-token-value")
    return field["value"] if field else None


# Admin


def test_token_created_in_admin_is_shown_once_and_stored_hashed(client, superuser):
    """Creating a token shows it once, on a page that is never cached; only its
    digest and display prefix are stored, with the chosen scopes; the listing
    and the edit page show the prefix and scopes, never the token."""
    response = create_in_admin(client, superuser, superuser, ["read", "check"])
    assert response.status_code == 200
    plaintext = shown_token(response)
    assert plaintext and APIToken.validate_token_format(plaintext)
    assert "no-store" in response["Cache-Control"]

    token = APIToken.objects.get()
    assert token.user == superuser
    assert token.name == "新闻客户端"
    assert token.key_hash == APIToken.hash_token(plaintext)
    assert plaintext not in (token.key_hash, token.prefix)
    assert plaintext.startswith(token.prefix)
    assert token_scopes(token) == ["read", "check"]

    for url in (INDEX, edit_url(token)):
        page = client.get(url)
        assert page.status_code == 200
        content = page.content.decode()
        assert plaintext not in content
        assert token.prefix in content
        assert shown_token(page) is None
    listing = client.get(INDEX).content.decode()
    scopes = ", ".join([site_gettext("Read"), site_gettext("Check content")])
    assert escape(scopes) in listing
    edit_form = BeautifulSoup(client.get(edit_url(token)).content, "html.parser")
    checked = {box["value"] for box in edit_form.select("input[name=scopes][checked]")}
    assert checked == {"read", "check"}


@pytest.mark.parametrize("scopes", [[], ["admin"], ["read", "everything"]])
def test_scopes_are_required_and_known(client, superuser, scopes):
    """A token needs at least one scope, and only known scopes."""
    response = create_in_admin(client, superuser, superuser, scopes)
    assert response.status_code == 200
    assert shown_token(response) is None
    assert not APIToken.objects.exists()
    assert not TokenScopes.objects.exists()
    form = response.context["form"]
    assert "scopes" in form.errors
    if not scopes:
        required = site_gettext("Choose at least one scope.")
        with site_language():  # the form's messages are translated when read
            assert list(form.errors["scopes"]) == [required]
        assert escape(required) in response.content.decode()


def test_edit_changes_name_and_scopes_only(client, superuser):
    """The edit form renames the token and changes its scopes; the token
    itself stays the same."""
    token, plaintext = make_token(superuser, ["read", "check"])
    client.force_login(superuser)
    response = client.post(edit_url(token), {"name": "归档", "scopes": ["archive"]})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.name == "归档"
    assert token_scopes(token) == ["archive"]
    assert token.key_hash == APIToken.hash_token(plaintext)

    response = client.post(edit_url(token), {"name": "归档", "scopes": []})
    assert response.status_code == 200
    assert token_scopes(token) == ["archive"]


def test_revoking_in_admin_keeps_the_row_and_refuses_the_token(client, superuser):
    """Revoking marks the token revoked (it stays listed for the record) and
    the API refuses it from then on."""
    token, plaintext = make_token(superuser, ["check"])
    assert call_check_view(plaintext).status_code == 200
    client.force_login(superuser)
    response = client.post(revoke_url(token))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.prefix in client.get(INDEX).content.decode()
    response = call_check_view(plaintext)
    assert response.status_code == 401
    assert response.data["detail"] == "This API token has been revoked."


def test_people_without_token_permissions_cannot_create_tokens(client):
    """Wagtail's own gating is kept: the API token model permissions are needed,
    and no Rongmei role holds them."""
    user = make_user("plain")
    user.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="wagtailadmin", codename="access_admin"
        )
    )
    client.force_login(user)
    for url in (INDEX, ADD):
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert response.status_code == 403 or response["Location"] != url
    response = client.post(ADD, {"name": "x", "user": user.pk, "scopes": ["read"]})
    assert response.status_code in (302, 403)
    assert not APIToken.objects.exists()


def test_a_user_manages_only_their_own_tokens(client, integrator, colleague):
    """With the token permissions but not the permission to change users, a
    person creates tokens for themselves only, and sees, edits and revokes only
    their own."""
    theirs, _plaintext = make_token(colleague, name="colleague-token")
    client.force_login(integrator)

    form = client.get(ADD).context["form"]
    assert list(form.fields["user"].queryset) == [integrator]
    response = client.post(ADD, {"name": "x", "user": colleague.pk, "scopes": ["read"]})
    assert response.status_code == 200
    assert "user" in response.context["form"].errors
    assert not APIToken.objects.filter(user=colleague).exclude(pk=theirs.pk).exists()

    response = create_in_admin(client, integrator, integrator, ["check"])
    assert shown_token(response)
    mine = APIToken.objects.get(user=integrator)

    listing = client.get(INDEX).content.decode()
    assert mine.prefix in listing
    assert theirs.prefix not in listing
    assert client.get(edit_url(theirs)).status_code == 404
    assert client.post(revoke_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_superuser_manages_everyones_tokens(client, superuser, integrator):
    """A superuser creates tokens for others and sees and revokes all."""
    response = create_in_admin(client, superuser, integrator, ["read"])
    assert shown_token(response)
    token = APIToken.objects.get(user=integrator)
    assert token.prefix in client.get(INDEX).content.decode()
    assert client.post(revoke_url(token)).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


# DRF authentication and scopes


class CheckView(APIView):
    """An endpoint for machine clients that checks content."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [HasScope("check")]

    def get(self, request):
        return Response({"user": request.user.username, "token": request.auth.pk})


class ReadOrArchiveView(CheckView):
    permission_classes = [HasScope("read") | HasScope("archive")]


def call_check_view(plaintext=None, header=None, view=CheckView):
    """Call the view directly, in English: the API's messages are checked in
    English here. (Called directly, the view speaks whatever language is active
    at the time.)"""
    factory = APIRequestFactory()
    if header is None and plaintext is not None:
        header = "Bearer %s" % plaintext
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    with translation.override("en"):
        response = view.as_view()(factory.get("/api/checks/", **extra))
        response.render()
    return response


def test_valid_token_with_scope_is_accepted_and_records_its_use(integrator):
    """A live token with the scope authenticates as its owner and records when
    it was used."""
    token, plaintext = make_token(integrator, ["read", "check"])
    response = call_check_view(plaintext)
    assert response.status_code == 200
    assert json.loads(response.content) == {"user": "integrator", "token": token.pk}
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < timedelta(seconds=10)


def test_last_use_is_written_at_most_once_a_minute(integrator):
    token, plaintext = make_token(integrator, ["check"])
    recent = timezone.now() - timedelta(seconds=30)
    APIToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    call_check_view(plaintext)
    token.refresh_from_db()
    assert token.last_used_at == recent

    old = timezone.now() - timedelta(minutes=2)
    APIToken.objects.filter(pk=token.pk).update(last_used_at=old)
    call_check_view(plaintext)
    token.refresh_from_db()
    assert token.last_used_at > old + timedelta(minutes=1)


@pytest.mark.parametrize(
    "header, detail",
    [
        ("Bearer", "Malformed Authorization header: send “Bearer <token>”."),
        ("Bearer a b", "Malformed Authorization header: send “Bearer <token>”."),
        ("Bearer not-a-token", "Malformed API token."),
        ("Bearer wagtail_" + "A" * 34, "Malformed API token."),
        # WSGI headers arrive as Latin-1; anything beyond ASCII is malformed.
        ("Bearer wagtail_\u00e9t\u00e9", "Malformed API token."),
    ],
)
def test_malformed_tokens_get_401_with_a_json_message(integrator, header, detail):
    response = call_check_view(header=header)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"detail": detail}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_unknown_token_gets_401(integrator):
    """A well-formed token that was never issued is refused."""
    make_token(integrator, ["check"])
    response = call_check_view(APIToken.generate_token())
    assert response.status_code == 401
    assert json.loads(response.content) == {"detail": "Invalid API token."}


def test_token_of_an_inactive_user_gets_401(integrator):
    _token, plaintext = make_token(integrator, ["check"])
    integrator.is_active = False
    integrator.save()
    response = call_check_view(plaintext)
    assert response.status_code == 401
    assert json.loads(response.content) == {
        "detail": "The owner of this API token is inactive."
    }


def test_revoked_token_gets_401(integrator):
    token, plaintext = make_token(integrator, ["check"])
    token.revoke()
    response = call_check_view(plaintext)
    assert response.status_code == 401
    assert json.loads(response.content) == {
        "detail": "This API token has been revoked."
    }


def test_no_token_gets_401(integrator):
    """Without credentials, or with other kinds, the endpoint asks for a token."""
    for header in (None, "Basic aW50ZWdyYXRvcjpwdw=="):
        response = call_check_view(header=header)
        assert response.status_code == 401
        assert "detail" in json.loads(response.content)
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("scopes", [["read"], ["read", "archive"], None])
def test_token_without_the_scope_gets_403(integrator, scopes):
    """A token without "check" (or with no scopes at all, as made by Wagtail's
    api_tokens command) is refused by HasScope("check")."""
    _token, plaintext = make_token(integrator, scopes)
    response = call_check_view(plaintext)
    assert response.status_code == 403
    assert json.loads(response.content) == {
        "detail": "This API token does not have the scope “check”."
    }


def test_scopes_compose(integrator):
    """HasScope classes combine with | and &."""
    _token, archive = make_token(integrator, ["archive"], name="archive")
    _token, check = make_token(integrator, ["check"], name="check")
    assert call_check_view(archive, view=ReadOrArchiveView).status_code == 200
    assert call_check_view(check, view=ReadOrArchiveView).status_code == 403


def test_unknown_scope_is_a_programming_error():
    with pytest.raises(ValueError):
        HasScope("admin")
    with pytest.raises(ValueError):
        set_token_scopes(APIToken(), ["admin"])


def test_tokens_survive_a_secret_key_rotation(integrator, settings):
    """Digests made with the previous SECRET_KEY are still found while it is in
    SECRET_KEY_FALLBACKS (Wagtail's candidate_key_hashes)."""
    _token, plaintext = make_token(integrator, ["check"])
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-this-test"
    assert call_check_view(plaintext).status_code == 200
