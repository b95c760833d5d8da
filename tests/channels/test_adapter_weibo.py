"""The Weibo adapter: the status and its length as Weibo counts it, the picture,
the error codes, and publishing, finding, withdrawing and comments over real
HTTP against the sandbox."""

import io
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from django.utils import timezone
from PIL import Image as PILImage

from channels.adapters import weibo
from channels.adapters.base import (
    AuthExpired,
    Payload,
    RateLimited,
    Rejected,
    TransientError,
    UnknownOutcome,
)
from channels.adapters.weibo import (
    STATUS_LIMIT,
    WeiboAdapter,
    compose_status,
    matches,
    parse_created_at,
    picture_bytes,
    status_for,
    weibo_error,
    weibo_length,
)
from channels.models import ReleaseTarget
from channels.render import key_marker
from tests.utils import make_account, make_image, make_release, make_unit

FIXTURES = Path(__file__).parent / "fixtures" / "weibo"
KEY = "0123456789ab4def8123456789abcdef"
LINK = "http://testserver/jwc/release-1/"


def fixture(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def payload_of(status, link=LINK, key=KEY):
    return Payload(
        platform="weibo",
        account_id=1,
        title="",
        content={"status": status, "link": link},
        link=link,
        key=key,
    )


# ---------------------------------------------------------------------------
# Length


@pytest.mark.parametrize(
    "text, length",
    [
        ("", 0),
        ("中文", 2),
        ("ab", 2),  # ASCII counts one: unconfirmed that it counts a half
        ("中a", 2),
        ("，。【】…", 5),
        ("😀", 2),  # beyond the BMP: two UTF-16 units
        ("http://testserver/a/", 20),  # a link counts in full
    ],
)
def test_weibo_length_counts_every_character(text, length):
    """Every character counts one, emoji two, links in full: the strict reading
    of "140 Chinese characters"."""
    assert weibo_length(text) == length


@pytest.mark.parametrize(
    "text, length",
    [
        ("ab", 1),
        ("abc", 2),  # a half rounds up
        ("中a", 2),
        ("中ab", 2),
        ("é", 1),  # Latin-1 counts a half
        ("😀", 2),
        ("http://testserver/a/", 10),
    ],
)
def test_weibo_length_by_the_editors_rule(monkeypatch, text, length):
    """With the web editor's rule two half-width characters count one."""
    monkeypatch.setattr(weibo, "HALF_WIDTH_COUNTS_HALF", True)
    assert weibo_length(text) == length


def test_short_status_is_kept_whole():
    """A title and digest that fit are sent as they are, with the link."""
    status, problems = compose_status("开学典礼举行", "九月一日举行。", LINK)
    assert status == "【开学典礼举行】九月一日举行。 " + LINK
    assert problems == []


def test_long_digest_is_cut_and_the_link_kept():
    """A long digest is cut with "…" so the status, link and key mark included,
    fits 140; the link is never cut."""
    status, problems = compose_status("标题", "很长的摘要" * 60, LINK)
    keyed = status_for(payload_of(status))
    assert weibo_length(keyed) <= STATUS_LIMIT
    assert weibo_length(keyed) >= STATUS_LIMIT - 1
    assert keyed.endswith(" " + LINK + "?rm=" + KEY[:12])
    assert "…" in status
    assert [p["code"] for p in problems] == ["text_shortened"]
    assert problems[0]["blocking"] is False


def test_ascii_text_is_cut_at_140_characters():
    """Half-width text is cut like Chinese text, unless the editor's rule is on."""
    # 140 - 【T】 - the link with its key mark (49) leaves 88.
    _status, problems = compose_status("T", "a" * 88, LINK)
    assert problems == []
    status, problems = compose_status("T", "a" * 89, LINK)
    assert problems and weibo_length(status_for(payload_of(status))) <= STATUS_LIMIT


def test_ascii_text_gets_twice_the_room_by_the_editors_rule(monkeypatch):
    """By the editor's rule half-width text may be twice as long."""
    monkeypatch.setattr(weibo, "HALF_WIDTH_COUNTS_HALF", True)
    _status, problems = compose_status("T", "a" * 200, LINK)
    assert problems == []
    status, problems = compose_status("T", "a" * 260, LINK)
    assert problems and weibo_length(status_for(payload_of(status))) <= STATUS_LIMIT


def test_emoji_at_the_cut_never_overflows():
    """Characters counting two are never split across the limit."""
    status, _problems = compose_status("标题", "😀" * 100, LINK)
    assert weibo_length(status_for(payload_of(status))) <= STATUS_LIMIT
    assert "\ufffd" not in status


def test_overlong_title_is_shortened_too():
    """A title too long for the status on its own is cut as well, and said so."""
    status, problems = compose_status("题" * 200, "摘要", LINK)
    assert weibo_length(status_for(payload_of(status))) <= STATUS_LIMIT
    assert status.endswith(" " + LINK)
    assert {p["code"] for p in problems} == {"title_shortened", "text_shortened"}


def test_topics_are_defused():
    """A "#" becomes "＃": statuses/share refuses #topics#."""
    status, _problems = compose_status("#开学#", "新学期#加油#", LINK)
    assert "#" not in status.replace(LINK, "")
    assert "＃开学＃" in status


def test_status_for_adds_the_key_to_the_link_only():
    """The key mark goes into the link's query string; the text is unchanged."""
    link = "http://testserver/a/?x=1"
    payload = payload_of("【T】正文 " + link, link=link)
    assert status_for(payload) == "【T】正文 http://testserver/a/?x=1&rm=" + KEY[:12]


# ---------------------------------------------------------------------------
# Rendering


@pytest.fixture
def unit():
    return make_unit("教务处", "jwc")


@pytest.fixture
def account(unit):
    return make_account(unit, "weibo", credentials={"access_token": "tok"})


@pytest.mark.django_db
def test_render_uses_the_accounts_wording(unit, account):
    """The target's title and text overrides replace the title and digest."""
    release = make_release(
        unit,
        title="原标题",
        digest="原摘要",
        targets=[
            ReleaseTarget(
                account=account, title_override="微博标题", text_override="微博正文"
            )
        ],
    )
    payload = WeiboAdapter.render(release.latest_revision, account)
    assert payload.content["status"].startswith(
        "【微博标题】微博正文 http://testserver/"
    )
    assert payload.content["link"] == release.full_url
    assert payload.limits["status"]["limit"] == STATUS_LIMIT
    assert payload.assets == []
    json.dumps(payload.as_json())


@pytest.mark.django_db
def test_render_falls_back_to_the_first_paragraph(unit, account):
    """Without a digest the first paragraph's text is used."""
    release = make_release(
        unit,
        title="标题",
        digest="",
        body=[("heading", "小标题"), ("paragraph", "<p>第一段<b>正文</b>。</p>")],
    )
    payload = WeiboAdapter.render(release.latest_revision, account)
    assert payload.content["status"].startswith("【标题】第一段正文。 ")


@pytest.mark.django_db
def test_render_attaches_the_cover_else_the_first_body_image(unit, account):
    """The cover is the picture; without one, the first image of the body."""
    cover = make_image("封面")
    release = make_release(unit, cover_image=cover)
    [asset] = WeiboAdapter.render(release.latest_revision, account).assets
    assert (asset["role"], asset["image_id"]) == ("pic", cover.pk)

    inline = make_image("正文图")
    release = make_release(
        unit,
        body=[
            ("paragraph", "<p>正文</p>"),
            ("image", {"image": inline, "caption": "", "credit": ""}),
        ],
    )
    [asset] = WeiboAdapter.render(release.latest_revision, account).assets
    assert asset["image_id"] == inline.pk
    assert asset["content_type"] == "image/jpeg"


# ---------------------------------------------------------------------------
# Pictures


def _image_bytes(fmt, size=(64, 48), mode="RGB"):
    buffer = io.BytesIO()
    PILImage.new(mode, size, (10, 120, 200)).save(buffer, fmt)
    return buffer.getvalue()


def test_jpeg_png_gif_go_as_they_are():
    """JPEG, PNG and GIF under 5 MB are sent unchanged."""
    for fmt, kind in (
        ("JPEG", "image/jpeg"),
        ("PNG", "image/png"),
        ("GIF", "image/gif"),
    ):
        data = _image_bytes(fmt)
        assert picture_bytes(data, "a.x") == ("a.x", data, kind)


def test_other_formats_become_jpeg():
    """A WebP or BMP picture is converted to JPEG."""
    name, data, kind = picture_bytes(_image_bytes("WEBP"), "photo.webp")
    assert (name, kind) == ("photo.jpg", "image/jpeg")
    assert data.startswith(b"\xff\xd8\xff")


def test_big_pictures_are_made_smaller_than_the_limit():
    """A picture over the limit is re-encoded, and shrunk, until it fits."""
    noise = random.Random(7).randbytes(400 * 400 * 3)  # noqa: S311 — pixels
    noisy = PILImage.frombytes("RGB", (400, 400), noise)
    buffer = io.BytesIO()
    noisy.save(buffer, "PNG")
    name, data, kind = picture_bytes(buffer.getvalue(), "big.png", limit=20_000)
    assert kind == "image/jpeg" and len(data) < 20_000


# ---------------------------------------------------------------------------
# Recorded answers


@pytest.mark.parametrize(
    "name, error_class, code",
    [
        ("error_repeat.json", Rejected, "20019"),
        ("error_expired_token.json", AuthExpired, "21327"),
        ("error_domain.json", Rejected, "10017"),
        ("error_rate_limit.json", RateLimited, "10024"),
        ("error_slow.json", UnknownOutcome, "20032"),
        ("error_busy.json", TransientError, "10001"),
        ("error_unlisted.json", Rejected, "29999"),
    ],
)
def test_error_codes_map_to_kinds(name, error_class, code):
    """Each of Weibo's codes, number or string, becomes its kind of error, with
    the code and a reason in plain words."""
    error = weibo_error(fixture(name))
    assert type(error) is error_class
    assert error.code == code
    assert error.message
    assert error.detail["error_code"] in (code, int(code))


def test_rate_limits_say_when_to_try_again():
    """A rate limit without Retry-After waits Weibo's hour."""
    assert weibo_error(fixture("error_rate_limit.json")).retry_after == 3600
    error = weibo_error({"error_code": 20016, "error": "out of limit"})
    assert error.retry_after == 600


def test_unlisted_codes_carry_weibos_words():
    """A code the table does not know is refused with Weibo's own message."""
    assert "something new" in weibo_error(fixture("error_unlisted.json")).message
    assert "appkey not bind domain" in weibo_error(fixture("error_domain.json")).message


def test_shortened_links_are_recognised_by_their_original():
    """On real Weibo the text shows t.cn links; the original address in
    ``url_struct`` still carries the key."""
    [other, ours] = fixture("user_timeline_shortened.json")["statuses"]
    payload = payload_of(
        "【别的标题】别的 " + LINK, key="01234567-89ab-4def-8123-456789abcdef"
    )
    assert key_marker(payload.key) == "0123456789ab"
    assert matches(ours, payload)
    assert not matches(other, payload)


def test_statuses_are_recognised_by_their_text_when_the_link_is_lost():
    """Without any link carrying the key, the same title and text count."""
    [other, ours] = fixture("user_timeline_shortened.json")["statuses"]
    ours = {**ours, "url_struct": []}
    payload = payload_of("【开学典礼举行】九月一日，开学典礼在体育馆举行。 " + LINK)
    assert matches(ours, payload)
    assert not matches(ours, payload, by_text=False)
    assert not matches(other, payload)


def test_created_at_is_parsed_with_its_offset():
    """Weibo's dates ("Wed Oct 24 23:49:17 +0800 2012") keep their offset."""
    parsed = parse_created_at(fixture("share_ok.json")["created_at"])
    assert parsed == datetime(2012, 10, 24, 15, 49, 17, tzinfo=UTC)
    assert parse_created_at("yesterday") is None


# ---------------------------------------------------------------------------
# Over HTTP, against the sandbox

TOKEN = "weibo-token-5f1d"
UID = "1902538057"
QUICK = (2, 0.5)


@pytest.fixture
def live_account(unit, sandbox):
    account = make_account(
        unit,
        "weibo",
        credentials={"access_token": TOKEN},
        platform_account_id=UID,
        api_base_url=sandbox.base_url("weibo"),
    )
    sandbox.register(account)
    return account


def keyed_payload(account, key=None, **release_fields):
    release_fields.setdefault("title", "开学典礼举行")
    release_fields.setdefault("digest", "九月一日，开学典礼在体育馆举行。")
    release = make_release(account.unit, **release_fields)
    payload = WeiboAdapter.render(release.latest_revision, account)
    payload.key = str(uuid.uuid4()) if key is None else key
    return payload


@pytest.mark.django_db
def test_publish_posts_one_status_with_the_key_and_picture(sandbox, live_account):
    """One share.json call posts the status, its link carrying the key, with the
    cover attached and rip sent; the outcome gives the id and the public card."""
    payload = keyed_payload(live_account, cover_image=make_image("封面"))
    since = sandbox.log().last

    outcome = WeiboAdapter(live_account).publish(payload)

    assert outcome.is_sent
    [item] = sandbox.published(platform="weibo")
    assert item["id"] == outcome.platform_id
    assert item["text"] == status_for(payload)
    assert "?rm=" + key_marker(payload.key) in item["text"]
    assert outcome.url == "%s/%s/%s" % (sandbox.base_url("weibo"), UID, item["id"])
    assert requests.get(outcome.url, timeout=5).status_code == 200
    assert [e["api"] for e in sandbox.log(since)] == ["statuses/share"]
    shown = requests.get(
        sandbox.base_url("weibo") + "/2/statuses/show.json",
        params={"id": outcome.platform_id, "access_token": TOKEN},
        timeout=5,
    ).json()
    assert shown["original_pic"].endswith(".jpg")


@pytest.mark.django_db
def test_a_cut_status_is_accepted_by_the_strictest_count(sandbox, live_account):
    """A digest far over the limit is cut so that even a server counting every
    character as one accepts it."""
    payload = keyed_payload(live_account, digest="很长的摘要，" * 80)
    assert payload.problems
    assert WeiboAdapter(live_account).publish(payload).is_sent


@pytest.mark.django_db
def test_the_editors_rule_fits_a_server_counting_halves(
    monkeypatch, sandbox, live_account
):
    """With the editor's rule on, Latin text twice as long still fits a server
    that counts two half-width characters as one."""
    monkeypatch.setattr(weibo, "HALF_WIDTH_COUNTS_HALF", True)
    sandbox.limits(weibo={"length_mode": "weibo"})
    payload = keyed_payload(live_account, digest="Opening ceremony. " * 30)
    assert weibo_length(status_for(payload)) <= STATUS_LIMIT
    assert len(status_for(payload)) > STATUS_LIMIT
    assert WeiboAdapter(live_account).publish(payload).is_sent


@pytest.mark.django_db
def test_sending_the_same_delivery_again_returns_the_first_post(sandbox, live_account):
    """Weibo refuses the repeated text; the adapter recognises its own post by
    the key and answers with it, so nothing is posted twice."""
    payload = keyed_payload(live_account)
    adapter = WeiboAdapter(live_account)
    first = adapter.publish(payload)
    again = adapter.publish(payload)
    assert again.platform_id == first.platform_id
    assert len(sandbox.published(platform="weibo")) == 1


@pytest.mark.django_db
def test_repeated_text_of_another_post_is_rejected(sandbox, live_account):
    """Without this delivery's key in the earlier post, 20019 is a rejection."""
    payload = keyed_payload(live_account, key="")
    adapter = WeiboAdapter(live_account)
    adapter.publish(payload)
    with pytest.raises(Rejected) as caught:
        adapter.publish(payload)
    assert caught.value.code == "20019"


@pytest.mark.django_db
def test_an_expired_token_needs_authorising_again(sandbox, live_account):
    """Weibo has no refresh for ordinary apps: 21327 is auth_expired."""
    sandbox.expire_tokens()
    with pytest.raises(AuthExpired) as caught:
        WeiboAdapter(live_account).publish(keyed_payload(live_account))
    assert caught.value.code == "21327"


@pytest.mark.django_db
def test_posting_too_often_is_rate_limited(sandbox, live_account):
    """Past the hourly posting quota: rate_limited, with a wait."""
    sandbox.faults(UID, quota={"statuses/share": 1})
    adapter = WeiboAdapter(live_account)
    adapter.publish(keyed_payload(live_account))
    with pytest.raises(RateLimited) as caught:
        adapter.publish(keyed_payload(live_account, title="第二条"))
    assert caught.value.code == "20016"
    assert caught.value.retry_after == 600


@pytest.mark.django_db
def test_refused_content_is_rejected_with_weibos_reason(sandbox, live_account):
    """Content Weibo refuses is a permanent rejection saying why."""
    sandbox.faults(UID, reject_words=["典礼"])
    with pytest.raises(Rejected) as caught:
        WeiboAdapter(live_account).publish(keyed_payload(live_account))
    assert caught.value.code == "20021"
    assert "content is illegal" in caught.value.message


@pytest.mark.django_db
def test_no_connection_is_transient(unit):
    """A refused connection sent nothing: transient."""
    account = make_account(
        unit,
        "weibo",
        credentials={"access_token": TOKEN},
        api_base_url="http://127.0.0.1:9/weibo",
    )
    with pytest.raises(TransientError) as caught:
        WeiboAdapter(account, timeout=QUICK).publish(keyed_payload(account))
    assert type(caught.value) is TransientError


@pytest.mark.django_db
def test_gateway_errors_on_reads_are_transient(sandbox, live_account):
    """A 502/503 while looking up is transient: looking again is safe."""
    sandbox.faults(UID, error_rate=1.0)
    with pytest.raises(TransientError) as caught:
        WeiboAdapter(live_account).find(keyed_payload(live_account), {})
    assert type(caught.value) is TransientError
    assert caught.value.code in ("502", "503")


@pytest.mark.django_db
def test_a_lost_answer_is_an_unknown_outcome_that_find_resolves(sandbox, live_account):
    """The status arrived but the answer did not: unknown outcome; find() then
    reads the timeline and returns the post without sending again."""
    payload = keyed_payload(live_account)
    sandbox.faults(UID, timeout_rate=1.0, timeout_seconds=2, timeout_mode="after")
    with pytest.raises(UnknownOutcome):
        WeiboAdapter(live_account, timeout=QUICK).publish(payload)
    sandbox.clear_faults()

    found = WeiboAdapter(live_account).find(payload, {})

    [item] = sandbox.published(platform="weibo")
    assert found is not None and found.platform_id == item["id"]
    assert found.url.endswith("/%s/%s" % (UID, item["id"]))


@pytest.mark.django_db
def test_find_answers_none_when_nothing_arrived(sandbox, live_account):
    """A request lost before Weibo saw it leaves no trace: find() says None,
    so sending again is safe."""
    payload = keyed_payload(live_account)
    sandbox.faults(UID, timeout_rate=1.0, timeout_seconds=2, timeout_mode="before")
    with pytest.raises(UnknownOutcome):
        WeiboAdapter(live_account, timeout=QUICK).publish(payload)
    sandbox.clear_faults()
    assert WeiboAdapter(live_account).find(payload, {}) is None
    assert WeiboAdapter(live_account).publish(payload).is_sent


@pytest.mark.django_db
def test_withdraw_deletes_the_status(sandbox, live_account):
    """statuses/destroy removes it; withdrawing it again is not an error."""
    adapter = WeiboAdapter(live_account)
    outcome = adapter.publish(keyed_payload(live_account))
    record = SimpleNamespace(platform_id=outcome.platform_id)

    adapter.withdraw(record)
    adapter.withdraw(record)

    [item] = sandbox.published(platform="weibo")
    assert item["deleted"] is True


@pytest.mark.django_db
def test_comments_are_fetched_and_answered(sandbox, live_account):
    """Comments on recent statuses come in as messages; a reply goes to the
    comment it answers."""
    adapter = WeiboAdapter(live_account)
    before = timezone.now() - timedelta(minutes=1)
    outcome = adapter.publish(keyed_payload(live_account))

    messages = adapter.fetch_messages(before)

    assert len(messages) == 2
    assert {m.post_id for m in messages} == {outcome.platform_id}
    assert all(m.text and m.author and m.created_at for m in messages)
    assert adapter.fetch_messages(timezone.now() + timedelta(minutes=5)) == []

    reply = adapter.reply(messages[0], "感谢关注，报到时间为上午八点。")
    assert reply.platform_id and reply.post_id == outcome.platform_id
    assert len(adapter.fetch_messages(before)) == 3
    with pytest.raises(Rejected):
        adapter.reply(messages[0], "长" * 141)


@pytest.mark.django_db
def test_metrics_come_from_the_timeline(sandbox, live_account):
    """Reposts, comments and likes of a recent status; {} for one not there."""
    adapter = WeiboAdapter(live_account)
    outcome = adapter.publish(keyed_payload(live_account))
    metrics = adapter.fetch_metrics(SimpleNamespace(platform_id=outcome.platform_id))
    assert metrics == {"reposts": 0, "comments": 2, "likes": 0}
    assert adapter.fetch_metrics(SimpleNamespace(platform_id="1")) == {}
