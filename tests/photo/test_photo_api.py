"""The photo API through the real Flask test client: the shipped generator, the local tagger, the keyword
matcher over the fixture corpus, real files in the result store."""

from __future__ import annotations

import io
import os
import struct
import time
import zlib
from dataclasses import replace

import numpy as np
import pytest
from photos import PAIRS, encode, scene
from PIL import Image

from app.web import create_app
from couplet.rules import check
from photo.results import get_result_store, new_id
from vision.tags import KINDS, Tag

UPPERS = {u for u, _ in PAIRS}


def upload(client, data: bytes, name: str = "photo.jpg", mimetype: str = "image/jpeg"):
    return client.post(
        "/api/photo", data={"file": (io.BytesIO(data), name, mimetype)}, content_type="multipart/form-data"
    )


def red_share_by_column(data: bytes) -> tuple[Image.Image, np.ndarray]:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    a = np.asarray(image).astype(int)
    red = (a[..., 0] > 140) & (a[..., 1] < 70) & (a[..., 2] < 70)
    return image, red.mean(axis=0)


@pytest.fixture(scope="module")
def session(app, scene_jpeg):
    response = upload(app.test_client(), scene_jpeg)
    assert response.status_code == 200, response.get_json()
    return response


def test_upload_answers_tags_three_candidates_and_a_rendered_image(client, session):
    body = session.get_json()
    assert set(body) == {"id", "tags", "candidates", "image_url"}
    assert body["tags"] and all(
        t["name"] and 0 < t["confidence"] <= 1 and t["source"] == "local" for t in body["tags"]
    )
    assert len(body["candidates"]) == 3
    horizontals = set()
    for c in body["candidates"]:
        assert set(c) == {"upper", "lower", "horizontal"}
        assert c["upper"] in UPPERS and len(c["horizontal"]) == 4
        rules = check(c["upper"], c["lower"])
        assert all(
            rules[name].passed for name in ("equal_length", "punctuation", "no_reuse", "repeats_mirrored")
        )
        horizontals.add(c["horizontal"])
    assert len(horizontals) == 3
    stages = [part.split(";")[0] for part in session.headers["Server-Timing"].split(", ")]
    assert sorted(stages) == sorted(
        ["decode", "tag", "match", "generate", "horizontal", "render", "encode", "store"]
    )

    image = client.get(body["image_url"])
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    picture, red = red_share_by_column(image.data)
    assert max(picture.size) <= 1600
    # landscape: red scrolls down the left and right edges of the photo
    assert red[: picture.width // 6].max() > 0.5 and red[-picture.width // 6 :].max() > 0.5


def test_tags_say_their_kind_in_the_answer_and_in_the_session_record(client, site_settings):
    night = Image.new("RGB", (480, 360), (18, 20, 38))
    night.paste((30, 25, 20), (0, 240, 480, 360))  # dark ground under a dark sky: the tagger says 夜
    body = upload(client, encode(night, quality=90)).get_json()
    kinds = {t["name"]: t["kind"] for t in body["tags"]}
    assert set(kinds.values()) <= set(KINDS) and kinds.get("夜") == "mood"
    meta = get_result_store(site_settings).get_meta(body["id"])
    assert [Tag(**t) for t in meta["tags"]] and {t["name"]: t["kind"] for t in meta["tags"]} == kinds
    older = {k: v for k, v in meta["tags"][0].items() if k != "kind"}  # a session stored before kinds existed
    assert Tag(**older).kind == "object"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_accepted(client, fmt):
    response = upload(client, encode(scene((300, 400)), fmt), f"photo.{fmt.lower()}", f"image/{fmt.lower()}")
    assert response.status_code == 200, response.get_json()
    assert client.get(response.get_json()["image_url"]).status_code == 200


def test_a_12_megapixel_photo_comes_back_at_most_1600_pixels(client):
    response = upload(client, encode(scene((4000, 3000)), quality=85))
    assert response.status_code == 200
    with Image.open(io.BytesIO(client.get(response.get_json()["image_url"]).data)) as image:
        assert max(image.size) == 1600  # laid on the photo (4:3) or framed beside it (a close-up)


def test_exif_orientation_is_applied(client):
    # An upright 300×600 portrait with a green band along its top, stored as a camera stores it with
    # orientation 6 ("rotate 90° clockwise to view"): turned 90° counter-clockwise, 600×300.
    stored = scene((300, 600), marker=True).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    response = upload(client, encode(stored, quality=95, exif=exif.tobytes()))
    assert response.status_code == 200
    picture, _ = red_share_by_column(client.get(response.get_json()["image_url"]).data)
    a = np.asarray(picture).astype(int)
    green = (a[..., 1] > 200) & (a[..., 0] < 80) & (a[..., 2] < 80)
    ys, xs = np.nonzero(green)
    # Upright it is a portrait, framed between the scrolls, with the band across the top of the photo.
    assert picture.height == 1600 and picture.width < picture.height
    lake_rows = np.flatnonzero((np.abs(a - (40, 90, 150)).sum(axis=2) < 40).any(axis=1))
    assert len(ys) > 0 and ys.max() < lake_rows.min() - 100
    assert xs.max() - xs.min() > 3 * (ys.max() - ys.min())  # a horizontal band, not a vertical one


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"GIF89a" + b"\x00" * 100, 415, "unsupported_media_type"),
        (b"hello, not an image", 415, "unsupported_media_type"),
        (b"", 415, "unsupported_media_type"),
        (b"\xff\xd8\xff\xe0" + os.urandom(2000), 400, "invalid_image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, 400, "invalid_image"),
    ],
)
def test_bad_uploads_are_4xx_json(client, data, status, code):
    response = upload(client, data)
    assert response.status_code == status
    assert response.get_json()["error"] == code and response.get_json()["message"]


def test_a_truncated_jpeg_is_400(client):
    data = encode(scene((800, 600)), quality=95)
    response = upload(client, data[: len(data) // 2])
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_image"
    assert "truncated" in response.get_json()["message"] or "decoded" in response.get_json()["message"]


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def test_a_decompression_bomb_is_400(client):
    # A 40000×40000 PNG header (1.6 gigapixels) in a few dozen bytes.
    header = struct.pack(">IIBBBBB", 40000, 40000, 8, 2, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )
    response = upload(client, bomb, "bomb.png", "image/png")
    assert response.status_code == 400
    assert "too many pixels" in response.get_json()["message"]


def test_over_10_mb_is_413_json(client):
    response = upload(client, b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024))
    assert response.status_code == 413
    assert response.get_json()["error"] == "request_entity_too_large"


def test_a_missing_file_field_is_400(client):
    response = client.post(
        "/api/photo", data={"photo": (io.BytesIO(b"x"), "a.jpg")}, content_type="multipart/form-data"
    )
    assert response.status_code == 400 and response.get_json()["error"] == "missing_field"
    assert "file" in response.get_json()["message"]


def test_render_each_candidate_by_its_1_based_number(client, session, site_settings):
    body = session.get_json()
    urls = set()
    for number in (1, 2, 3):
        response = client.post(f"/api/photo/{body['id']}/render", json={"candidate": number})
        assert response.status_code == 200
        url = response.get_json()["image_url"]
        result_id = url.rsplit("/", 1)[1].removesuffix(".jpg")
        meta = get_result_store(site_settings).get_meta(result_id)
        assert meta["couplet"] == body["candidates"][number - 1]
        assert client.get(url).status_code == 200
        urls.add(url)
    assert len(urls) == 3 and body["image_url"] not in urls  # every render is a new, unguessable id


@pytest.mark.parametrize(
    "payload",
    [{"candidate": 0}, {"candidate": 4}, {"candidate": "1"}, {"candidate": True}, {"candidate": 1.0}],
)
def test_a_bad_candidate_number_is_400(client, session, payload):
    response = client.post(f"/api/photo/{session.get_json()['id']}/render", json=payload)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_field"


def test_render_the_users_own_couplet(client, session, site_settings):
    edit = {"upper": "春风化雨千山绿", "lower": "旭日临窗万户红", "horizontal": "春满人间"}
    response = client.post(f"/api/photo/{session.get_json()['id']}/render", json=edit)
    assert response.status_code == 200
    result_id = response.get_json()["image_url"].rsplit("/", 1)[1].removesuffix(".jpg")
    assert get_result_store(site_settings).get_meta(result_id)["couplet"] == edit
    half_width = {"upper": "春来春去,花开花落", "lower": "秋收秋藏,月缺月圆", "horizontal": " 四季平安 "}
    assert client.post(f"/api/photo/{session.get_json()['id']}/render", json=half_width).status_code == 200


@pytest.mark.parametrize(
    ("edit", "code", "names"),
    [
        (
            {"upper": "春风化雨千山绿", "lower": "旭日临窗万户", "horizontal": "春满人间"},
            "broken_rule",
            "equal_length",
        ),
        (
            {"upper": "春风化雨，千山绿", "lower": "旭日临窗万，户红", "horizontal": "春满人间"},
            "broken_rule",
            "punctuation",
        ),
        (
            {"upper": "春风化雨千山绿", "lower": "春日临窗万户红", "horizontal": "春满人间"},
            "broken_rule",
            "no_reuse",
        ),
        (
            {"upper": "春来春去", "lower": "花开叶落", "horizontal": "春满人间"},
            "broken_rule",
            "repeats_mirrored",
        ),
        (
            {"upper": "春风化雨千山绿", "lower": "sunrise", "horizontal": "春满人间"},
            "invalid_lower",
            "lower line",
        ),
        (
            {"upper": "", "lower": "旭日临窗万户红", "horizontal": "春满人间"},
            "invalid_upper",
            "upper line is empty",
        ),
        (
            {"upper": "这是坏词啊", "lower": "旭日临窗万", "horizontal": "春满人间"},
            "invalid_upper",
            "blocked word",
        ),
        (
            {"upper": "春风化雨千山绿", "lower": "旭日临窗万户红", "horizontal": "春满人"},
            "invalid_horizontal",
            "4",
        ),
        (
            {"upper": "春风化雨千山绿", "lower": "旭日临窗万户红", "horizontal": "一个坏词"},
            "invalid_horizontal",
            "blocked",
        ),
        ({"upper": "春风化雨千山绿", "lower": "旭日临窗万户红"}, "missing_field", "horizontal"),
        ({"upper": "春风化雨千山绿", "lower": 7, "horizontal": "春满人间"}, "invalid_field", "lower"),
    ],
)
def test_an_edit_that_breaks_a_rule_is_400_naming_it(client, session, edit, code, names):
    response = client.post(f"/api/photo/{session.get_json()['id']}/render", json=edit)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == code and names in body["message"]


def test_render_needs_a_json_object(client, session):
    url = f"/api/photo/{session.get_json()['id']}/render"
    response = client.post(url, data="candidate=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    response = client.post(url, data="[1]", content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_json"


def test_regenerate_keeps_the_uppers_and_brings_new_lower_lines(client, app, scene_jpeg, site_settings):
    first = upload(client, scene_jpeg).get_json()
    response = client.post(f"/api/photo/{first['id']}/regenerate")
    assert response.status_code == 200
    again = response.get_json()
    assert again["id"] == first["id"]
    assert [c["upper"] for c in again["candidates"]] == [c["upper"] for c in first["candidates"]]
    changed = sum(
        a["lower"] != b["lower"] for a, b in zip(again["candidates"], first["candidates"], strict=True)
    )
    assert changed >= 2
    for c in again["candidates"]:
        rules = check(c["upper"], c["lower"])
        assert rules["equal_length"].passed and rules["no_reuse"].passed
    # The session keeps the new candidates: rendering number 1 draws the regenerated one.
    url = client.post(f"/api/photo/{first['id']}/render", json={"candidate": 1}).get_json()["image_url"]
    meta = get_result_store(site_settings).get_meta(url.rsplit("/", 1)[1].removesuffix(".jpg"))
    assert meta["couplet"] == again["candidates"][0]


@pytest.mark.parametrize("photo_id", [None, "..%2F..%2Fetc%2Fpasswd", "short", "x" * 200])
def test_unknown_or_malformed_ids_are_404_json(client, photo_id):
    photo_id = photo_id or new_id()
    for response in (
        client.post(f"/api/photo/{photo_id}/render", json={"candidate": 1}),
        client.post(f"/api/photo/{photo_id}/regenerate"),
        client.get(f"/api/results/{photo_id}.jpg"),
    ):
        assert response.status_code == 404
        assert response.get_json()["error"] in ("unknown_photo", "not_found")


def test_a_photo_id_is_not_a_result(client, session):
    assert client.get(f"/api/results/{session.get_json()['id']}.jpg").status_code == 404


def test_expired_photos_and_results_are_404(client, scene_jpeg, site_settings):
    body = upload(client, scene_jpeg).get_json()
    result_id = body["image_url"].rsplit("/", 1)[1].removesuffix(".jpg")
    then = time.time() - site_settings.result_ttl - 1
    for path in site_settings.results_dir.iterdir():
        if path.stem in (body["id"], result_id):
            os.utime(path, (then, then))
    assert client.get(body["image_url"]).status_code == 404
    assert client.post(f"/api/photo/{body['id']}/render", json={"candidate": 1}).status_code == 404


def test_tagger_not_configured_is_503(site_settings, scene_jpeg):
    app = create_app(replace(site_settings, tagger="azure", azure_endpoint=None, azure_key=None))
    response = upload(app.test_client(), scene_jpeg)
    assert response.status_code == 503 and response.get_json()["error"] == "tagger_not_configured"


def test_tagger_down_is_502(site_settings, scene_jpeg):
    # A port nothing listens on: the Azure client cannot connect, and no local tagger follows it.
    app = create_app(
        replace(
            site_settings,
            tagger="azure",
            azure_endpoint="http://127.0.0.1:9",
            azure_key="k",
            tagger_timeout=2.0,
        )
    )
    response = upload(app.test_client(), scene_jpeg)
    assert response.status_code == 502 and response.get_json()["error"] == "tagger_failed"


def test_the_openapi_document_describes_the_photo_api(client):
    spec = client.get("/openapi.json").get_json()
    paths = spec["paths"]
    assert {
        "/api/photo",
        "/api/photo/{session_id}/render",
        "/api/photo/{session_id}/regenerate",
        "/api/results/{result_id}.jpg",
    } <= set(paths)
    assert "multipart/form-data" in paths["/api/photo"]["post"]["requestBody"]["content"]
    assert "1-based" in str(paths["/api/photo/{session_id}/render"]["post"])
    assert "image/jpeg" in paths["/api/results/{result_id}.jpg"]["get"]["responses"]["200"]["content"]
