"""Browser tests: the real app on a local port, driven in Debian's headless Chromium by Playwright.

Without Chromium they skip, saying why; with CRM_SMS_REQUIRE_BROWSER=1 (CI) they fail instead.
"""

import os
import shutil

import pytest

from tests.conftest import serving

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _chromium():
    return os.environ.get("CRM_SMS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "browser" in item.path.parts:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    executable = _chromium()
    if executable is None:
        reason = "Chromium is not installed (apt-get install chromium): browser tests skipped"
        if os.environ.get("CRM_SMS_REQUIRE_BROWSER") == "1":
            pytest.fail(reason.replace("skipped", "required"))
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(make_app):
    """The app (CSRF on, as in production) served on a free local port; yields its base URL."""
    with serving(make_app(WTF_CSRF_ENABLED=True, TESTING=False)) as url:
        yield url


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def log_in_as(page, make_user):
    def log_in(username, role, contact=None):
        make_user(username, role, contact=contact)
        page.goto("/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill("secret-pass")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/contacts**")

    return log_in


def settled(page):
    """Wait until htmx has processed what it last swapped in: an event on a new element before that is lost."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-added, .htmx-settling, .htmx-swapping, .htmx-request')"
    )
