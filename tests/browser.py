"""What the browser tests share: a live server for an app, and Debian's Chromium driven by Playwright.

Browser downloads do not work here, so Playwright is pointed at /usr/bin/chromium (run.sh installs it).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 375, "height": 667}
"""The viewport the phone page is designed for (an iPhone 6–8 and most small Android phones)."""
# Without the background-networking flags Chromium keeps dialling Google's hosts on a closed network.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (apt-get install chromium)"
)


@contextmanager
def live_server(app) -> Iterator[str]:
    """The app served on a free loopback port, in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@contextmanager
def chromium():
    """A headless Chromium browser (Playwright ``Browser``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def phone_page(browser, viewport: dict | None = None, scale: float = 2):
    """A new page in a fresh context that looks like a phone: touch, mobile viewport, a 60 s timeout."""
    context = browser.new_context(
        viewport=viewport or PHONE, device_scale_factor=scale, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(60_000)
    return page
