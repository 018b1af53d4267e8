"""The mobile page at / in headless Chromium (Debian's, never a downloaded one) against a live server."""

from __future__ import annotations

from browser import PHONE, needs_chromium

pytestmark = needs_chromium


def image_loaded(page) -> bool:
    return page.eval_on_selector("#result-image", "img => img.complete && img.naturalWidth > 0")


def test_upload_pick_edit_render_on_a_phone(page, live_url, photo_file):
    page.goto(live_url + "/")
    assert page.locator("#file").get_attribute("capture") == "environment"
    page.set_input_files("#file", str(photo_file))
    page.wait_for_selector("#tags li")
    assert page.locator("#tags li").count() >= 1
    assert page.locator("#candidates input[type=radio]").count() == 3
    page.wait_for_function(
        "() => { const i = document.getElementById('result-image');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    first = page.get_attribute("#result-image", "src")
    assert first.startswith("/api/results/") and page.get_attribute("#download", "href") == first
    # Nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Picking candidate 2 renders it.
    page.locator("#candidates input[value='2']").check()
    page.wait_for_function(f"() => document.getElementById('result-image').getAttribute('src') !== {first!r}")
    page.wait_for_function("() => document.getElementById('result-image').naturalWidth > 0")
    upper_2 = page.locator("#candidates li").nth(1).inner_text()
    assert page.input_value("#edit-upper") in upper_2

    # An edit that breaks a rule is refused with the rule's name; a good one renders.
    page.click("details.edit summary")
    page.fill("#edit-lower", "春")
    page.click("#render")
    page.wait_for_selector("#photo-status.error")
    assert "equal_length" in page.inner_text("#photo-status")
    page.fill("#edit-upper", "春风化雨千山绿")
    page.fill("#edit-lower", "旭日临窗万户红")
    page.fill("#edit-horizontal", "春满人间")
    before = page.get_attribute("#result-image", "src")
    page.click("#render")
    page.wait_for_function(
        f"() => document.getElementById('result-image').getAttribute('src') !== {before!r}"
    )
    page.wait_for_function("() => document.getElementById('result-image').naturalWidth > 0")
    assert not page.locator("#photo-status.error").count()

    # Regenerating brings new lower lines for the same upper lines, and draws the chosen one again.
    uppers = [page.locator("#candidates li").nth(i).inner_text().splitlines()[0] for i in range(3)]
    before = page.get_attribute("#result-image", "src")
    page.click("#regenerate")
    page.wait_for_function(
        f"() => document.getElementById('result-image').getAttribute('src') !== {before!r}"
    )
    assert [page.locator("#candidates li").nth(i).inner_text().splitlines()[0] for i in range(3)] == uppers
    assert image_loaded(page) or page.wait_for_function(
        "() => document.getElementById('result-image').naturalWidth > 0"
    )


def test_the_text_couplet_tab_still_works(page, live_url):
    page.goto(live_url + "/#text")
    assert page.locator("#photo").is_hidden() and page.locator("#text").is_visible()
    page.fill("#upper", "春风化雨千山绿")
    page.click("#text-form button")
    page.wait_for_selector("#text-candidates li")
    assert page.locator("#text-candidates li").count() == 3
    page.click("#tab-photo")
    assert page.locator("#photo").is_visible() and page.locator("#text").is_hidden()


def test_a_file_that_is_not_a_photo_shows_the_message(page, live_url, tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a photo")
    page.goto(live_url + "/")
    page.set_input_files("#file", str(bad))
    page.wait_for_selector("#photo-status.error")
    assert "JPEG" in page.inner_text("#photo-status")
