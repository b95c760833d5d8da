"""The adapters' HTTP session reads proxy settings once per address, and still
honours them as requests does."""

import pytest

from channels.adapters import base
from channels.adapters.base import PlatformSession


@pytest.fixture
def proxy_env(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.gov.cn:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost,.intranet.example")
    base._environ_proxies.cache_clear()
    yield
    base._environ_proxies.cache_clear()


def settings_for(url):
    session = PlatformSession()
    return session.merge_environment_settings(url, {}, None, None, None)


def test_the_environment_proxy_is_used_for_a_platform(proxy_env):
    merged = settings_for("https://api.weixin.qq.com/cgi-bin/draft/add?x=1")
    assert merged["proxies"]["https"] == "http://proxy.example.gov.cn:3128"


def test_no_proxy_hosts_bypass_it(proxy_env):
    assert "https" not in settings_for("https://127.0.0.1:8300/wechat/x")["proxies"]
    assert "https" not in settings_for("https://app.intranet.example/hook")["proxies"]


def test_it_is_looked_up_once_per_address(proxy_env):
    settings_for("https://api.weibo.com/2/statuses/share.json")
    settings_for("https://api.weibo.com/2/comments/show.json")
    settings_for("https://open.douyin.com/video/create/")
    info = base._environ_proxies.cache_info()
    assert (info.misses, info.hits) == (2, 1)


def test_an_explicit_proxy_wins_and_trust_env_off_ignores_the_environment(proxy_env):
    session = PlatformSession()
    merged = session.merge_environment_settings(
        "https://api.weibo.com/x", {"https": "http://other:1"}, None, None, None
    )
    assert merged["proxies"]["https"] == "http://other:1"
    session.trust_env = False
    merged = session.merge_environment_settings(
        "https://api.weibo.com/x", {}, None, None, None
    )
    assert "https" not in merged["proxies"]
