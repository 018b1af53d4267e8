"""POST /api/digits/predict, POST /api/expression and /digits through a real Flask test client."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from handwriting import digit_image, draw_strokes, expression_strokes

from app.web import create_app
from core.settings import Settings
from digits.recognise import MAX_SYMBOLS
from digits.segment import MAX_POINTS, MAX_STROKES


def png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def client(random_settings):
    app = create_app(random_settings)
    app.testing = True
    return app.test_client()


def test_predict_with_an_upload(client):
    response = client.post(
        "/api/digits/predict",
        data={"image": (io.BytesIO(png(digit_image("3"))), "d.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"digit", "confidence", "probabilities", "inverted", "reason"}
    assert list(body["probabilities"]) == list("0123456789")
    assert abs(sum(body["probabilities"].values()) - 1) < 1e-3


def test_predict_with_a_raw_body_and_the_fc_model(client):
    response = client.post(
        "/api/digits/predict?model=fc", data=png(digit_image("3", ink=255, paper=0)), content_type="image/png"
    )
    assert response.status_code == 200 and response.get_json()["inverted"] is True


def test_predict_blank(client):
    from PIL import Image

    body = client.post(
        "/api/digits/predict", data=png(Image.new("L", (64, 64), 255)), content_type="image/png"
    ).get_json()
    assert body["digit"] is None and body["reason"] == "blank"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        (dict(json={"x": 1}), "missing_image"),
        (dict(data=b"", content_type="image/png"), "missing_image"),
        (dict(data=b"garbage", content_type="image/png"), "bad_image"),
        (
            dict(data={"image": (io.BytesIO(b""), "e.png")}, content_type="multipart/form-data"),
            "missing_image",
        ),
    ],
)
def test_predict_errors(client, kwargs, code):
    response = client.post("/api/digits/predict", **kwargs)
    assert response.status_code == 400
    assert response.get_json()["error"] == code and response.get_json()["message"]


def test_predict_rejects_unknown_model(client):
    response = client.post(
        "/api/digits/predict?model=vit", data=png(digit_image("1")), content_type="image/png"
    )
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_field"


@pytest.fixture
def shipped_client(shipped_models, tmp_path):
    """With the trained weights, for tests that need to know what is read."""
    app = create_app(replace(Settings.from_env(), data_dir=tmp_path / "data", models_dir=shipped_models))
    app.testing = True
    return app.test_client()


def symbols_are_well_formed(symbols: list[dict]) -> bool:
    return all(set(s) == {"char", "confidence", "box"} and len(s["box"]) == 4 for s in symbols)


@pytest.mark.parametrize(
    ("request_kwargs", "expression", "value"),
    [
        (dict(json={"strokes": expression_strokes("(3+2)÷2=")}), "(3+2)÷2=", "5/2"),
        (
            dict(
                data={"image": (io.BytesIO(png(draw_strokes(expression_strokes("12×3")))), "e.png")},
                content_type="multipart/form-data",
            ),
            "12×3",
            "36",
        ),
    ],
    ids=["strokes", "image"],
)
def test_expression_answers(shipped_client, request_kwargs, expression, value):
    response = shipped_client.post("/api/expression", **request_kwargs)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"expression", "value", "decimal", "symbols"}
    assert (body["expression"], body["value"]) == (expression, value)
    assert len(body["symbols"]) == len(expression) and symbols_are_well_formed(body["symbols"])


def test_expression_explains_with_what_was_read(shipped_client):
    response = shipped_client.post("/api/expression", json={"strokes": expression_strokes("5÷0")})
    assert response.status_code == 400
    body = response.get_json()
    assert (body["error"], body["expression"]) == ("division_by_zero", "5÷0") and body["message"]
    assert [s["char"] for s in body["symbols"]] == ["5", "÷", "0"] and symbols_are_well_formed(
        body["symbols"]
    )


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({}, "missing_field"),
        ([1, 2], "missing_field"),
        ({"strokes": []}, "empty"),
        ({"strokes": [[["a", 1]]]}, "invalid_strokes"),
        ({"strokes": [[[0, 0]]] * (MAX_STROKES + 1)}, "too_many_strokes"),
        ({"strokes": [[[0, 0]] * (MAX_POINTS + 1)]}, "too_many_points"),
    ],
)
def test_expression_errors(client, payload, code):
    response = client.post("/api/expression", json=payload)
    assert response.status_code == 400 and response.get_json()["error"] == code


def test_too_many_symbols_is_a_clear_400(client):
    dashes = [[[40.0 * k, 0.0], [40.0 * k + 20, 0.0]] for k in range(MAX_SYMBOLS + 1)]  # one symbol each
    response = client.post("/api/expression", json={"strokes": dashes})
    assert response.status_code == 400
    assert (
        response.get_json()["error"] == "too_many_symbols"
        and str(MAX_SYMBOLS) in response.get_json()["message"]
    )


def test_expression_needs_a_body(client):
    response = client.post("/api/expression", data="not json", content_type="text/plain")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


def test_missing_weights_is_a_503(tmp_path):
    app = create_app(replace(Settings.from_env(), data_dir=tmp_path, models_dir=tmp_path / "none"))
    response = app.test_client().post(
        "/api/digits/predict", data=png(digit_image("1")), content_type="image/png"
    )
    assert response.status_code == 503 and "couplet digits train" in response.get_json()["message"]


def test_canvas_page(client):
    response = client.get("/digits")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "<canvas" in html and "/api/expression" in html and "/api/digits/predict" in html
