"""Image bytes in and out, in one place: tell the format by content, decode upright (to a side), encode JPEG.

Every image the project reads or writes goes through here: the taggers, the photo pipeline (which
decodes an upload once for drawing) and the drawings it stores.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from vision.errors import ImageError, UnsupportedImage

# Magic numbers of the accepted formats; the client's Content-Type and file name are not trusted.
SIGNATURES = {"jpeg": (b"\xff\xd8\xff",), "png": (b"\x89PNG\r\n\x1a\n",)}
JPEG_QUALITY = 88


def open_image(image_bytes: bytes, draft_size: int | None = None) -> Image.Image:
    """Decoded RGB image, upright (EXIF orientation applied), alpha flattened onto white.

    draft_size lets the JPEG decoder scale down by 1/2, 1/4 or 1/8 while decoding, keeping both sides
    at least that large: a 12-megapixel photo then decodes in a fraction of the full time.
    """
    if not image_bytes:
        raise ImageError("the image is empty")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; treat both as a bomb.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(image_bytes))
            if draft_size and image.format == "JPEG":
                image.draft("RGB", (draft_size, draft_size))
            image.load()
            image = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageError(f"the image has too many pixels to decode safely: {e}") from e
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as e:
        # Pillow reports truncated or corrupt files as any of these, depending on the format.
        raise ImageError(f"the image cannot be decoded (corrupt, truncated or not an image): {e}") from e
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def sniff(data: bytes) -> str:
    """jpeg, png or webp by the file's first bytes; UnsupportedImage otherwise."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    for kind, magics in SIGNATURES.items():
        if data.startswith(magics):
            return kind
    raise UnsupportedImage("only JPEG, PNG and WebP images are accepted")


def decode(data: bytes, max_side: int) -> Image.Image:
    """The upright RGB photo, at most max_side pixels on its long side.

    A JPEG is decoded at the smallest scale (1/2, 1/4, 1/8) that still gives max_side pixels on the
    long side: a 12-megapixel photo then takes a fraction of a full decode. ImageError (a 400) for
    corrupt, truncated or decompression-bomb files; the format is the caller's to check (`sniff`).
    """
    image = open_image(data, draft_size=_draft_side(data, max_side))
    if max(image.size) > max_side:
        scale = max_side / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)
    return image


def _draft_side(data: bytes, max_side: int) -> int | None:
    """The short side the decoder must keep for the long side to reach max_side (open_image's draft
    size bounds both sides)."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
    except Exception:  # open_image reports the broken file with a proper message
        return None
    return max(1, -(-max_side * min(width, height) // max(width, height)))


def to_jpeg(image: Image.Image, quality: int = JPEG_QUALITY) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def shrink_for_upload(image_bytes: bytes, max_side: int = 2048, max_bytes: int = 2_900_000) -> bytes:
    """The bytes themselves when small enough, else a JPEG re-encode at most max_side pixels long.

    Azure v3.2 refuses images over 4 MB and Baidu over 4 MB of base64 (3 MB of bytes), and a phone photo
    often is; a 2048 px JPEG is plenty for tagging and keeps the upload quick.
    """
    try:
        with Image.open(io.BytesIO(image_bytes)) as probe:
            size, fmt = probe.size, probe.format
    except (UnidentifiedImageError, OSError) as e:
        raise ImageError(f"the image cannot be decoded (corrupt, truncated or not an image): {e}") from e
    if len(image_bytes) <= max_bytes and max(size) <= max_side and fmt in ("JPEG", "PNG"):
        return image_bytes
    image = open_image(image_bytes, draft_size=max_side)
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return to_jpeg(image)
