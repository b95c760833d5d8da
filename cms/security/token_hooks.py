"""Wagtail hooks of API tokens and their scopes (loaded from cms.wagtail_hooks)."""

from wagtail import hooks

from .tokens import APITokenViewSet


@hooks.register("register_admin_viewset")
def register_api_token_viewset():
    # Wagtail registers its own token viewset only when wagtail.api.v3 is
    # installed, which Rongmei does not use. This one takes the same name and
    # URLs, so reverse("wagtailusers_api_tokens:…") works as in Wagtail. Installing
    # v3 later would register both: this one's URLs win (cms's hooks load first),
    # but the settings menu would list "API tokens" twice.
    return APITokenViewSet("wagtailusers_api_tokens", url_prefix="api-tokens")
