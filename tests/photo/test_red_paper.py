"""春联 on red paper, no photo: the drawing (photo/redpaper.py) and POST /api/couplet/render."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from couplet.rules import Couplet
from photo.redpaper import door, render_red_paper
from photo.results import get_result_store

GOOD = {"upper": "春风化雨千山绿", "lower": "旭日临窗万户红", "banner": "春满人间"}


def ink_share(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    """Share of the box in the light gold of the characters."""
    a = np.asarray(image.crop(box)).astype(int)
    return float(((a[..., 0] > 200) & (a[..., 1] > 195) & (a[..., 2] > 60) & (a[..., 2] < 180)).mean())


def test_the_couplet_hangs_beside_the_door_every_character_drawn(site_settings):
    out = render_red_paper(Couplet(GOOD["upper"], GOOD["lower"], GOOD["banner"]), site_settings)
    image, layout = out.image, out.layout
    assert layout.framed and layout.orientation == "portrait"
    # The upper line on the right, the lower line on the left, the 横批 above the door.
    assert layout.right_scroll[0] > layout.photo[2] and layout.left_scroll[2] < layout.photo[0]
    assert layout.banner[3] < layout.photo[1]
    for cells in (layout.upper_cells, layout.lower_cells, layout.banner_cells):
        assert all(ink_share(image, cell) > 0.05 for cell in cells)
    # Where a photo would be stands the door: mostly the dark lacquer, none of the scrolls' gold ink.
    left, top, right, bottom = layout.photo
    middle = np.asarray(image.crop((left, top + (bottom - top) // 2, right, bottom))).astype(int)
    assert (middle[..., 0] > middle[..., 1] + 60).mean() > 0.6
    assert ink_share(image, (left, top + (bottom - top) // 2, right, bottom)) < 0.01


def test_the_same_couplet_gives_the_same_picture(site_settings):
    couplet = Couplet("福满人间", "春回大地", "吉祥如意")
    first = np.asarray(render_red_paper(couplet, site_settings).image)
    again = np.asarray(render_red_paper(couplet, site_settings).image)
    assert np.array_equal(first, again)
    assert door.cache_info().currsize >= 1  # drawn once, kept


def test_render_answers_a_stored_jpeg_with_the_normalised_couplet(client, site_settings):
    response = client.post("/api/couplet/render", json={**GOOD, "banner": " 春满人间 "})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body == {**GOOD, "image_url": body["image_url"]}
    assert body["image_url"].startswith("/api/results/")
    image = client.get(body["image_url"])
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(image.data)).format == "JPEG"
    result_id = body["image_url"].rsplit("/", 1)[1].removesuffix(".jpg")
    meta = get_result_store(site_settings).get_meta(result_id)
    assert meta["photo"] is None
    assert meta["couplet"] == {"upper": GOOD["upper"], "lower": GOOD["lower"], "horizontal": GOOD["banner"]}
    # Every render is a new result.
    assert client.post("/api/couplet/render", json=GOOD).get_json()["image_url"] != body["image_url"]


@pytest.mark.parametrize(
    ("body", "code", "names"),
    [
        ({**GOOD, "upper": ""}, "invalid_upper", "empty"),
        ({**GOOD, "lower": "   "}, "invalid_lower", "empty"),
        ({**GOOD, "lower": "旭日临窗万户"}, "broken_rule", "equal_length"),
        ({**GOOD, "upper": "春" * 33, "lower": "秋" * 33}, "invalid_upper", "32"),
        ({**GOOD, "lower": "sunrise"}, "invalid_lower", "lower line"),
        ({**GOOD, "lower": "春日临窗万户红"}, "broken_rule", "no_reuse"),
        ({**GOOD, "banner": "春满"}, "invalid_horizontal", "4"),
        ({**GOOD, "banner": "spring"}, "invalid_horizontal", "4"),
        ({**GOOD, "banner": "一个坏词"}, "invalid_horizontal", "blocked"),
        ({"upper": GOOD["upper"], "lower": GOOD["lower"]}, "missing_field", "banner"),
        ({**GOOD, "upper": 7}, "invalid_field", "upper"),
    ],
)
def test_a_bad_couplet_is_400_naming_what_is_wrong(client, body, code, names):
    response = client.post("/api/couplet/render", json=body)
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["error"] == code and names in answer["message"], answer


def test_render_takes_json_only(client):
    response = client.post(
        "/api/couplet/render", data="upper=春", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415 and response.get_json()["error"] == "unsupported_media_type"
    response = client.post("/api/couplet/render", data="[1]", content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_json"


def test_the_openapi_document_describes_the_red_paper_render(client):
    operation = client.get("/openapi.json").get_json()["paths"]["/api/couplet/render"]["post"]
    schema = str(operation["requestBody"])
    assert "RedPaperIn" in schema
    assert {"200", "400", "415"} <= set(operation["responses"])
