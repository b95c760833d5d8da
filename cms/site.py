"""The page tree's fixed top: one site whose root is the home page."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from wagtail.models import Collection, Locale, Page, Site


def ensure_home_page(using="default"):
    """Replace Wagtail's welcome page with our home page. Idempotent."""
    from .models import HomePage

    home = HomePage.objects.using(using).first()
    if home is not None:
        sync_default_site(home)
        return home
    locale, _created = Locale.objects.get_or_create(
        language_code=settings.LANGUAGE_CODE
    )
    # A flushed database (``manage.py flush``, transactional tests) has lost the
    # tree roots that Wagtail's data migrations made: put them back.
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    root = Page.get_first_root_node()
    if root is None:
        root = Page.add_root(instance=Page(title="Root", slug="root", locale=locale))
    page_type = ContentType.objects.get_for_model(Page)
    for welcome in root.get_children().filter(content_type=page_type, slug="home"):
        welcome.delete()
    home = HomePage(title=settings.WAGTAIL_SITE_NAME, slug="home")
    root = Page.get_first_root_node()
    root.add_child(instance=home)
    home.save_revision().publish()
    sync_default_site(home)
    return home


def sync_default_site(home):
    """Point the default site at the home page and the configured public address."""
    # The public address (RONGMEI_PUBLIC_BASE_URL) gives the links in the API and
    # in what is posted to the platforms.
    public = urlsplit(settings.RONGMEI_PUBLIC_BASE_URL)
    port = public.port or (443 if public.scheme == "https" else 80)
    site = Site.objects.filter(is_default_site=True).first() or Site(
        is_default_site=True
    )
    site.hostname = public.hostname or "localhost"
    site.port = port
    site.root_page = home
    site.site_name = settings.WAGTAIL_SITE_NAME
    site.save()
