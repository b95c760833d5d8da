"""The Douyin adapter: the caption, the video, the data/extra envelope and its
error codes, token refresh and the refresh-token warnings, and publishing in
one piece or in parts over real HTTP against the sandbox."""

import json
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from django.utils import timezone
from requests.structures import CaseInsensitiveDict

from channels import tokens
from channels.adapters.base import (
    AuthExpired,
    Payload,
    RateLimited,
    Rejected,
    TransientError,
    UnknownOutcome,
)
from channels.adapters.douyin import (
    CAPTION_LIMIT,
    DouyinAdapter,
    _TokenRefused,
    caption_for,
    caption_length,
    compose_caption,
    envelope_data,
    refresh_token_warnings,
)
from channels.models import ReleaseTarget
from channels.render import key_marker
from tests.utils import make_account, make_release, make_unit, make_video

FIXTURES = Path(__file__).parent / "fixtures" / "douyin"
KEY = "0123456789ab4def8123456789abcdef"
LINK = "http://testserver/jwc/release-1/"


def fixture(name):
    return (FIXTURES / name).read_bytes()


def response(body, status=200, headers=None):
    """A ``requests.Response`` as the session would return it."""
    answer = requests.Response()
    answer.status_code = status
    answer._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    answer.headers = CaseInsensitiveDict(headers or {})
    answer.encoding = "utf-8"
    return answer


def payload_of(text, link=LINK, key=KEY):
    return Payload(
        platform="douyin",
        account_id=1,
        title="",
        content={"text": text, "link": link},
        link=link,
        key=key,
    )


# ---------------------------------------------------------------------------
# Caption


def test_caption_is_title_text_and_link():
    """One line each: the title, the text, the link."""
    caption, problems = compose_caption("开学典礼", "九月一日举行。", LINK)
    assert caption == "开学典礼\n九月一日举行。\n" + LINK
    assert problems == []


def test_long_text_is_cut_to_the_limit_with_the_key():
    """A long digest is cut with "…" so the caption with the keyed link fits;
    the link is never cut."""
    caption, problems = compose_caption("标题", "长" * 2000, LINK)
    sent = caption_for(payload_of(caption))
    assert caption_length(sent) == CAPTION_LIMIT
    assert sent.endswith("…\n" + LINK + "?rm=" + KEY[:12])
    assert [p["code"] for p in problems] == ["text_shortened"]


def test_emoji_count_two_in_the_caption():
    """A character beyond the BMP counts two, and is never split."""
    assert caption_length("😀a") == 3
    caption, _problems = compose_caption("标题", "😀" * 600, LINK)
    assert caption_length(caption_for(payload_of(caption))) <= CAPTION_LIMIT


def test_hashes_start_no_topic():
    """A "#" in the title or text becomes "＃"."""
    caption, _problems = compose_caption("#开学#", "加油#", LINK)
    assert "#" not in caption.replace(LINK, "")


# ---------------------------------------------------------------------------
# Rendering


@pytest.fixture
def unit():
    return make_unit("教务处", "jwc")


@pytest.fixture
def account(unit):
    return make_account(
        unit,
        "douyin",
        credentials={
            "client_key": "ck",
            "client_secret": "cs",
            "access_token": "act.1",
            "refresh_token": "rft.1",
            "open_id": "open-1",
        },
    )


@pytest.mark.django_db
def test_a_release_without_video_cannot_go_to_douyin(unit, account):
    """No video block: a blocking problem, and publish refuses the payload."""
    release = make_release(unit)
    payload = DouyinAdapter.render(release.latest_revision, account)
    assert [p["code"] for p in payload.blocking_problems] == ["no_video"]
    assert payload.assets == []
    with pytest.raises(Rejected):
        DouyinAdapter(account).publish(payload)


@pytest.mark.django_db
def test_render_takes_the_first_video_and_the_accounts_wording(unit, account):
    """The first video block is the video; the target's wording the caption."""
    first, second = make_video("第一个", size=4096), make_video("第二个")
    release = make_release(
        unit,
        title="原标题",
        body=[
            ("paragraph", "<p>正文</p>"),
            ("video", {"video": first, "caption": ""}),
            ("video", {"video": second, "caption": ""}),
        ],
        targets=[
            ReleaseTarget(
                account=account, title_override="抖音标题", text_override="抖音文案"
            )
        ],
    )
    payload = DouyinAdapter.render(release.latest_revision, account)
    assert payload.problems == []
    [asset] = payload.assets
    assert (asset["role"], asset["media_id"], asset["size"]) == (
        "video",
        first.pk,
        4096,
    )
    assert asset["content_type"] == "video/mp4"
    assert payload.content["text"] == "抖音标题\n抖音文案\n" + release.full_url
    json.dumps(payload.as_json())


# ---------------------------------------------------------------------------
# The envelope


def test_success_needs_every_code_zero():
    """HTTP 200 with zero codes gives ``data``."""
    data = envelope_data(response(fixture("upload_ok.json")), creates=False)
    assert data["video"]["video_id"].startswith("v0200f")


@pytest.mark.parametrize(
    "name, error_class, code",
    [
        ("error_parameter.json", Rejected, "2100005"),
        ("error_codes_as_strings.json", RateLimited, "28003018"),
        ("error_sub_code.json", TransientError, "2100004"),
        ("error_quota.json", RateLimited, "28003017"),
        ("error_new_style.json", Rejected, "28001016"),
        ("oauth_refresh_expired.json", AuthExpired, "10010"),
    ],
)
def test_error_codes_map_to_kinds(name, error_class, code):
    """A non-zero code anywhere (data, extra, sub code, err_no), number or
    string, becomes its kind of error with Douyin's description."""
    with pytest.raises(error_class) as caught:
        envelope_data(response(fixture(name)), creates=True)
    assert caught.value.code == code
    assert caught.value.message


def test_rate_limits_say_when_to_try_again():
    """Too many requests: a minute; a used-up daily quota: Beijing midnight."""
    with pytest.raises(RateLimited) as caught:
        envelope_data(response(fixture("error_codes_as_strings.json")), creates=False)
    assert caught.value.retry_after == 60
    with pytest.raises(RateLimited) as caught:
        envelope_data(response(fixture("error_quota.json")), creates=False)
    assert 0 < caught.value.retry_after <= 86400 + 5


def test_an_expired_token_asks_for_a_refresh():
    """A token error is handed back for one refresh when the caller can."""
    with pytest.raises(_TokenRefused):
        envelope_data(
            response(fixture("error_token_expired.json")),
            creates=False,
            token_errors=True,
        )
    with pytest.raises(AuthExpired):
        envelope_data(response(fixture("error_token_expired.json")), creates=False)


def test_http_failures():
    """5xx is transient; a gateway error on a post is an unknown outcome; a
    body that is not JSON on a post too."""
    with pytest.raises(TransientError):
        envelope_data(response(b"oops", status=500), creates=True)
    with pytest.raises(UnknownOutcome):
        envelope_data(response(b"", status=504), creates=True)
    with pytest.raises(TransientError) as caught:
        envelope_data(response(b"", status=504), creates=False)
    assert not isinstance(caught.value, UnknownOutcome)
    with pytest.raises(UnknownOutcome):
        envelope_data(response(b"<html>", status=200), creates=True)
    with pytest.raises(RateLimited) as caught:
        envelope_data(
            response(b"", status=429, headers={"Retry-After": "7"}), creates=True
        )
    assert caught.value.retry_after == 7


# ---------------------------------------------------------------------------
# Refresh-token warnings


@pytest.mark.django_db
def test_no_warning_while_the_refresh_token_has_time(account):
    """A refresh token with weeks left and renewals to spare raises nothing."""
    tokens.store(
        account, "refresh_token", "rft.2", expires_in=20 * 86400, renewals_left=4
    )
    assert refresh_token_warnings(account) == []


@pytest.mark.django_db
def test_warning_when_the_refresh_token_runs_out_within_five_days(account):
    """Five days before the end, a warning names the account and the date."""
    tokens.store(
        account, "refresh_token", "rft.2", expires_in=4 * 86400, renewals_left=3
    )
    [warning] = refresh_token_warnings(account)
    assert warning["code"] == "refresh_token_expiring"
    assert account.name in warning["message"]
    assert warning["expires_at"] > timezone.now()


@pytest.mark.django_db
def test_warning_when_no_renewal_is_left(account):
    """A refresh token that cannot be renewed again warns even with weeks left."""
    tokens.store(
        account, "refresh_token", "rft.2", expires_in=25 * 86400, renewals_left=0
    )
    [warning] = refresh_token_warnings(account)
    assert warning["code"] == "no_renewals_left"


@pytest.mark.django_db
def test_warning_when_the_refresh_token_has_run_out(account):
    """Past its end, the warning says nothing can be published."""
    tokens.store(account, "refresh_token", "rft.2", expires_in=3600, renewals_left=2)
    later = timezone.now() + timedelta(hours=2)
    [warning] = refresh_token_warnings(account, later)
    assert warning["code"] == "refresh_token_expired"


@pytest.mark.django_db
def test_credentials_refresh_token_counts_from_when_it_was_entered(account):
    """Before the token was ever stored, its end is 30 days after the
    credentials were entered."""
    assert refresh_token_warnings(account) == []
    [warning] = refresh_token_warnings(account, timezone.now() + timedelta(days=27))
    assert warning["code"] == "refresh_token_expiring"


@pytest.mark.django_db
def test_other_platforms_have_no_refresh_token_warnings(unit):
    """Only Douyin accounts are looked at."""
    assert refresh_token_warnings(make_account(unit, "weibo")) == []


# ---------------------------------------------------------------------------
# Over HTTP, against the sandbox

OPEN_ID = "open-7d2c"
QUICK = (2, 0.5)
KB = 1024


@pytest.fixture
def live_account(unit, sandbox):
    account = make_account(
        unit,
        "douyin",
        credentials={
            "client_key": "ck-7d2c",
            "client_secret": "cs-7d2c",
            "access_token": "act.first",
            "refresh_token": "rft.first",
            "open_id": OPEN_ID,
        },
        api_base_url=sandbox.base_url("douyin"),
    )
    sandbox.register(account)
    return account


@pytest.fixture
def small_parts(settings, sandbox):
    """Part upload above 256 KB, in parts of 128 KB the sandbox accepts."""
    settings.RONGMEI_DOUYIN_PART_THRESHOLD = 256 * KB
    settings.RONGMEI_DOUYIN_PART_SIZE = 128 * KB
    sandbox.limits(douyin={"part_min_bytes": 64 * KB})


def video_payload(account, size=64 * KB, key=None, **release_fields):
    video = make_video(size=size)
    release_fields.setdefault("title", "开学典礼举行")
    release_fields.setdefault("digest", "九月一日，开学典礼在体育馆举行。")
    release = make_release(
        account.unit,
        body=[("video", {"video": video, "caption": ""})],
        **release_fields,
    )
    payload = DouyinAdapter.render(release.latest_revision, account)
    payload.key = key or str(uuid.uuid4())
    return payload, video


def apis(sandbox, since):
    return [entry["api"] for entry in sandbox.log(since)]


def uploaded_bytes(sandbox, video_id):
    return sandbox.server.state.data["douyin"]["videos"][video_id].data


@pytest.mark.django_db
def test_publish_uploads_the_video_and_posts_it(sandbox, live_account):
    """One upload, one post with the caption carrying the key, one look-up of
    the public address: the post is on Douyin."""
    payload, video = video_payload(live_account)
    progress = {}
    since = sandbox.log().last

    outcome = DouyinAdapter(live_account, checkpoint=progress.__setitem__).publish(
        payload
    )

    assert apis(sandbox, since) == [
        "video/upload_video",
        "video/create_video",
        "video/video_data",
    ]
    [item] = sandbox.published(platform="douyin")
    assert item["id"] == outcome.platform_id == progress["item_id"]
    assert item["text"] == caption_for(payload)
    assert "?rm=" + key_marker(payload.key) in item["text"]
    assert outcome.url and outcome.url == item["url"]
    with video.file.open("rb") as handle:
        assert uploaded_bytes(sandbox, progress["video_id"]) == handle.read()


@pytest.mark.django_db
def test_big_videos_go_up_in_parts(sandbox, live_account, small_parts):
    """Above the threshold the video goes in parts, put back together intact."""
    payload, video = video_payload(live_account, size=600 * KB)
    progress = {}
    since = sandbox.log().last

    DouyinAdapter(live_account, checkpoint=progress.__setitem__).publish(payload)

    assert apis(sandbox, since) == [
        "video/init_video_part_upload",
        *["video/upload_video_part"] * 5,
        "video/complete_video_part_upload",
        "video/create_video",
        "video/video_data",
    ]
    assert progress["parts_done"] == 5 and progress["part_size"] == 128 * KB
    with video.file.open("rb") as handle:
        assert uploaded_bytes(sandbox, progress["video_id"]) == handle.read()


class WorkerDied(Exception):
    pass


@pytest.mark.django_db
def test_a_part_upload_continues_where_it_stopped(sandbox, live_account, small_parts):
    """A publish that stopped after two parts continues with the third: no part
    is sent twice and the video arrives whole."""
    payload, video = video_payload(live_account, size=600 * KB)
    progress = {}

    def checkpoint(name, value):
        progress[name] = value
        if name == "parts_done" and value == 2:
            raise WorkerDied

    with pytest.raises(WorkerDied):
        DouyinAdapter(live_account, checkpoint=checkpoint).publish(payload)
    since = sandbox.log().last

    adapter = DouyinAdapter(live_account, checkpoint=progress.__setitem__)
    adapter.progress = dict(progress)
    adapter.publish(payload)

    log = sandbox.log(since)
    parts = [e["path"] for e in log if e["api"] == "video/upload_video_part"]
    assert [p.rsplit("part_number=", 1)[1][:1] for p in parts] == ["3", "4", "5"]
    assert "video/init_video_part_upload" not in apis(sandbox, since)
    with video.file.open("rb") as handle:
        assert uploaded_bytes(sandbox, progress["video_id"]) == handle.read()


@pytest.mark.django_db
def test_a_stale_part_upload_starts_again(sandbox, live_account, small_parts):
    """An upload id past its two hours: the upload starts over with a new one."""
    payload, _video = video_payload(live_account, size=600 * KB)
    progress = {}

    def checkpoint(name, value):
        progress[name] = value
        if name == "parts_done" and value == 2:
            raise WorkerDied

    with pytest.raises(WorkerDied):
        DouyinAdapter(live_account, checkpoint=checkpoint).publish(payload)
    first_upload = progress["upload_id"]
    sandbox.advance(2 * 3600 + 1)

    adapter = DouyinAdapter(live_account, checkpoint=progress.__setitem__)
    adapter.progress = dict(progress)
    assert adapter.publish(payload).is_sent
    assert progress["upload_id"] != first_upload


@pytest.mark.django_db
def test_an_uploaded_video_is_not_uploaded_again(sandbox, live_account):
    """A publish resumed after the upload posts the video already there."""
    payload, _video = video_payload(live_account)
    first = {}
    adapter = DouyinAdapter(live_account, checkpoint=first.__setitem__)
    adapter._upload(payload)
    since = sandbox.log().last

    adapter = DouyinAdapter(live_account)
    adapter.progress = dict(first)
    adapter.publish(payload)

    assert apis(sandbox, since) == ["video/create_video", "video/video_data"]


@pytest.mark.django_db
def test_an_expired_access_token_is_refreshed_once(sandbox, live_account):
    """Douyin refuses the expired token; it is refreshed once, stored for every
    worker, and the call repeated; the next adapter uses the stored token."""
    sandbox.expire_tokens()
    payload, _video = video_payload(live_account)
    since = sandbox.log().last

    assert DouyinAdapter(live_account).publish(payload).is_sent
    second, _video = video_payload(live_account, title="第二条")
    assert DouyinAdapter(live_account).publish(second).is_sent

    calls = apis(sandbox, since)
    assert calls.count("oauth/refresh_token") == 1
    assert calls[:3] == [
        "video/upload_video",
        "oauth/refresh_token",
        "video/upload_video",
    ]
    stored = tokens.current(live_account, "access_token")
    assert stored.generation == 1 and stored.value != "act.first"
    assert tokens.current(live_account, "refresh_token").expires_at is not None


@pytest.mark.django_db
def test_a_token_refused_after_refreshing_needs_authorising(sandbox, live_account):
    """A dead refresh token: auth_expired, with a reason people can act on."""
    sandbox.expire_tokens(refresh=True)
    payload, _video = video_payload(live_account)
    with pytest.raises(AuthExpired) as caught:
        DouyinAdapter(live_account).publish(payload)
    assert caught.value.code == "10010"
    assert tokens.current(live_account, "access_token") is None


@pytest.mark.django_db
def test_the_refresh_token_is_renewed_near_its_end(sandbox, live_account):
    """Within a week of its end the refresh token is renewed: a new one for 30
    days, one renewal fewer, and it refreshes access tokens from then on."""
    adapter = DouyinAdapter(live_account)
    assert adapter.renew_refresh_token_if_due() is None

    renewed = adapter.renew_refresh_token_if_due(timezone.now() + timedelta(days=25))

    assert renewed.value != "rft.first"
    assert renewed.renewals_left == 4
    assert renewed.expires_at > timezone.now() + timedelta(days=29)
    sandbox.expire_tokens()
    payload, _video = video_payload(live_account)
    assert adapter.publish(payload).is_sent


@pytest.mark.django_db
def test_no_renewal_left_is_auth_expired(sandbox, live_account):
    """With no renewal left the adapter says so instead of asking Douyin."""
    tokens.store(
        live_account, "refresh_token", "rft.first", expires_in=86400, renewals_left=0
    )
    since = sandbox.log().last
    with pytest.raises(AuthExpired) as caught:
        DouyinAdapter(live_account).renew_refresh_token()
    assert caught.value.code == "10020"
    assert apis(sandbox, since) == []
    [warning] = refresh_token_warnings(live_account)
    assert warning["code"] == "no_renewals_left"


@pytest.mark.django_db
def test_a_lost_post_answer_is_found_by_its_key(sandbox, live_account):
    """create_video arrives but its answer is lost: unknown outcome; find()
    sees the post among the recent ones by the key in its caption."""
    payload, _video = video_payload(live_account)
    progress = {}

    def checkpoint(name, value):
        progress[name] = value
        if name == "video_id":
            sandbox.faults(OPEN_ID, timeout_rate=1.0, timeout_seconds=2)

    with pytest.raises(UnknownOutcome):
        DouyinAdapter(live_account, timeout=QUICK, checkpoint=checkpoint).publish(
            payload
        )
    sandbox.clear_faults()

    found = DouyinAdapter(live_account).find(payload, progress)

    [item] = sandbox.published(platform="douyin")
    assert found.platform_id == item["id"]
    assert found.url == item["url"]


@pytest.mark.django_db
def test_a_post_that_never_arrived_is_not_found(sandbox, live_account):
    """A post lost before Douyin saw it: find() says None, and the resumed
    publish posts the uploaded video once."""
    payload, _video = video_payload(live_account)
    progress = {}

    def checkpoint(name, value):
        progress[name] = value
        if name == "video_id":
            sandbox.faults(
                OPEN_ID, timeout_rate=1.0, timeout_seconds=2, timeout_mode="before"
            )

    with pytest.raises(UnknownOutcome):
        DouyinAdapter(live_account, timeout=QUICK, checkpoint=checkpoint).publish(
            payload
        )
    sandbox.clear_faults()
    adapter = DouyinAdapter(live_account)
    assert adapter.find(payload, progress) is None
    assert adapter.find(payload, {}) is None  # nothing uploaded, nothing posted

    adapter.progress = dict(progress)
    assert adapter.publish(payload).is_sent
    assert len(sandbox.published(platform="douyin")) == 1


@pytest.mark.django_db
def test_a_used_up_quota_is_rate_limited(sandbox, live_account):
    """Douyin's quota (2190001/28003017) waits until its day ends."""
    sandbox.faults(OPEN_ID, quota={"video/create_video": 0})
    payload, _video = video_payload(live_account)
    with pytest.raises(RateLimited) as caught:
        DouyinAdapter(live_account).publish(payload)
    assert caught.value.code == "28003017"
    assert 0 < caught.value.retry_after <= 86400 + 5


@pytest.mark.django_db
def test_refused_content_is_rejected_with_douyins_reason(sandbox, live_account):
    """A caption Douyin refuses is rejected with its description."""
    sandbox.faults(OPEN_ID, reject_words=["典礼"])
    payload, _video = video_payload(live_account)
    with pytest.raises(Rejected) as caught:
        DouyinAdapter(live_account).publish(payload)
    assert caught.value.code == "2100005"
    assert "违规" in caught.value.message


@pytest.mark.django_db
def test_no_connection_is_transient(unit):
    """A refused connection sent nothing: transient."""
    account = make_account(
        unit,
        "douyin",
        credentials={"access_token": "act.x", "open_id": "o"},
        api_base_url="http://127.0.0.1:9/douyin",
    )
    payload, _video = video_payload(account)
    with pytest.raises(TransientError) as caught:
        DouyinAdapter(account, timeout=QUICK).publish(payload)
    assert type(caught.value) is TransientError


@pytest.mark.django_db
def test_withdraw_deletes_the_post(sandbox, live_account):
    """delete_video takes the post down; withdrawing it again is not an error,
    but an item Douyin never had is."""
    payload, _video = video_payload(live_account)
    adapter = DouyinAdapter(live_account)
    outcome = adapter.publish(payload)
    record = SimpleNamespace(platform_id=outcome.platform_id)
    adapter.withdraw(record)
    adapter.withdraw(record)
    [item] = sandbox.published(platform="douyin")
    assert item["deleted"] is True


@pytest.mark.django_db
def test_comments_metrics_and_replies(sandbox, live_account):
    """Once reviewed the post gets comments: they come in as messages, can be
    answered, and show in the post's statistics."""
    payload, _video = video_payload(live_account)
    adapter = DouyinAdapter(live_account)
    before = timezone.now() - timedelta(minutes=1)
    outcome = adapter.publish(payload)
    sandbox.advance(1)

    messages = adapter.fetch_messages(before)

    assert len(messages) == 2
    assert {m.post_id for m in messages} == {outcome.platform_id}
    assert all(m.text and m.created_at for m in messages)
    reply = adapter.reply(messages[0], "感谢关注！")
    assert reply.platform_id
    record = SimpleNamespace(platform_id=outcome.platform_id)
    assert adapter.fetch_metrics(record)["comment_count"] == 2
    assert adapter.fetch_metrics(SimpleNamespace(platform_id="@none")) == {}


@pytest.mark.django_db
def test_authorising_again_replaces_the_stored_tokens(sandbox, live_account):
    """New credentials (the account authorised again) win over tokens stored
    from the old ones, and the refresh-token warnings count from them."""
    tokens.store(live_account, "access_token", "act.old", expires_in=86400)
    tokens.store(live_account, "refresh_token", "rft.old", expires_in=3600)
    assert refresh_token_warnings(live_account)
    credentials = {
        **live_account.get_credentials(),
        "access_token": "act.new",
        "refresh_token": "rft.new",
    }
    live_account.set_credentials(**credentials)
    live_account.save()
    sandbox.register(live_account)

    assert refresh_token_warnings(live_account) == []
    payload, _video = video_payload(live_account)
    assert DouyinAdapter(live_account).publish(payload).is_sent
    assert tokens.current(live_account, "refresh_token") is None
