"""Property-based fuzzing of sign-in, lockout and password change (hypothesis).

What is proved, for every generated case:

* Sign-in (``wagtailadmin_login``): random user names, passwords, ``next`` values
  and extra fields (any unicode, NUL, very long strings, whitespace) never give a
  server error; the status is one of a few; and whether the user name exists
  changes nothing in the answer: the same status and the same page (apart from
  the CSRF token), for one wrong password and for a run of them up to and past
  the lockout.
* Lockout (django-axes on): once a user name is locked, the right password is
  refused for it whatever the variant: case, surrounding whitespace, unicode
  look-alikes and NFKC forms, another ``X-Forwarded-For`` (ignored: no proxy is
  configured) or ``REMOTE_ADDR``, a new client, GET instead of POST, repeated or
  extra fields. Every variant that Django would sign in with the right password
  when unlocked gets the lockout answer (429).
* Password change (the account page's password panel): random old and new
  passwords never give a server error; the password changes exactly when the old
  one is right, both new ones agree and the new one passes every validator; a
  weak or reused password is refused with an error on the form.

The number of cases per test comes from ``RONGMEI_FUZZ_EXAMPLES`` (default 40,
so the suite stays fast; the 10,000-case run sets it higher).
"""

import os
import re
import unicodedata
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cms.models import PasswordHistory, Role
from tests.utils import PASSWORD, make_unit, make_user

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("RONGMEI_FUZZ_EXAMPLES", "40"))
LIMIT = 5
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# The lockout sequences cost a dozen requests each: fewer of them.
FUZZ_SEQUENCES = settings(FUZZ, max_examples=max(10, EXAMPLES // 5))

LOGIN_STATUSES = {200, 302, 400, 429}
ACCOUNT_STATUSES = {200, 302}

ADDRESS = "10.20.0.1"


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = LIMIT
    # Long enough that a long fuzz run never outlives a lock.
    settings.AXES_COOLOFF_TIME = timedelta(days=1)


def login_url():
    return reverse("wagtailadmin_login")


def signed_in(client):
    return "_auth_user_id" in client.session


def without_tokens(html):
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    return re.sub(r'"CSRF_TOKEN": "[^"]*"', "", html)


# Strategies.

WEIRD = [
    "",
    " ",
    "\t",
    "\n",
    "\x00",
    "\u200b",  # zero-width space
    "\u00a0",  # no-break space
    "\u3000",  # ideographic space
    "\ufeff",
    "'",
    '"',
    "<script>",
    "%00",
    "%",
    "&",
    "\\",
    "admin",
    "Admin",
    "ADMIN",
    "root",
    "alice",
    "用户",
    "𝕒𝕝𝕚𝕔𝕖",
    "ａｌｉｃｅ",
]

text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="ascii"), max_size=40),
    st.sampled_from(WEIRD),
    st.lists(st.sampled_from(WEIRD), max_size=5).map("".join),
    # Very long values.
    st.builds(lambda s, n: (s or "x") * n, st.text(max_size=3), st.integers(50, 4000)),
)
next_values = st.one_of(
    st.just(None),
    text,
    st.sampled_from(
        [
            "/admin/",
            "//evil.example/",
            "https://evil.example/",
            "javascript:alert(1)",
            "/admin/pages/?q=\x00",
            "\\\\evil.example",
            "/%0d%0aSet-Cookie:x=1",
        ]
    ),
)
extra_fields = st.dictionaries(
    st.text(min_size=1, max_size=12).filter(
        lambda k: k not in {"username", "password", "next"}
    ),
    text,
    max_size=3,
)
wrong_passwords = text.filter(lambda p: p != PASSWORD)


def login_data(username, password, next_value, extra):
    data = dict(extra)
    data["username"] = username
    data["password"] = password
    if next_value is not None:
        data["next"] = next_value
    return data


def creatable_name(username):
    """The stored name a user would need to be found under ``username`` by the
    sign-in form (which strips it), or None if no such user can be made."""
    name = username.strip()
    if not name or "\x00" in name or len(name) > 150:
        return None
    if unicodedata.normalize("NFKC", name) != name:
        return None  # create_user would store it NFKC-normalised
    return name


def post_login(username, password, next_value, extra, address=ADDRESS):
    client = Client()
    response = client.post(
        login_url(),
        login_data(username, password, next_value, extra),
        REMOTE_ADDR=address,
    )
    assert response.status_code in LOGIN_STATUSES, response.status_code
    return client, response


def answer(response):
    """What a visitor can observe of a sign-in answer, tokens aside."""
    return (
        response.status_code,
        response.get("Location"),
        response.get("Content-Type"),
        without_tokens(response.content.decode()),
    )


# 1. Sign-in: no server error, and nothing tells whether a name exists.


@FUZZ
@given(
    username=text,
    password=wrong_passwords,
    next_value=next_values,
    extra=extra_fields,
)
def test_login_never_fails_and_does_not_tell_whether_the_name_exists(
    axes_on, username, password, next_value, extra
):
    """One wrong password for a name answers the same whether or not a user of
    that name exists; nothing is a server error."""
    AccessAttempt.objects.all().delete()
    _, missing = post_login(username, password, next_value, extra)
    assert missing.status_code != 302

    name = creatable_name(username)
    if name is None:
        return
    user = get_user_model().objects.create_user(username=name, password=PASSWORD)
    try:
        AccessAttempt.objects.all().delete()
        client, existing = post_login(username, password, next_value, extra)
        assert not signed_in(client)
        assert answer(existing) == answer(missing)
    finally:
        user.delete()


@FUZZ
@given(
    username=text,
    password=text,
    next_value=next_values,
    extra=extra_fields,
    method=st.sampled_from(["get", "post"]),
)
def test_login_with_anything_never_fails(
    axes_on, username, password, next_value, extra, method
):
    """Any form, posted or in the query string, against a real user: no server
    error, and a sign-in only with the real name and password."""
    make_or_get_alice()
    client = Client()
    data = login_data(username, password, next_value, extra)
    response = getattr(client, method)(login_url(), data, REMOTE_ADDR="10.20.0.2")
    assert response.status_code in LOGIN_STATUSES
    if signed_in(client):
        assert method == "post"
        assert username.strip() == "alice" and password == PASSWORD
    AccessAttempt.objects.all().delete()


def make_or_get_alice():
    user = get_user_model().objects.filter(username="alice").first()
    return user or make_user("alice")


@FUZZ_SEQUENCES
@given(
    username=text,
    # Passwords the form accepts, so that each is checked and counted: an empty
    # one or one with NUL is refused by the form before any check, and axes
    # rightly counts no failure for it.
    passwords=st.lists(
        wrong_passwords.filter(lambda p: p and "\x00" not in p),
        min_size=1,
        max_size=4,
    ),
)
def test_lockout_does_not_tell_whether_the_name_exists(axes_on, username, passwords):
    """A run of wrong passwords past the limit locks a name nobody has exactly as
    it locks a real one: the same answer at every step, and the right password
    refused at the end."""
    name = creatable_name(username)
    assume(name is not None)

    def run():
        AccessAttempt.objects.all().delete()
        client = Client()
        answers = []
        for n in range(LIMIT + 1):
            response = client.post(
                login_url(),
                {"username": username, "password": passwords[n % len(passwords)]},
                REMOTE_ADDR=ADDRESS,
            )
            answers.append(answer(response))
        response = client.post(
            login_url(),
            {"username": username, "password": PASSWORD},
            REMOTE_ADDR="10.20.0.3",
        )
        answers.append(answer(response))
        assert not signed_in(client)
        return answers

    missing = run()
    user = get_user_model().objects.create_user(username=name, password=PASSWORD)
    try:
        existing = run()
    finally:
        user.delete()
    assert [a[0] for a in existing] == [200] * (LIMIT - 1) + [429, 429, 429]
    assert existing == missing


# 2. No way round a lockout.

LOOKALIKES = {
    "a": ["A", "ａ", "Ａ", "а", "ɑ", "𝐚", "ª"],  # fullwidth, Cyrillic, math, ordinal
    "l": ["L", "ｌ", "Ｌ", "ℓ", "1", "I", "𝐥", "ˡ"],
    "i": ["I", "ｉ", "і", "ı", "ⅰ", "𝐢", "ⁱ"],
    "c": ["C", "ｃ", "с", "ⅽ", "𝐜", "ᶜ"],
    "e": ["E", "ｅ", "е", "ℯ", "𝐞", "ᵉ"],
}
SPACES = ["", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u200b", "\ufeff"]


@st.composite
def alice_variants(draw):
    letters = [
        draw(st.sampled_from([ch, *LOOKALIKES[ch]])) if draw(st.booleans()) else ch
        for ch in "alice"
    ]
    name = "".join(letters)
    if draw(st.booleans()):
        name = draw(st.sampled_from([str.upper, str.lower, str.title]))(name)
    if draw(st.booleans()):
        name = unicodedata.normalize(
            draw(st.sampled_from(["NFC", "NFKC", "NFKD"])), name
        )
    return draw(st.sampled_from(SPACES)) + name + draw(st.sampled_from(SPACES))


addresses = st.one_of(
    st.just(ADDRESS),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(str),
)
forwarded = st.one_of(
    st.none(),
    st.lists(st.ip_addresses().map(str), min_size=1, max_size=3).map(", ".join),
    text,
)


def lock_alice():
    """Lock the name ``alice`` (from ``ADDRESS``), unless it is locked already."""
    if AccessAttempt.objects.filter(username="alice", failures_since_start__gte=LIMIT):
        return
    client = Client()
    for _ in range(LIMIT):
        response = client.post(
            login_url(),
            {"username": "alice", "password": "Not-the-password-1!"},
            REMOTE_ADDR=ADDRESS,
        )
    assert response.status_code == 429


def django_would_sign_in(username):
    """Whether Django alone (axes aside) signs ``alice`` in with this name and
    the right password, after the form's own cleaning of the name."""
    from wagtail.admin.forms.auth import LoginForm

    try:
        cleaned = LoginForm.base_fields["username"].clean(username)
    except ValidationError:
        return False
    user = ModelBackend().authenticate(None, username=cleaned, password=PASSWORD)
    return user is not None and user.username == "alice"


@FUZZ
@given(
    username=st.one_of(alice_variants(), st.just("alice")),
    address=addresses,
    x_forwarded_for=forwarded,
    method=st.sampled_from(["post", "post", "post", "get"]),
    same_client=st.booleans(),
    shape=st.sampled_from(["plain", "repeated", "repeated-first", "extra"]),
    extra=extra_fields,
)
def test_a_locked_name_stays_locked(
    axes_on,
    client,
    username,
    address,
    x_forwarded_for,
    method,
    same_client,
    shape,
    extra,
):
    """After five failures for ``alice``, no variant of the request signs in with
    the right password; a variant Django would otherwise sign in is answered with
    the lockout page."""
    make_or_get_alice()
    lock_alice()
    # One client shared by the examples (its session carries over), or a new one.
    client = client if same_client else Client()

    if shape == "repeated":
        data = {"username": ["nobody", username], "password": PASSWORD}
    elif shape == "repeated-first":
        data = {"username": [username, "nobody"], "password": PASSWORD}
    else:
        data = {"username": username, "password": PASSWORD}
        if shape == "extra":
            data = {**extra, **data}
    headers = {"REMOTE_ADDR": address}
    if x_forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = x_forwarded_for
    response = getattr(client, method)(login_url(), data, **headers)

    assert response.status_code in LOGIN_STATUSES
    assert response.status_code != 302
    assert not signed_in(client)
    # The form takes the last of repeated values.
    submitted = username if shape != "repeated-first" else "nobody"
    if method == "post" and django_would_sign_in(submitted):
        assert response.status_code == 429
        assert "cms/security/lockout.html" in [t.name for t in response.templates]


def test_variants_that_django_accepts(db):
    """A sanity check of the oracle above: surrounding whitespace is stripped by
    the form, case and look-alikes are other names."""
    make_user("alice")
    assert django_would_sign_in("alice")
    assert django_would_sign_in("  alice\t")
    assert not django_would_sign_in("Alice")
    assert not django_would_sign_in("ALICE")
    assert not django_would_sign_in("ａｌｉｃｅ")
    assert not django_would_sign_in("\u200balice")


def test_x_forwarded_for_is_ignored(axes_on):
    """No proxy is configured: a locked address cannot unlock itself by claiming
    another in X-Forwarded-For, nor lock another one."""
    make_user("alice")
    client = Client()
    for n in range(LIMIT):
        client.post(
            login_url(),
            {"username": "guess%d" % n, "password": "x"},
            REMOTE_ADDR="10.20.9.9",
            HTTP_X_FORWARDED_FOR="10.30.%d.1" % n,
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {
        "10.20.9.9"
    }
    response = client.post(
        login_url(),
        {"username": "alice", "password": PASSWORD},
        REMOTE_ADDR="10.20.9.9",
        HTTP_X_FORWARDED_FOR="10.30.0.1",
    )
    assert response.status_code == 429
    assert not signed_in(client)


# 3. Password change.

OLD = "Old-password-2026!"
STRONG = "Zq7!vR2#pLx9"


@pytest.fixture
def editor(db):
    return make_user("editor", roles=[(make_unit(), Role.EDITOR)], password=OLD)


@pytest.fixture
def baseline(editor):
    client = Client()
    client.force_login(editor)
    return account_baseline(client)


def account_baseline(client):
    """The account form as the page shows it, every panel but the password's."""
    response = client.get(reverse("wagtailadmin_account"))
    assert response.status_code == 200
    data = {}
    for panels in response.context["panels_by_tab"].values():
        for panel in panels:
            if panel.name == "password":
                continue
            for field in panel.get_form():
                value = field.value()
                if value is None or value is False:
                    continue
                data[field.html_name] = "on" if value is True else str(value)
    data["name_email-first_name"] = "Editor"
    data["name_email-last_name"] = "Person"
    return data


weak_passwords = st.one_of(
    st.sampled_from(
        [
            "password",
            "password123!",
            "Password1!",  # common
            "12345678901",
            "1234567890!",
            "short1!",
            "editor-2026!",  # like the user name
            "editor@example.cn1!",
            "abcdefghijk",
            "abcdefghij1",
            "abcdefghij!",
            "!!!!!!!!!!1",
            "          ",
            OLD,
        ]
    ),
    st.text(max_size=9),
)
new_passwords = st.one_of(
    weak_passwords,
    text,
    st.builds(
        lambda a, b: a + "Aa1!" + b,
        st.text(max_size=12),
        st.text(max_size=12),
    ),
    st.just(STRONG),
)


@FUZZ
@given(
    old=st.one_of(st.just(OLD), st.just(OLD), text, st.just(OLD.upper())),
    new1=new_passwords,
    confirm=st.one_of(st.none(), text),
)
def test_password_change(editor, baseline, old, new1, confirm):
    """The password changes exactly when the old one is right, the new ones agree
    and the new one passes every validator; otherwise the form says why."""
    # A fresh state for each case: the password is OLD, and only it in history.
    PasswordHistory.objects.filter(user=editor).delete()
    editor.refresh_from_db()
    editor.set_password(OLD)
    editor.save()
    client = Client()
    client.force_login(editor)
    # The validators' verdict before the change: after it, the new password is
    # in the history and would count as reused.
    try:
        validate_password(new1, editor)
        passes = True
    except ValidationError:
        passes = False

    new2 = new1 if confirm is None else confirm
    data = dict(baseline)
    data.update(
        {
            "password-old_password": old,
            "password-new_password1": new1,
            "password-new_password2": new2,
        }
    )
    response = client.post(reverse("wagtailadmin_account"), data)
    assert response.status_code in ACCOUNT_STATUSES
    editor.refresh_from_db()

    bound = bool(new1 or new2)
    expected = bound and old == OLD and new1 == new2 and "\x00" not in new1 and passes
    if expected:
        # Independently of the validators' own verdict: never a weak or reused one.
        assert len(new1) >= 10 and new1 != OLD and not new1.isdigit()
        assert response.status_code == 302
        assert editor.check_password(new1)
        assert not editor.check_password(OLD)
        assert signed_in(client)  # the change keeps the person signed in
        return

    assert editor.check_password(OLD)
    if not bound:
        assert response.status_code == 302  # the password panel was left empty
        return
    assert response.status_code == 200
    form = next(
        panel.get_form()
        for panels in response.context["panels_by_tab"].values()
        for panel in panels
        if panel.name == "password"
    )
    assert form.errors
    if old == OLD and new1 == new2 and "\x00" not in new1:
        # Refused by a validator: the error is on the new password.
        assert form.errors.get("new_password2")
