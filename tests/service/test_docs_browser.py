"""/docs renders in headless Chromium (Debian's) with every request kept on the app: no CDN needed."""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from couplet.web import create_app

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (apt-get install chromium)")


def test_docs_page_renders_offline(make_site):
    from playwright.sync_api import sync_playwright

    server = make_server("127.0.0.1", 0, create_app(make_site()), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    elsewhere: list[str] = []

    def only_local(route) -> None:
        if urlsplit(route.request.url).netloc == urlsplit(url).netloc:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page()
            page.set_default_timeout(60_000)
            page.route("**/*", only_local)
            page.goto(url + "/docs")
            page.wait_for_selector(".opblock-summary-path[data-path='/api/couplet']")
            assert "联景联情 API" in page.inner_text(".info .title")
            browser.close()
    finally:
        server.shutdown()
    assert elsewhere == []
