"""The page tree's fixed top: one site whose root is the home page."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from wagtail.models import Locale, Page, Site


def ensure_home_page(using="default"):
    """Replace Wagtail's welcome page with our home page. Idempotent."""
    from .models import HomePage

    if HomePage.objects.using(using).exists():
        return HomePage.objects.using(using).first()
    root = Page.get_first_root_node()
    if root is None:
        return None
    page_type = ContentType.objects.get_for_model(Page)
    for welcome in root.get_children().filter(content_type=page_type, slug="home"):
        welcome.delete()
    Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    home = HomePage(title=settings.WAGTAIL_SITE_NAME, slug="home")
    root = Page.get_first_root_node()
    root.add_child(instance=home)
    home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost", port=80, root_page=home, is_default_site=True,
            site_name=settings.WAGTAIL_SITE_NAME,
        )  # fmt: skip
    else:
        site.root_page = home
        site.site_name = settings.WAGTAIL_SITE_NAME
        site.save()
    return home
