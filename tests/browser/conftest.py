"""A real headless Chromium for the browser tests: Debian's, never a downloaded one.

Where /usr/bin/chromium is missing the tests are skipped, with the reason shown by
``-ra``; ``bash scripts/test.sh`` installs it when it can.
"""

import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser(live_server):
    """Chromium driven by Playwright's sync API, for one test.

    Playwright runs an event loop while it is started, and inside it Django hands
    out other database connection objects (asgiref's ``Local`` follows the
    context). So the browser starts after the live server has set up the test
    database and stops before the database is flushed; with a module-scoped
    browser, ``serialized_rollback`` silently restores nothing.
    """
    if not CHROMIUM.exists():
        pytest.skip(
            "Chromium not found at /usr/bin/chromium; install Debian's chromium package"
        )
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
        # Close what the test opened through those other connection objects:
        # left open, PostgreSQL refuses to drop the test database at the end.
        connections.close_all()


@pytest.fixture
def page(browser):
    """A fresh page as a user in mainland China sees it: zh-CN, a desktop screen."""
    context = browser.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1400, "height": 1000},
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shoot(page, tmp_path):
    """``shoot(name)`` saves a screenshot of the page as ``tmp_path/name.png``
    (pytest keeps the last runs' tmp_path folders) and returns its path."""

    def shoot(name):
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), animations="disabled")
        return path

    return shoot


@pytest.fixture
def one_request_at_a_time(live_server):
    """Serve one request at a time.

    With SQLite in memory, every request thread of the live server uses the same
    connection, so a page's icons, translations and pings, loaded in parallel,
    interleave their statements (“database table is locked”, a 400 for an
    interrupted session). The browser journeys are about the admin, not that.
    """
    httpd = live_server.thread.httpd
    app = httpd.get_app()
    lock = threading.Lock()

    def serial_app(environ, start_response):
        with lock:
            return app(environ, start_response)

    httpd.set_app(serial_app)
    yield
    httpd.set_app(app)
