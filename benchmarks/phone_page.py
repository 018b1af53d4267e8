"""The phone page's pictures: the rendered examples it shows before the first upload, and screenshots of
each of its states at 375 px for the README.

    COUPLET_DATA_MIRROR=../shared/data .venv/bin/python benchmarks/phone_page.py examples
    COUPLET_DATA_MIRROR=../shared/data .venv/bin/python benchmarks/phone_page.py screenshots

Both run the real app on the real data (COUPLET_DATA_DIR: the prepared corpus, the corpus store, the
matcher's index; the shipped models). `examples` sends two photos of the mirror (Kodak suite, free to
use) through POST /api/photo and one 春联 through POST /api/couplet/render, and keeps the JPEGs the app
drew (the first candidate; another run draws other lines), shrunk, in app/static/examples/ with
examples.json (the page reads the couplets from it).
`screenshots` serves the app on loopback, drives Debian's Chromium through the page as a person would
and writes docs/screenshots/*.png (256 colours, so each stays small). For the progress state the
server holds POST /api/photo for a few seconds: on loopback the answer comes too fast to see it.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

# The app imports the `digits` package, which benchmarks/digits.py would shadow while this folder is on
# sys.path (it is: the script's own folder comes first).
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.append(str(HERE.parent / "tests"))  # the browser helpers the page's tests use

from PIL import Image

from app.web import create_app
from core.settings import PROJECT_ROOT, Settings
from photo.horizontal import pick_horizontals

EXAMPLES_DIR = PROJECT_ROOT / "app" / "static" / "examples"
SHOTS_DIR = PROJECT_ROOT / "docs" / "screenshots"
EXAMPLE_SIDE = 720
EXAMPLE_MAX_BYTES = 120_000
SHOT_MAX_BYTES = 150_000
PHOTOS = ["kodak21_lighthouse_rocks.jpg", "kodak16_tropical_sea_island.jpg"]  # Kodak suite: free to use
SPRING_UPPER = "春回大地千山秀"  # the red-paper example's upper line while the app cannot write one
SCREEN = {"width": 375, "height": 740}
HOLD_SECONDS = 4.0
EXAMPLES_LOADED = (
    "() => [...document.querySelectorAll('#example-list img')].every(i => i.complete && i.naturalWidth > 0)"
)


def mirror_photo(name: str) -> Path:
    mirror = os.environ.get("COUPLET_DATA_MIRROR")
    if not mirror:
        sys.exit("set COUPLET_DATA_MIRROR: the example photos come from the data mirror's images/scenes/")
    return Path(mirror) / "images" / "scenes" / name


def app_client():
    app = create_app(Settings.from_env())
    app.testing = True
    return app, app.test_client()


def check(response) -> dict:
    if response.status_code != 200:
        sys.exit(f"{response.request.path}: {response.status_code} {response.get_data(as_text=True)[:300]}")
    return response.get_json()


def spring_couplet(app, client) -> dict:
    """A 春节 couplet written by the app (POST /api/couplet/write) when it can; else SPRING_UPPER with the
    lower line the generator writes for it and the 横批 the photo pipeline would pick."""
    response = client.post("/api/couplet/write", json={"theme": "春节", "length": 7, "n": 1})
    if response.status_code == 200 and response.get_json()["couplets"]:
        c = response.get_json()["couplets"][0]
        return {"upper": c["upper"], "lower": c["lower"], "banner": c["banner"]}
    lower = check(client.post("/api/couplet", json={"upper": SPRING_UPPER, "n": 1}))["candidates"][0]["lower"]
    [banner] = pick_horizontals([], [(SPRING_UPPER, lower)], app.config["SETTINGS"])
    return {"upper": SPRING_UPPER, "lower": lower, "banner": banner}


def save_small(jpeg: bytes, path: Path) -> int:
    image = Image.open(io.BytesIO(jpeg))
    image.thumbnail((EXAMPLE_SIDE, EXAMPLE_SIDE), Image.Resampling.LANCZOS)
    for quality in (82, 75, 68, 60):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
        if out.tell() <= EXAMPLE_MAX_BYTES:
            break
    path.write_bytes(out.getvalue())
    return out.tell()


def make_examples() -> None:
    app, client = app_client()
    EXAMPLES_DIR.mkdir(parents=True, exist_ok=True)
    entries = []
    couplet = spring_couplet(app, client)
    drawn = check(client.post("/api/couplet/render", json=couplet))
    size = save_small(client.get(drawn["image_url"]).data, EXAMPLES_DIR / "spring.jpg")
    entries.append({"file": "spring.jpg", **couplet, "caption": "春联：写在红纸上，贴在门边"})
    print(f"spring.jpg {size:,} B  {couplet}")
    for name in PHOTOS:
        with mirror_photo(name).open("rb") as f:
            body = check(
                client.post("/api/photo", data={"file": (f, name)}, content_type="multipart/form-data")
            )
        c = body["candidates"][0]
        file = Path(name).stem.split("_", 1)[1] + ".jpg"
        size = save_small(client.get(body["image_url"]).data, EXAMPLES_DIR / file)
        tags = "、".join(t["name"] for t in body["tags"][:3])
        entries.append(
            {
                "file": file,
                "upper": c["upper"],
                "lower": c["lower"],
                "banner": c["horizontal"],
                "caption": f"照片（{tags}）",
            }
        )
        print(f"{file} {size:,} B  {c}")
    (EXAMPLES_DIR / "examples.json").write_text(
        json.dumps(entries, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


def hold_photo_uploads(app, seconds: float) -> None:
    """POST /api/photo answers `seconds` late, so the page's progress state can be photographed."""
    inner = app.wsgi_app

    def wsgi(environ, start_response):
        if environ.get("PATH_INFO") == "/api/photo" and app.config.get("HOLD"):
            body = environ["wsgi.input"].read(
                int(environ.get("CONTENT_LENGTH") or 0)
            )  # the whole upload first
            time.sleep(seconds)
            environ["wsgi.input"] = io.BytesIO(body)
        return inner(environ, start_response)

    app.wsgi_app = wsgi


def shoot(page, name: str) -> None:
    """A screenshot of what the phone shows now, quantised to 256 colours."""
    png = page.screenshot()
    image = (
        Image.open(io.BytesIO(png)).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=0)
    )
    path = SHOTS_DIR / f"{name}.png"
    image.save(path, optimize=True)
    size = path.stat().st_size
    print(f"{path.relative_to(PROJECT_ROOT)} {image.size[0]}x{image.size[1]} {size:,} B")
    if size > SHOT_MAX_BYTES:
        print(f"  over {SHOT_MAX_BYTES:,} B", file=sys.stderr)


def wait_image(page, selector: str) -> None:
    page.wait_for_function(
        f"() => {{ const i = document.querySelector({selector!r}); return i && i.complete && i.naturalWidth > 0; }}"
    )


def take_screenshots() -> None:
    from browser import chromium, live_server, phone_page

    app, _ = app_client()
    hold_photo_uploads(app, HOLD_SECONDS)
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    photo = mirror_photo(PHOTOS[0])
    with live_server(app) as url, chromium() as browser:
        page = phone_page(browser, SCREEN, scale=1)
        page.goto(url + "/")
        page.evaluate("localStorage.clear()")
        page.reload()
        page.wait_for_selector("#example-list figure")
        page.wait_for_function(EXAMPLES_LOADED)
        shoot(page, "1_empty_with_examples")

        app.config["HOLD"] = True
        page.set_input_files("#file", str(photo))
        page.wait_for_selector("#progress-steps li.now:nth-child(3)")
        shoot(page, "2_progress")
        page.wait_for_selector("#candidates li")
        app.config["HOLD"] = False
        wait_image(page, "#result-image")
        page.locator("#tags").scroll_into_view_if_needed()
        page.evaluate("window.scrollBy(0, -60)")
        shoot(page, "3_photo_result")

        page.click("#tab-spring")
        page.click("#themes label:nth-child(1)")
        page.click("#write")
        page.wait_for_selector("#spring-candidates li, #spring-status.error")
        if page.locator("#spring-status.error").count():
            print("春联 results:", page.inner_text("#spring-status"), file=sys.stderr)
        shoot(page, "4_spring_results")

        if page.locator("#spring-candidates li").count():
            page.locator("#spring-candidates li button").first.click()
        else:  # the write endpoint is missing: start from a couplet of the 对下联 tab
            page.click("#tab-text")
            page.fill("#upper", SPRING_UPPER)
            page.click("#text-form button")
            page.locator("#text-candidates li button").first.click()
            page.wait_for_selector("#editor-status.error")  # no 横批 endpoint either: the user writes one
            page.fill("#banner", "春满人间")
        page.wait_for_selector("#editor:not([hidden])")
        tiles = page.locator("#lower-tiles button.tile")
        for k in (0, 2, 4):
            tiles.nth(k).click()
        page.click("#refill")
        page.wait_for_selector("#refill-choices button")
        page.locator("#editor").scroll_into_view_if_needed()
        page.evaluate("document.getElementById('editor').scrollIntoView({block: 'start'})")
        shoot(page, "5_editing_with_locks")

        page.locator("#refill-choices button").first.click()
        page.click("#render-red")
        wait_image(page, "#spring-image")
        page.evaluate("document.getElementById('spring-figure').scrollIntoView({block: 'end'})")
        shoot(page, "6_red_paper_result")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["examples", "screenshots"])
    args = parser.parse_args()
    if args.what == "examples":
        make_examples()
    else:
        take_screenshots()


if __name__ == "__main__":
    main()
