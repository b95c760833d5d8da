"""Requests per second of the release listing: ours against Wagtail's stock viewset.

Not part of the test run. Sets up a throwaway SQLite database in a temporary
folder, creates live releases (covers on a third of them, tags on half), then
times ``/api/v2/pages/?type=cms.ReleasePage`` (``cms.api.ReleasePagesAPIViewSet``)
against the same listing from Wagtail's ``PagesAPIViewSet`` mounted at
``/api/stock/`` (``bench/api_urls.py``), in-process with ``django.test.Client``,
in alternating rounds so that drift falls on both alike. Also prints the queries
one listing takes at 100, 1,000 and the full number of releases.

    .venv/bin/python bench/api_list.py [--pages 10000] [--seconds 10]
"""

import argparse
import gc
import io
import json
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
UNITS = 4
IMAGES = 12
ROUND_SECONDS = 0.5


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10_000, help="releases to create")
    parser.add_argument(
        "--seconds",
        type=float,
        default=10,
        help="time spent on each of the four variants (two listings, two viewsets)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return parser.parse_args()


def setup_django(var_dir):
    os.environ["RONGMEI_VAR_DIR"] = str(var_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "cms.settings.dev"
    # As in production: no query log kept in memory, no debug pages.
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ["LOG_LEVEL"] = "ERROR"
    for name in ("DATABASE_URL", "REDIS_URL", "MEDIA_ROOT", "STATIC_ROOT"):
        os.environ.pop(name, None)
    sys.path.insert(0, str(REPO))

    import django

    django.setup()
    from django.conf import settings

    settings.ROOT_URLCONF = "bench.api_urls"

    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def make_images():
    from django.core.files.images import ImageFile
    from PIL import Image

    from cms.models import CreditedImage

    images = []
    for n in range(IMAGES):
        buffer = io.BytesIO()
        Image.new("RGB", (1200, 800), (20 * n % 255, 90, 160)).save(buffer, "JPEG")
        images.append(
            CreditedImage.objects.create(
                title="封面%d" % n,
                credit="摄影：张三",
                file=ImageFile(buffer, name="cover%d.jpg" % n),
            )
        )
    return images


def make_units():
    from cms.models import Unit

    return [
        Unit.objects.create(name="单位%d" % n, code="unit%d" % n) for n in range(UNITS)
    ]


def add_releases(count, start, units, images):
    """Create ``count`` live releases, spread over the units' sections.

    Page rows are bulk-created at paths computed the way treebeard computes them;
    release rows are inserted into their own table as ``Model.save`` does for a
    child model. No revisions; one publish log entry each, dated in the past.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.utils import timezone
    from taggit.models import Tag
    from wagtail.models import Locale, Page, PageLogEntry

    from cms.models import ReleasePage, ReleasePageTag, UnitIndexPage

    content_type = ContentType.objects.get_for_model(ReleasePage)
    locale = Locale.get_default()
    tags = [
        Tag.objects.get_or_create(name=name)[0] for name in ("共同", "专题", "通知")
    ]
    child_fields = ReleasePage._meta.local_concrete_fields
    body = [
        ("paragraph", "<p>正文第一段，介绍活动的时间、地点和参加人员。</p>"),
        ("heading", "小标题"),
        (
            "paragraph",
            "<p>正文第二段，<b>加粗</b>和<a href='https://example.cn'>链接</a>。</p>",
        ),
        ("quote", {"text": "引用的一句话。", "attribution": "某某"}),
    ]
    base_time = timezone.now() - timedelta(days=30)

    with transaction.atomic():
        for index, unit in enumerate(units):
            section = UnitIndexPage.objects.get(unit=unit)
            numbers = range(start + index, start + count, len(units))
            pages = []
            for step, n in enumerate(numbers, start=section.numchild + 1):
                published = base_time + timedelta(seconds=n)
                pages.append(
                    Page(
                        title="稿件%d" % n,
                        draft_title="稿件%d" % n,
                        slug="release-%d" % n,
                        path=Page._get_path(section.path, section.depth + 1, step),
                        depth=section.depth + 1,
                        numchild=0,
                        url_path="%srelease-%d/" % (section.url_path, n),
                        content_type=content_type,
                        locale=locale,
                        live=True,
                        has_unpublished_changes=False,
                        first_published_at=published,
                        last_published_at=published,
                    )
                )
            Page.objects.bulk_create(pages, batch_size=500)
            Page.objects.filter(pk=section.pk).update(
                numchild=section.numchild + len(pages)
            )
            releases = [
                ReleasePage(
                    page_ptr_id=page.pk,
                    unit_id=unit.pk,
                    subtitle="副标题%d" % n,
                    digest="摘要：第%d篇稿件的简要内容。" % n,
                    author="文／张三",
                    cover_image=images[n % len(images)] if n % 3 == 0 else None,
                    body=body,
                    importance="major" if n % 10 == 0 else "normal",
                )
                for page, n in zip(pages, numbers, strict=True)
            ]
            for batch in range(0, len(releases), 500):
                ReleasePage._base_manager._insert(
                    releases[batch : batch + 500], fields=child_fields
                )
            ReleasePageTag.objects.bulk_create(
                [
                    ReleasePageTag(content_object_id=page.pk, tag=tag)
                    for page, n in zip(pages, numbers, strict=True)
                    if n % 2 == 0
                    for tag in tags[: 1 + n % len(tags)]
                ],
                batch_size=500,
            )
            PageLogEntry.objects.bulk_create(
                [
                    PageLogEntry(
                        page_id=page.pk,
                        content_type=content_type,
                        label=page.title,
                        action="wagtail.publish",
                        timestamp=page.first_published_at,
                        content_changed=True,
                    )
                    for page in pages
                ],
                batch_size=500,
            )


def check(response):
    if response.status_code != 200:
        raise SystemExit(
            "%s answered %d: %s"
            % (
                response.request["PATH_INFO"],
                response.status_code,
                response.content[:500],
            )
        )


def count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # the first request may create renditions
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    check(response)
    return len(queries)


def same_listing(client, ours_url, stock_url):
    """Whether both answers hold the same items with the same fields and values."""
    ours = client.get(ours_url).content
    stock = client.get(stock_url).content.replace(b"/api/stock/", b"/api/v2/")
    return json.loads(ours) == json.loads(stock)


def requests_per_second(client, url, seconds):
    """Send requests for ``url`` for about ``seconds``; return (requests, elapsed)."""
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        response = client.get(url)
        count += 1
        now = time.perf_counter()
        if now >= deadline:
            break
    check(response)
    return count, now - started


def compare(client, ours_url, stock_url, seconds):
    """Alternate the two in short rounds, each first in every other round.

    Return requests per second of each over all rounds, and the median of the
    ratios of the rounds (which other load on the machine disturbs less).
    """
    for _ in range(5):
        client.get(ours_url)
        client.get(stock_url)
    rounds = max(2, round(seconds / ROUND_SECONDS))
    totals = {ours_url: [0, 0.0], stock_url: [0, 0.0]}
    ratios = []
    for round_number in range(rounds):
        order = [ours_url, stock_url]
        if round_number % 2:
            order.reverse()
        rates = {}
        for url in order:
            gc.collect()
            count, elapsed = requests_per_second(client, url, ROUND_SECONDS)
            totals[url][0] += count
            totals[url][1] += elapsed
            rates[url] = count / elapsed
        ratios.append(rates[ours_url] / rates[stock_url])
    ours = totals[ours_url][0] / totals[ours_url][1]
    stock = totals[stock_url][0] / totals[stock_url][1]
    return ours, stock, statistics.median(ratios), rounds


def main():
    args = parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="rongmei-bench-"))
    started = time.perf_counter()
    try:
        setup_django(var_dir)
        run(args, started)
    finally:
        if args.keep:
            print("kept", var_dir)
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


def run(args, started):
    import django
    import wagtail
    from django.test import Client

    from cms.models import ReleasePage

    print(
        "Python %s, Django %s, Wagtail %s, SQLite %s"
        % (
            platform.python_version(),
            django.get_version(),
            wagtail.__version__,
            sqlite3.sqlite_version,
        )
    )
    fields = ",".join(field.name for field in ReleasePage.api_fields)
    listings = {
        "default": "pages/?type=cms.ReleasePage",
        "all fields": "pages/?type=cms.ReleasePage&fields=" + fields,
    }
    client = Client()
    units = make_units()
    images = make_images()

    sizes = sorted({n for n in (100, 1_000, args.pages) if n <= args.pages})
    print("\nQueries per listing request (warm: renditions already made)")
    print("%8s  %-10s  %5s  %5s" % ("releases", "listing", "ours", "stock"))
    created = 0
    for size in sizes:
        step_started = time.perf_counter()
        add_releases(size - created, created, units, images)
        created = size
        if ReleasePage.objects.live().count() != size:
            raise SystemExit("expected %d live releases" % size)
        for name, listing in listings.items():
            print(
                "%8d  %-10s  %5d  %5d"
                % (
                    size,
                    name,
                    count_queries(client, "/api/v2/" + listing),
                    count_queries(client, "/api/stock/" + listing),
                )
            )
        print("          (created in %.1f s)" % (time.perf_counter() - step_started))

    print(
        "\nRequests per second at %d releases, rounds of %.1f s"
        % (created, ROUND_SECONDS)
    )
    print(
        "%-10s  %8s  %8s  %6s  %13s  %s"
        % ("listing", "ours", "stock", "ratio", "median ratio", "same output")
    )
    for name, listing in listings.items():
        ours_url, stock_url = "/api/v2/" + listing, "/api/stock/" + listing
        same = same_listing(client, ours_url, stock_url)
        ours, stock, median, rounds = compare(client, ours_url, stock_url, args.seconds)
        print(
            "%-10s  %8.1f  %8.1f  %5.2fx  %5.2fx of %3d  %s"
            % (name, ours, stock, ours / stock, median, rounds, "yes" if same else "NO")
        )
    print("\nGoal: ratio >= 0.95. Total run %.0f s." % (time.perf_counter() - started))


if __name__ == "__main__":
    main()
