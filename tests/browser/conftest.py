"""A real `coe serve --demo` on a free port, driven by Debian's Chromium through Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import fresh_postgres_database, postgres_test_url, worker_suffix

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DEMO_PASSWORD = "browser demo password"

if CHROMIUM is None:
    if os.environ.get("COE_REQUIRE_BROWSER"):
        raise RuntimeError("COE_REQUIRE_BROWSER is set but no Chromium is installed (apt-get install -y chromium).")
    pytest.skip("Chromium is not installed (apt-get install -y chromium); browser tests need it.",
                allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402 - only once Chromium is known to exist


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _browser_database(tmp: Path) -> str:
    """A database of its own, so the server's demo data never meets the other tests' cleanup."""
    url = postgres_test_url()
    if not url:
        return f"sqlite:///{tmp / 'browser.sqlite3'}"
    return fresh_postgres_database(url, worker_suffix("browser"))


LIVE_DATABASE: dict[str, str] = {}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("live")
    port = _free_port()
    LIVE_DATABASE["url"] = _browser_database(tmp)
    env = {
        **os.environ,
        "COE_DATABASE_URL": LIVE_DATABASE["url"],
        "COE_INDEX_DIR": str(tmp / "index"),
        "COE_INSTANCE_PATH": str(tmp / "instance"),
        "COE_DEMO_PASSWORD": DEMO_PASSWORD,
    }
    log = open(tmp / "server.log", "w")
    server = subprocess.Popen([sys.executable, "-c", "from coe.cli import main; main()", "serve", "--demo",
                               "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            log.close()
            pytest.fail(f"coe serve --demo did not start:\n{(tmp / 'server.log').read_text()}")
        time.sleep(0.3)
    yield base
    server.terminate()
    server.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, tmp_path):
    context = browser.new_context(base_url=live_server, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in(page, email: str, password: str = DEMO_PASSWORD):
    """Sign ``page`` in through the sign-in form, as a person would; return it, on the home page."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    return page


def second_person(browser, live_server, email: str):
    """Another person, in a browser context of their own, signed in."""
    page = browser.new_context(base_url=live_server).new_page()
    page.set_default_timeout(15_000)
    return sign_in(page, email)


@pytest.fixture
def login(page):
    return lambda email, password=DEMO_PASSWORD: sign_in(page, email, password)


@pytest.fixture
def person_id(live_server):
    """Look up a demo person's id in the live server's database."""
    from sqlalchemy import create_engine, text

    from coe.config import database_url

    engine = create_engine(database_url("", {"COE_DATABASE_URL": LIVE_DATABASE["url"]}))

    def lookup(email: str) -> int:
        with engine.connect() as conn:
            return conn.execute(text("SELECT id FROM person WHERE email = :email"), {"email": email}).scalar_one()

    yield lookup
    engine.dispose()
