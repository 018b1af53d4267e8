"""/docs renders in headless Chromium (Debian's) with every request kept on the app: no CDN needed."""

from __future__ import annotations

from urllib.parse import urlsplit

from browser import chromium, live_server, needs_chromium

from app.web import create_app

pytestmark = needs_chromium


def test_docs_page_renders_offline(make_site):
    elsewhere: list[str] = []
    with live_server(create_app(make_site())) as url, chromium() as browser:

        def only_local(route) -> None:
            if urlsplit(route.request.url).netloc == urlsplit(url).netloc:
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort()

        page = browser.new_page()
        page.set_default_timeout(60_000)
        page.route("**/*", only_local)
        page.goto(url + "/docs")
        page.wait_for_selector(".opblock-summary-path[data-path='/api/couplet']")
        assert "联景联情 API" in page.inner_text(".info .title")
    assert elsewhere == []
