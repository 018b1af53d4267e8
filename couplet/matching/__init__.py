"""The upper-line matcher: tags of a photo -> upper lines from the corpus (issue #4).

`match(tags, k, seed)` picks lines; `encode(texts, settings)` embeds text with the shipped encoder
(e.g. to pick a 横批 by similarity).
"""

from __future__ import annotations

import numpy as np

from core.settings import Settings
from couplet.matching.matcher import Match, match
from couplet.matching.query import BadTags


def encode(texts: list[str], settings: Settings) -> np.ndarray:
    """float32 rows of unit length, one per text, from the shipped encoder (DataError if there is none)."""
    from couplet.matching.encoder import embed
    from couplet.resources import get_encoder

    return embed(get_encoder(settings), texts)


__all__ = ["BadTags", "Match", "encode", "match"]
