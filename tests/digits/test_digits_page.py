"""The /digits canvas page in headless Chromium (Debian's) against a live server with the shipped weights:
a person draws with the mouse and reads the answer."""

from __future__ import annotations

from dataclasses import replace

import pytest
from browser import chromium, live_server, needs_chromium
from handwriting import SHIPPED, expression_strokes, shipped

from app.web import create_app
from core.settings import Settings

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def live_url(tmp_path_factory):
    for kind in ("cnn", "symbols"):
        shipped(kind)
    settings = replace(
        Settings.from_env(), data_dir=tmp_path_factory.mktemp("data"), models_dir=SHIPPED.parent
    )
    with live_server(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
def page(live_url):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 900, "height": 700})
        page.set_default_timeout(60_000)
        yield page


def draw(page, strokes) -> None:
    """Draw canvas-coordinate strokes with the mouse, as a person would."""
    box = page.locator("#pad").bounding_box()
    width = page.eval_on_selector("#pad", "c => c.width")
    k = box["width"] / width
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * k, box["y"] + y * k)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * k, box["y"] + y * k)
        page.mouse.up()


def recognise(page) -> str:
    page.click("#go")
    page.wait_for_function("() => document.getElementById('answer').textContent.length > 0")
    return page.inner_text("#answer")


def test_an_expression_drawn_on_the_canvas_is_answered(page, live_url):
    page.goto(live_url + "/digits")
    draw(page, expression_strokes("(3+2)÷2=", height=110, gap=26, origin=(40, 60)))
    assert recognise(page) == "(3+2)÷2 = 5/2 ≈ 2.5"
    assert "%" in page.inner_text("#details")  # each symbol with its confidence


def test_a_digit_drawn_on_the_canvas_is_answered(page, live_url):
    page.goto(live_url + "/digits")
    page.check("input[name=mode][value=digit]")
    draw(page, expression_strokes("7", height=150, origin=(300, 45)))
    assert recognise(page) == "7"


def test_an_unfinished_expression_is_explained(page, live_url):
    page.goto(live_url + "/digits")
    draw(page, expression_strokes("8×", height=110, origin=(40, 60)))
    answer = recognise(page)
    assert page.get_attribute("#answer", "class") == "error"
    assert "number was expected" in answer and "read: 8×" in page.inner_text("#details")
