"""Security headers beyond Django's own: the Content Security Policy per answer."""

from csp.constants import HEADER
from django.conf import settings
from django.urls import reverse

#: Admin URL names that keep the site's strict policy: they work without inline
#: scripts and styles, and are reachable without signing in.
STRICT_ADMIN_URL_NAMES = {"wagtailadmin_login"}


class ContentSecurityPolicyMiddleware:
    """Adjust ``CONTENT_SECURITY_POLICY`` to the answer, through the attributes
    django-csp's decorators set (``_csp_update``, ``_csp_replace``):

    - Wagtail admin pages, the login page apart, get ``RONGMEI_CSP_ADMIN_UPDATE``
      on top; the public site and the API keep the policy as it is.
    - ``frame-ancestors`` follows ``X-Frame-Options``: an answer a view lets be
      framed by the same origin (Wagtail's preview) gets ``'self'``, so modern
      browsers, which obey frame-ancestors over X-Frame-Options, agree with old
      ones.

    Sits right after ``csp.middleware.CSPMiddleware``, which writes the header,
    and before ``XFrameOptionsMiddleware``, which has set its header by then.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        is_admin = self.is_admin(request)
        frameable = response.get("X-Frame-Options", "").upper() == "SAMEORIGIN"
        if not (is_admin or frameable):
            return response
        # Wagtail's preview renders the page through the whole middleware stack
        # for a simulated request to the page's public URL, so its answer comes
        # back with that URL's policy. Drop it: the policy is this request's.
        if HEADER in response:
            del response[HEADER]
        if is_admin:
            update = dict(getattr(response, "_csp_update", None) or {})
            for directive, sources in settings.RONGMEI_CSP_ADMIN_UPDATE.items():
                update[directive] = [*update.get(directive, []), *sources]
            response._csp_update = update
        if frameable:
            replace = dict(getattr(response, "_csp_replace", None) or {})
            replace["frame-ancestors"] = ["'self'"]
            response._csp_replace = replace
        return response

    def is_admin(self, request):
        if not request.path_info.startswith(reverse("wagtailadmin_home")):
            return False
        match = getattr(request, "resolver_match", None)
        return match is None or match.url_name not in STRICT_ADMIN_URL_NAMES
