"""The platforms accounts can live on. Register more with ``register_platform``."""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Platform:
    code: str
    label: str
    #: The platform's real API endpoint, used when an account leaves
    #: ``api_base_url`` blank.
    default_api_base_url: str
    #: Names of the credentials an account on this platform needs.
    credential_fields: tuple = field(default_factory=tuple)


_registry = {}


def register_platform(platform):
    _registry[platform.code] = platform
    return platform


def get_platform(code):
    try:
        return _registry[code]
    except KeyError as e:
        raise LookupError(f"Unknown platform {code!r}") from e


def all_platforms():
    return list(_registry.values())


def platform_choices():
    return [(p.code, p.label) for p in _registry.values()]


register_platform(
    Platform(
        "wechat_oa",
        _("WeChat official account"),
        "https://api.weixin.qq.com",
        ("app_id", "app_secret"),
    )
)
register_platform(
    Platform("weibo", _("Weibo"), "https://api.weibo.com", ("access_token",))
)
register_platform(
    Platform(
        "douyin",
        _("Douyin"),
        "https://open.douyin.com",
        ("client_key", "client_secret", "access_token", "refresh_token", "open_id"),
    )
)
register_platform(Platform("app", _("App"), "", ("webhook_url", "secret")))
