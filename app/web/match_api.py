"""POST /api/couplet/match: upper lines for the tags of a photo."""

from __future__ import annotations

from apiflask import APIBlueprint, Schema, fields
from apiflask.validators import Length, OneOf, Range
from flask import current_app
from marshmallow import EXCLUDE

from app.web.schemas import MAX_SEED, JsonFloat, JsonInteger, error_responses
from couplet.matching import match
from couplet.matching.matcher import MAX_K
from couplet.matching.query import KIND_WEIGHTS, MAX_TAG_LEN, MAX_TAGS

bp = APIBlueprint("match", __name__, tag="matcher")


class TagIn(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String(
        required=True,
        validate=Length(1, MAX_TAG_LEN),
        metadata={"description": "A Chinese word for what the photo shows.", "example": "山"},
    )
    confidence = JsonFloat(
        load_default=1.0,
        validate=Range(0.0, 1.0),
        metadata={"description": "0–1: how sure the tagger is; weighs the tag in the query."},
    )
    kind = fields.String(
        load_default="object",
        validate=OneOf(list(KIND_WEIGHTS)),
        metadata={
            "description": "`object` (a thing in the photo), `scene` (the place or landscape) or `mood` "
            "(time of day, season, weather): scene and mood tags weigh half as much as objects."
        },
    )


class MatchIn(Schema):
    class Meta:
        unknown = EXCLUDE

    tags = fields.List(
        fields.Nested(TagIn),
        required=True,
        validate=Length(1, MAX_TAGS),
        metadata={"description": f"1–{MAX_TAGS} tags."},
    )
    k = JsonInteger(
        load_default=3, validate=Range(1, MAX_K), metadata={"description": "How many upper lines."}
    )
    seed = JsonInteger(
        load_default=None,
        allow_none=True,
        validate=Range(0, MAX_SEED),
        metadata={"description": "The same seed gives the same picks; without one they vary."},
    )


class MatchItem(Schema):
    upper = fields.String(required=True, metadata={"description": "An upper line (上联) from the corpus."})
    score = fields.Float(required=True, metadata={"description": "Relevance to the tags."})
    source = fields.String(
        required=True,
        metadata={
            "description": "`encoder` (vector index) or `keyword` (the fallback while no index is built)."
        },
    )
    register = fields.String(
        required=True,
        metadata={"description": "`jokey` (jokes, insults, puns, sarcasm, slogans) or `elegant`."},
    )
    jokey = fields.Float(required=True, metadata={"description": "0–1: how jokey the line reads."})
    mood = fields.String(
        required=True, metadata={"description": "`melancholy` (mourning, grief) or `positive`."}
    )
    melancholy = fields.Float(required=True, metadata={"description": "0–1: how melancholy the line reads."})
    festive = fields.Float(
        required=True,
        metadata={
            "description": "0–1: how much the line is written for an occasion (festivals, weddings, shops …); "
            "such lines rank lower unless a tag names an occasion (春节, 婚礼 …)."
        },
    )
    devotional = fields.Float(
        required=True,
        metadata={
            "description": "0–1: how much the line is a temple's (Buddhist and Daoist figures and teaching); "
            "such lines rank lower unless a tag names a temple (寺, 塔) or its teaching (禅, 佛)."
        },
    )


class MatchOut(Schema):
    matches = fields.List(fields.Nested(MatchItem), required=True)


@bp.post("/api/couplet/match")
@bp.input(MatchIn, arg_name="body")
@bp.output(MatchOut)
@bp.doc(responses=error_responses(400, 413, 415, 429, 503))
def match_upper(body: dict):
    """Upper lines for tags

    Distinct upper lines (上联) that fit the tags, by embedding similarity re-scored by the tags'
    concepts said as whole words and by how jokey, melancholy, festive and devotional each line reads,
    diversified and drawn at random from the best (seeded). Tag names must be Chinese (`bad_tags` otherwise).
    """
    tags = [(tag["name"], tag["confidence"], tag["kind"]) for tag in body["tags"]]
    matches = match(tags, k=body["k"], seed=body["seed"], settings=current_app.config["SETTINGS"])
    return {"matches": [m.to_dict() for m in matches]}
