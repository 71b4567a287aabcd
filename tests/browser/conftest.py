"""Browser tests: Playwright driving Debian's Chromium against the live test server."""

from __future__ import annotations

import os
import shutil
import threading

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls made by
# fixtures in the same thread are synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium introuvable : `make test` l'installe (paquet Debian chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# On SQLite the live server shares the test's in-memory connection (Django's
# LiveServerThread): the server's requests and the jobs a test runs in its own thread must
# not use it at the same time, or a query reads garbage (a get() by id returning two rows, a
# session not found). The server handles a request under this lock; `run_jobs` takes it.
APP_LOCK = threading.RLock()


@pytest.fixture(autouse=True)
def _requests_one_at_a_time_with_the_test(monkeypatch):
    from django.core.handlers.wsgi import WSGIHandler

    handle = WSGIHandler.__call__

    def serialised(self, environ, start_response):
        with APP_LOCK:
            return handle(self, environ, start_response)

    monkeypatch.setattr(WSGIHandler, "__call__", serialised)


def run_jobs(rounds: int = 1) -> int:
    """Run the pending background jobs in the test's thread, never during a request."""
    from opendui.jobs.worker import run_pending

    with APP_LOCK:
        return sum(run_pending() for _ in range(rounds))


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def login_with_keyboard(page, email: str, password: str) -> None:
    """Log in using only the keyboard, as a screen-reader or keyboard user would."""
    page.goto("/connexion/")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # e-mail (autofocus may already be there)
    page.focus("#id_email")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/connexion/" not in url)


def run_jobs_while_away(page, rounds: int = 4) -> int:
    """`run_jobs` while the page is on about:blank, then back where it was: the page shows
    what the jobs did, and none of its own requests waits on them."""
    url = page.url
    page.goto("about:blank")
    done = run_jobs(rounds)
    page.goto(url)
    return done
