"""The app adapter: signed webhooks carrying the release as the API shows it,
safe to repeat, over real HTTP against the sandbox's receiver."""

import hashlib
import hmac
import time
import uuid
from types import SimpleNamespace

import pytest

from channels.adapters.app import (
    AppAdapter,
    release_representation,
    sign,
    verify_signature,
    withdrawal_key,
)
from channels.adapters.base import Rejected, TransientError, UnknownOutcome
from channels.models import ReleaseTarget
from tests.utils import make_account, make_image, make_release, make_unit

SECRET = "app-secret-7c1e"
KEY = "0123456789ab4def8123456789abcdef"


# ---------------------------------------------------------------------------
# Signatures


def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    """The signature is hex HMAC-SHA256 with the secret of "<timestamp>.<body>"."""
    body = '{"event":"release.published","title":"开学"}'.encode()
    expected = hmac.new(
        SECRET.encode(), b"1700000000." + body, hashlib.sha256
    ).hexdigest()
    assert sign(SECRET, "1700000000", body) == expected
    assert sign(SECRET, 1700000000, body.decode()) == expected


def test_a_genuine_recent_webhook_verifies():
    """The right secret, body and a timestamp within five minutes verify."""
    body = b'{"a":1}'
    signature = sign(SECRET, "1700000000", body)
    assert verify_signature(SECRET, "1700000000", body, signature, 1700000299)
    assert verify_signature(SECRET, "1700000000", body, signature, 1699999701)


@pytest.mark.parametrize(
    "secret, timestamp, body, signature, now",
    [
        ("other-secret", "1700000000", b'{"a":1}', None, 1700000000),
        (SECRET, "1700000000", b'{"a":2}', None, 1700000000),  # body changed
        (SECRET, "1700000000", b'{"a":1}', None, 1700000301),  # too old
        (SECRET, "1700000000", b'{"a":1}', None, 1699999699),  # from the future
        (SECRET, "soon", b'{"a":1}', None, 1700000000),
        (SECRET, "1700000000", b'{"a":1}', "", 1700000000),
        (SECRET, "1700000000", b'{"a":1}', "签名", 1700000000),
    ],
)
def test_anything_else_does_not_verify(secret, timestamp, body, signature, now):
    """A wrong secret, a changed body, an old or future timestamp, or a garbled
    signature fail (and never raise)."""
    good = sign(SECRET, "1700000000", b'{"a":1}')
    assert not verify_signature(
        secret, timestamp, body, good if signature is None else signature, now
    )


def test_withdrawal_has_a_key_of_its_own():
    """A withdrawal event's key derives from the delivery's, so it is stable
    across repeats yet never taken for the publish event."""
    assert withdrawal_key(KEY) == withdrawal_key(KEY)
    assert withdrawal_key(KEY) != KEY


# ---------------------------------------------------------------------------
# Rendering


@pytest.fixture
def unit():
    return make_unit("教务处", "jwc")


@pytest.fixture
def account(unit):
    return make_account(
        unit,
        "app",
        credentials={"webhook_url": "http://127.0.0.1:9/app/webhook", "secret": SECRET},
    )


@pytest.mark.django_db
def test_payload_is_what_the_api_shows(client, unit, account):
    """The release in the payload has the API detail view's fields and values,
    but for the renditions and the rendered HTML, which the app fetches."""
    release = make_release(
        unit,
        publish=True,
        title="开学典礼举行",
        subtitle="新生三千余人参加",
        digest="九月一日，开学典礼在体育馆举行。",
        author="文／张三",
        cover_image=make_image("封面"),
        body=[("paragraph", "<p>正文第一段。</p>"), ("heading", "小标题")],
    )
    release.tags.add("迎新")
    release.save_revision().publish()
    release.refresh_from_db()
    api = client.get("/api/v2/pages/%d/" % release.pk).json()

    ours = release_representation(release.live_revision.as_object())

    for name in ("cover", "cover_thumbnail", "body_html"):
        api.pop(name)
    assert ours == api


@pytest.mark.django_db
def test_render_keeps_the_accounts_wording(unit, account):
    """The target's own title and text travel beside the release."""
    release = make_release(
        unit,
        targets=[
            ReleaseTarget(account=account, title_override="App 标题", text_override="")
        ],
    )
    payload = AppAdapter.render(release.latest_revision, account)
    assert payload.title == "App 标题"
    assert payload.content["wording"] == {"title": "App 标题", "text": ""}
    assert payload.content["release"]["id"] == release.pk
    assert payload.problems == []


def test_timestamps_are_unix_seconds():
    """Sanity: the receiver's tolerance is measured against Unix seconds."""
    now = int(time.time())
    signature = sign(SECRET, now, b"{}")
    assert verify_signature(SECRET, str(now), b"{}", signature, time.time())


# ---------------------------------------------------------------------------
# Over HTTP, against the sandbox's receiver

QUICK = (2, 0.5)


@pytest.fixture
def live_account(unit, sandbox):
    account = make_account(
        unit,
        "app",
        name="教务处App",
        credentials={
            "webhook_url": sandbox.base_url("app") + "/webhook",
            "secret": SECRET,
        },
    )
    sandbox.register(account)
    return account


def keyed_payload(account, **release_fields):
    release = make_release(account.unit, **release_fields)
    payload = AppAdapter.render(release.latest_revision, account)
    payload.key = str(uuid.uuid4())
    return release, payload


def received(sandbox):
    return sandbox.server.state.data["app"]["received"]


@pytest.mark.django_db
def test_publish_posts_one_signed_event(sandbox, live_account):
    """One POST of the release, signed, keyed; the receipt's id and address
    are the outcome."""
    release, payload = keyed_payload(live_account, title="开学典礼举行")

    outcome = AppAdapter(live_account).publish(payload)

    [item] = sandbox.published(platform="app")
    assert (item["id"], item["url"]) == (outcome.platform_id, outcome.url)
    assert item["title"] == "开学典礼举行"
    [event] = received(sandbox)
    assert event.delivery == payload.key
    assert event.payload["event"] == "release.published"
    assert event.payload["release_id"] == release.pk
    assert event.payload["release"]["meta"]["detail_url"].endswith(
        "/api/v2/pages/%d/" % release.pk
    )
    assert event.payload["account"] == {"id": live_account.pk, "name": "教务处App"}


@pytest.mark.django_db
def test_a_repeated_delivery_is_taken_once(sandbox, live_account):
    """The receiver answers a repeated key as a duplicate of the first event."""
    _release, payload = keyed_payload(live_account)
    adapter = AppAdapter(live_account)
    first = adapter.publish(payload)
    again = adapter.publish(payload)
    assert again.platform_id == first.platform_id
    assert again.extra == {"duplicate": True}
    assert len(sandbox.published(platform="app")) == 1


@pytest.mark.django_db
def test_a_lost_answer_is_resent_safely(sandbox, live_account):
    """No answer after sending: unknown outcome; find() says None because the
    receiver ignores the repeat, so sending again makes no second event."""
    _release, payload = keyed_payload(live_account)
    sandbox.faults("教务处App", timeout_rate=1.0, timeout_seconds=2)
    with pytest.raises(UnknownOutcome):
        AppAdapter(live_account, timeout=QUICK).publish(payload)
    sandbox.clear_faults()

    adapter = AppAdapter(live_account)
    assert adapter.find(payload, {}) is None
    assert adapter.publish(payload).extra == {"duplicate": True}
    assert len(sandbox.published(platform="app")) == 1


@pytest.mark.django_db
def test_update_and_withdraw_are_events_too(sandbox, live_account):
    """An update sends release.updated; a withdrawal release.withdrawn with a
    key of its own, and the receiver takes the release down."""
    release, payload = keyed_payload(live_account)
    adapter = AppAdapter(live_account)
    assert AppAdapter.supports_update
    adapter.publish(payload)
    _same, update = keyed_payload(live_account)
    update.content["release"]["id"] = release.pk
    adapter.update(update, None)
    record = SimpleNamespace(key=payload.key, release_id=release.pk)

    adapter.withdraw(record)
    adapter.withdraw(record)

    events = [r.payload["event"] for r in received(sandbox)]
    assert events == ["release.published", "release.updated", "release.withdrawn"]
    assert received(sandbox)[2].delivery == withdrawal_key(payload.key)
    assert all(item["deleted"] for item in sandbox.published(platform="app"))


@pytest.mark.django_db
def test_a_wrong_secret_is_rejected_with_the_receivers_reason(
    sandbox, unit, live_account
):
    """The receiver refuses a bad signature: rejected, saying why."""
    account = make_account(
        unit,
        "app",
        credentials={
            "webhook_url": sandbox.base_url("app") + "/webhook",
            "secret": "not-the-secret",
        },
    )
    _release, payload = keyed_payload(account)
    with pytest.raises(Rejected) as caught:
        AppAdapter(account).publish(payload)
    assert caught.value.code == "401"
    assert "bad signature" in caught.value.message


@pytest.mark.django_db
def test_refused_content_is_rejected_with_the_reason(sandbox, live_account):
    """A 422 carries the receiver's reason into the rejection."""
    sandbox.faults("教务处App", reject_words=["典礼"])
    _release, payload = keyed_payload(live_account, title="开学典礼")
    with pytest.raises(Rejected) as caught:
        AppAdapter(live_account).publish(payload)
    assert "禁用词" in caught.value.message


@pytest.mark.django_db
def test_server_errors_and_no_connection_are_transient(sandbox, live_account, unit):
    """A 5xx, or no connection at all, is transient."""
    _release, payload = keyed_payload(live_account)
    sandbox.faults("教务处App", error_rate=1.0)
    with pytest.raises(TransientError) as caught:
        AppAdapter(live_account).publish(payload)
    assert caught.value.code in ("502", "503")

    closed = make_account(
        unit,
        "app",
        credentials={"webhook_url": "http://127.0.0.1:9/app/webhook", "secret": SECRET},
    )
    with pytest.raises(TransientError) as caught:
        AppAdapter(closed, timeout=QUICK).publish(payload)
    assert type(caught.value) is TransientError
