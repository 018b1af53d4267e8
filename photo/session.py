"""What the result store keeps for a photo and for each drawing, as typed records.

A photo's record (its tags and candidates) is stored with the upright photo as its bytes; a drawing's
record names the photo and the couplet drawn, with the JPEG as its bytes. Both share one store, so each
record says what it is: a lookup of the wrong kind, an unknown id or an expired one all read as missing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from core.errors import UserError
from couplet.rules import Couplet
from photo.results import ResultStore
from vision.tags import Tag

PHOTO, DRAWING = "photo", "result"


class UnknownPhoto(UserError):
    code, status = "unknown_photo", 404


@dataclass(frozen=True)
class PhotoRecord:
    """A photo's tags and candidate couplets; the upright photo is kept beside it as JPEG bytes."""

    tags: list[Tag]
    candidates: list[Couplet]

    def save(self, store: ResultStore, photo_id: str, photo: bytes) -> None:
        meta = {
            "kind": PHOTO,
            "tags": [asdict(t) for t in self.tags],
            "candidates": [asdict(c) for c in self.candidates],
        }
        store.put(photo_id, photo, meta)

    @classmethod
    def load(cls, store: ResultStore, photo_id: str) -> tuple[PhotoRecord, bytes]:
        """The record and the kept photo; UnknownPhoto for an unknown, expired or malformed id."""
        meta = store.get_meta(photo_id)
        photo = store.get(photo_id) if meta is not None and meta.get("kind") == PHOTO else None
        if photo is None:
            raise UnknownPhoto("no such photo: the id is wrong or the photo has expired")
        record = cls([Tag(**t) for t in meta["tags"]], [Couplet(**c) for c in meta["candidates"]])
        return record, photo


@dataclass(frozen=True)
class Drawing:
    """A rendered couplet, on a photo or on red paper (photo_id None); its JPEG is the entry's bytes."""

    photo_id: str | None
    couplet: Couplet

    def save(self, store: ResultStore, drawing_id: str, jpeg: bytes) -> None:
        store.put(
            drawing_id, jpeg, {"kind": DRAWING, "photo": self.photo_id, "couplet": asdict(self.couplet)}
        )

    @staticmethod
    def jpeg(store: ResultStore, drawing_id: str) -> bytes | None:
        """The drawing's JPEG, or None for an unknown, expired or malformed id (or one that is a photo)."""
        meta = store.get_meta(drawing_id)
        return store.get(drawing_id) if meta is not None and meta.get("kind") == DRAWING else None
