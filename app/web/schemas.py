"""Request and response schemas of the JSON API: they validate requests and make the OpenAPI document.

JSON types are taken strictly: "3" is not a number and 1 is not a boolean, as a typed client expects.
What a schema cannot say (an upper line's characters, its length after normalising) is checked by
the domain (couplet.rules.validate_upper), whose error codes are more precise.
"""

from __future__ import annotations

from apiflask import Schema, fields
from apiflask.validators import Length, OneOf, Range
from marshmallow import EXCLUDE

from couplet.couplets import MAX_ALTERNATIVES, MAX_CANDIDATES
from couplet.rules import MAX_LEN

MAX_SEED = 2**31 - 1


class _NoStringsOrBools:
    """A number field that refuses strings and booleans (marshmallow casts "3" and True by default)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str | bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class JsonInteger(_NoStringsOrBools, fields.Integer):
    def __init__(self, **kwargs) -> None:
        super().__init__(strict=True, **kwargs)


class JsonFloat(_NoStringsOrBools, fields.Float):
    pass


class JsonBoolean(fields.Boolean):
    """true or false only (marshmallow also takes "yes", 1, "on"…)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Error(Schema):
    error = fields.String(required=True, metadata={"description": "Machine-readable code, e.g. `too_long`."})
    message = fields.String(required=True, metadata={"description": "What is wrong, for a person."})


class _Request(Schema):
    class Meta:
        unknown = EXCLUDE  # a newer client may send more; what we do not know we ignore


def _line(role: str, example: str) -> fields.String:
    return fields.String(
        required=True,
        metadata={
            "description": f"The {role}: 1–32 Chinese characters; half-width punctuation is normalised.",
            "example": example,
        },
    )


class DecodeIn(_Request):
    """How many lines to write, and how: the fields every request that writes lines shares."""

    n = JsonInteger(
        load_default=3,
        validate=Range(1, MAX_CANDIDATES),
        metadata={"description": "How many lines to return."},
    )
    sample = JsonBoolean(load_default=False, metadata={"description": "Sample instead of beam search."})
    seed = JsonInteger(
        load_default=None,
        allow_none=True,
        validate=Range(0, MAX_SEED),
        metadata={"description": "Seed for sampling: the same seed gives the same lines."},
    )
    temperature = JsonFloat(
        load_default=1.0, validate=Range(0.1, 2.0), metadata={"description": "Sampling temperature."}
    )
    top_k = JsonInteger(
        load_default=20, validate=Range(1, 200), metadata={"description": "Sample among the k likeliest."}
    )


class CoupletIn(DecodeIn):
    upper = _line("upper line (上联)", "春风化雨千山绿")


class RefillIn(DecodeIn):
    upper = _line("upper line (上联)", "春风化雨千山绿")
    pattern = fields.String(
        required=True,
        metadata={
            "description": "The lower line to keep, as long as the upper line, with `?` or `？` at each position "
            "to fill; where the upper line has punctuation, punctuation or `?`.",
            "example": "?日?窗万户?",
        },
    )


class UpperIn(DecodeIn):
    lower = _line("lower line (下联) to write upper lines for", "旭日临窗万户红")


class AlternativesIn(_Request):
    upper = _line("upper line (上联)", "春风化雨千山绿")
    lower = _line(
        "lower line (下联), which must pass the hard rules apart from the position asked about",
        "旭日临窗万户红",
    )
    position = JsonInteger(
        required=True,
        validate=Range(1, MAX_LEN),
        metadata={"description": "The position to offer other characters for, counted from 1.", "example": 3},
    )
    k = JsonInteger(
        load_default=8,
        validate=Range(1, MAX_ALTERNATIVES),
        metadata={"description": "How many characters to offer."},
    )


class RuleResult(Schema):
    passed = fields.Boolean(required=True)
    score = fields.Float(required=True)


class Position(Schema):
    index = fields.Integer(required=True, metadata={"description": "0-based position in both lines."})
    upper = fields.String(required=True, metadata={"description": "The upper line's character there."})
    lower = fields.String(required=True, metadata={"description": "The lower line's character there."})
    upper_tones = fields.Dict(
        keys=fields.String(),
        values=fields.String(allow_none=True),
        required=True,
        metadata={
            "description": "平, 仄 or 多音 (ambiguous) by standard: `xinyun` (中华新韵, modern) and `pingshui` (平水韵, "
            "with 入声); null for punctuation or a character the standard lacks."
        },
    )
    lower_tones = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True), required=True)
    checked = fields.Boolean(
        required=True,
        metadata={
            "description": "Tone opposition looks here (2nd, 4th, 6th and last character of each clause)."
        },
    )
    verdicts = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        allow_none=True,
        required=True,
        metadata={
            "description": "By standard: `pass`, `fail` or `undecided` (an ambiguous character); null where not checked."
        },
    )


class Candidate(Schema):
    lower = fields.String(required=True, metadata={"description": "The lower line (下联)."})
    source = fields.String(
        required=True,
        metadata={"description": "`model` (written by the generator) or `memory` (a known corpus couplet)."},
    )
    score = fields.Float(required=True, metadata={"description": "Rank score: model score plus tone rules."})
    model_score = fields.Float(required=True, metadata={"description": "Mean log-probability per character."})
    rules = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(RuleResult),
        required=True,
        metadata={"description": "Each rule of a couplet: passed, and a 0–1 score."},
    )
    positions = fields.List(
        fields.Nested(Position),
        required=True,
        metadata={
            "description": "Why the tone rules pass or fail, position by position, under both standards."
        },
    )


class CoupletOut(Schema):
    upper = fields.String(required=True, metadata={"description": "The normalised upper line."})
    candidates = fields.List(fields.Nested(Candidate), required=True)


class Alternative(Candidate):
    char = fields.String(required=True, metadata={"description": "The character offered for the position."})
    char_logprob = fields.Float(
        required=True,
        metadata={
            "description": "Its log-probability at the position given the line before it (what shortlisted it); "
            "`model_score` is the whole line's."
        },
    )


class AlternativesOut(Schema):
    upper = fields.String(required=True, metadata={"description": "The normalised upper line."})
    lower = fields.String(required=True, metadata={"description": "The normalised lower line asked about."})
    position = fields.Integer(required=True)
    alternatives = fields.List(
        fields.Nested(Alternative),
        required=True,
        metadata={
            "description": "Best first; each passes every hard rule. Where the upper line repeats the position's "
            "character, the lower line's repeat changes with it."
        },
    )


class UpperCandidate(Schema):
    upper = fields.String(required=True, metadata={"description": "An upper line (上联) for the lower line."})
    score = fields.Float(required=True, metadata={"description": "Rank score: model score plus tone rules."})
    model_score = fields.Float(required=True, metadata={"description": "Mean log-probability per character."})
    rules = fields.Dict(keys=fields.String(), values=fields.Nested(RuleResult), required=True)
    positions = fields.List(
        fields.Nested(Position),
        required=True,
        metadata={
            "description": "Why the tone rules pass or fail, position by position, under both standards."
        },
    )


class UpperOut(Schema):
    lower = fields.String(required=True, metadata={"description": "The normalised lower line."})
    candidates = fields.List(fields.Nested(UpperCandidate), required=True)


class RedPaperIn(_Request):
    upper = _line("upper line (上联), hung on the right", "春风化雨千山绿")
    lower = _line(
        "lower line (下联), hung on the left: same length and punctuation, no character of the upper line, "
        "repeats mirrored",
        "旭日临窗万户红",
    )
    banner = fields.String(
        required=True,
        metadata={"description": "The 横批 above the door: four Chinese characters.", "example": "春满人间"},
    )


class RedPaperOut(Schema):
    image_url = fields.String(
        required=True, metadata={"description": "The JPEG, like a photo's result; it expires like one."}
    )
    upper = fields.String(required=True, metadata={"description": "The upper line as drawn (normalised)."})
    lower = fields.String(required=True, metadata={"description": "The lower line as drawn (normalised)."})
    banner = fields.String(required=True, metadata={"description": "The 横批 as drawn."})


class Health(Schema):
    status = fields.String(required=True)


class Readiness(Schema):
    status = fields.String(required=True, metadata={"description": "`ready` or `not_ready`."})
    checks = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "Each component: `ok`, or why it is not."},
    )


ERROR_REASONS = {
    400: "Bad input: the code says what (e.g. `empty`, `too_long`, `invalid_field`)",
    401: "No valid session token (only when the service runs with COUPLET_LOGIN=wechat)",
    404: "Unknown id",
    413: "Request body too large",
    415: "Wrong Content-Type",
    429: "Too many requests from this client; see Retry-After",
    503: "A model, the data or a backing service is not available",
}


def error_responses(*statuses: int) -> dict[int, str]:
    """`@doc(responses=...)` for the error statuses an endpoint can answer (the app gives them the Error body)."""
    return {status: ERROR_REASONS[status] for status in statuses}


class WriteIn(_Request):
    keywords = fields.List(
        fields.String(),
        load_default=list,
        validate=Length(max=4),
        metadata={"description": "Up to 4 Chinese words the couplet should hold.", "example": ["春风", "福"]},
    )
    theme = fields.String(
        load_default=None,
        allow_none=True,
        validate=Length(max=8),
        metadata={
            "description": "An occasion (春节, 婚庆, 寿诞, 开业, 乔迁, 金榜题名, 中秋, 元宵, 端午, 教师节) or any word.",
            "example": "春节",
        },
    )
    year = JsonInteger(
        load_default=None,
        allow_none=True,
        validate=Range(1, 9999),
        metadata={"description": "Adds the year's zodiac animal (2027: 羊).", "example": 2027},
    )
    length = JsonInteger(
        load_default=7, validate=Range(4, 11), metadata={"description": "Characters a line."}
    )
    n = JsonInteger(load_default=3, validate=Range(1, 10), metadata={"description": "How many couplets."})


class AcrosticIn(_Request):
    chars = fields.String(
        required=True,
        metadata={"description": "Two Chinese characters to hide (a name, a wish).", "example": "福寿"},
    )
    at = fields.String(
        load_default="head",
        validate=OneOf(["head", "tail"]),
        metadata={"description": "`head` (藏头: the first characters) or `tail` (藏尾: the last)."},
    )
    theme = fields.String(load_default=None, allow_none=True, validate=Length(max=8))
    banner = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "Four characters to stand across the 横批 instead of a written one."},
    )
    length = JsonInteger(
        load_default=7, validate=Range(4, 11), metadata={"description": "Characters a line."}
    )
    n = JsonInteger(load_default=3, validate=Range(1, 10), metadata={"description": "How many couplets."})


class WrittenCouplet(Schema):
    upper = fields.String(required=True, metadata={"description": "The upper line (上联)."})
    lower = fields.String(required=True, metadata={"description": "The lower line (下联)."})
    banner = fields.String(required=True, metadata={"description": "The 横批."})
    score = fields.Float(required=True, metadata={"description": "Both lines' scores summed."})
    keywords = fields.List(
        fields.String(), required=True, metadata={"description": "The words it was written from."}
    )
    source = fields.String(required=True, metadata={"description": "`model`: written, not retrieved."})
    rules = fields.Dict(keys=fields.String(), values=fields.Nested(RuleResult), required=True)
    positions = fields.List(fields.Nested(Position), required=True)


class WrittenOut(Schema):
    couplets = fields.List(fields.Nested(WrittenCouplet), required=True)


class BannerIn(_Request):
    upper = _line("upper line (上联)", "春风化雨千山绿")
    lower = _line("lower line (下联)", "旭日临窗万户红")
    n = JsonInteger(load_default=3, validate=Range(1, 10), metadata={"description": "How many 横批."})


class BannerOut(Schema):
    banners = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "横批, best first: written for the couplet, then classic ones."},
    )
    sources = fields.List(
        fields.String(), required=True, metadata={"description": "`model` or `table`, per 横批."}
    )
