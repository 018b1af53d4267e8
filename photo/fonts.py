"""Finding the fonts the couplet is drawn in, and which one has a glyph for each character.

The text font is LXGW WenKai (Debian `fonts-lxgw-wenkai`); COUPLET_FONT overrides it. WenKai covers
every character of the training corpus, but a user's edit may hold a rare character (CJK extension B
and beyond) that it lacks. Each character is drawn in the first font whose character map has it: the
text font, then COUPLET_FALLBACK_FONTS, then the CJK fonts found at their usual Debian paths, then
DejaVu Sans. A character that no font has is drawn in the text font (an empty box) and logged.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import ImageFont

from core.errors import DataError
from core.lazy import resource
from core.settings import Settings

log = logging.getLogger(__name__)

WENKAI = Path("/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf")
# Fallbacks tried in this order when they exist; none is required.
KNOWN_FALLBACKS = (
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
)


def find_text_font(override: Path | None = None) -> Path:
    """The font file for the couplet: the override, else fontconfig's LXGW WenKai, else its Debian path."""
    if override is not None:
        if not override.is_file():
            raise DataError(f"COUPLET_FONT={override} is not a font file")
        return override
    if shutil.which("fc-match"):
        try:
            out = subprocess.run(
                ["fc-match", "-f", "%{file}", "LXGW WenKai:style=Regular"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            out = ""
        # fc-match always answers with something; only a WenKai file is the font we asked for.
        if out and "wenkai" in Path(out).name.lower() and Path(out).is_file():
            return Path(out)
    if WENKAI.is_file():
        return WENKAI
    raise DataError(
        "the couplet font LXGW WenKai is missing: install fonts-lxgw-wenkai (run.sh does) "
        "or set COUPLET_FONT to a CJK font file"
    )


def _codepoints(path: Path) -> frozenset[int]:
    # A .ttc holds several faces; the first one is the face ImageFont.truetype loads by default.
    font = TTFont(path, fontNumber=0, lazy=True)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


@dataclass
class FontSet:
    """The text font and its fallbacks, with each font's character coverage read once."""

    paths: tuple[Path, ...]
    """The text font first, then the fallbacks in the order they are tried."""
    _coverage: tuple[frozenset[int], ...] = field(init=False, repr=False)
    # FreeType faces must not be shared between threads, so each thread keeps its own loaded fonts.
    _local: threading.local = field(default_factory=threading.local, init=False, repr=False)
    _warned: set[str] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        self._coverage = tuple(_codepoints(p) for p in self.paths)

    @property
    def text_font(self) -> Path:
        return self.paths[0]

    def path_for(self, ch: str) -> Path:
        """The first font that has a glyph for ch; the text font when none has."""
        for path, covered in zip(self.paths, self._coverage, strict=True):
            if ord(ch) in covered:
                return path
        if ch not in self._warned:
            self._warned.add(ch)
            log.warning(
                "no installed font has a glyph for %r (U+%04X); it is drawn as an empty box", ch, ord(ch)
            )
        return self.text_font

    def font(self, ch: str, size: int) -> ImageFont.FreeTypeFont:
        """The font to draw ch in at size pixels (loaded fonts are kept: a render draws dozens of glyphs)."""
        fonts = self._local.__dict__.setdefault("fonts", {})
        key = (self.path_for(ch), size)
        if key not in fonts:
            fonts[key] = ImageFont.truetype(str(key[0]), size)
        return fonts[key]


def build_fonts(text_font: Path | None = None, fallbacks: tuple[Path, ...] = ()) -> FontSet:
    primary = find_text_font(text_font)
    chain = [primary]
    for path in (*fallbacks, *KNOWN_FALLBACKS):
        if path.is_file() and path not in chain:
            chain.append(path)
        elif path in fallbacks and not path.is_file():
            log.warning("fallback font %s does not exist; skipped", path)
    return FontSet(tuple(chain))


# Keyed by the font settings alone: settings that differ elsewhere share the fonts' coverage tables.
_shared_fonts = resource(build_fonts)


def get_fonts(settings: Settings) -> FontSet:
    """The fonts the settings choose, found once per process."""
    return _shared_fonts(settings.font, settings.fallback_fonts)
