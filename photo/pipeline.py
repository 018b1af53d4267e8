"""Photo to couplet, the product's main job: decode → tag → match → generate → pick 横批 → choose → render.

`create` runs the whole pipeline for an upload and keeps a session (tags, candidates and the
downscaled upright photo) in the result store under a random id, so that `render_candidate`,
`render_custom` and `regenerate` can work on it later without the upload. The candidates are kept best
first by one score (photo/choose.py) and the best is drawn. A close-up of a person is not matched: its
couplets are written (photo/portrait.py). Every step is timed
(`Timings`), for the Server-Timing header, the log, Prometheus and benchmarks/photo.py; decode runs
beside tag → match → generate, so the stages add up to more than the wall time.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from PIL import Image

from core.errors import DataError, UserError
from core.settings import Settings
from core.telemetry import stage_timer
from couplet.couplets import checked_upper
from couplet.matching.clash import clash, clashes, clashing
from couplet.model.generator import Candidate, DecodeOptions
from couplet.resources import get_generator
from couplet.rules import Couplet, InvalidUpper, broken_hard_rules, is_hanzi, normalise
from couplet.safety import safe_couplets
from photo.choose import Option, RecentPicks, photo_seed, ranked
from photo.fonts import get_fonts
from photo.horizontal import pick_horizontals
from photo.portrait import portrait_couplets, shows_person
from photo.render import MAX_SIDE, render
from photo.results import get_result_store, new_id
from photo.session import Drawing, PhotoRecord
from vision.imageio import decode, open_image, sniff, to_jpeg
from vision.registry import get_tagger
from vision.tags import Tag

log = logging.getLogger(__name__)

CANDIDATES = 3
SOURCE_QUALITY = 90  # the kept photo is decoded again for every render: keep it close to the upload
HORIZONTAL_LEN = 4
RECENT_PICKS = RecentPicks()
"""The upper lines this process drew first lately (photo/choose.py)."""


class PhotoError(UserError):
    """A request about a photo that cannot be done as asked; `code` says why."""


@dataclass
class Timings:
    """Milliseconds per stage, in the order the stages finished: wall time, and the CPU time of the
    thread that ran the stage (what the stage costs on an idle core, however busy the machine is)."""

    stages: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Times the block here and in the Prometheus stage histogram."""
        started, cpu_started = time.perf_counter(), time.thread_time()
        try:
            with stage_timer(name):
                yield
        finally:
            self.stages[name] = self.stages.get(name, 0.0) + (time.perf_counter() - started) * 1000
            self.cpu[name] = self.cpu.get(name, 0.0) + (time.thread_time() - cpu_started) * 1000


@dataclass(frozen=True)
class PhotoSession:
    id: str
    tags: list[Tag]
    candidates: list[Couplet]
    result_id: str
    """The first candidate, rendered."""
    timings: Timings


def create(data: bytes, settings: Settings, openid: str | None = None) -> PhotoSession:
    """Tags, three couplets and the first one rendered, for an uploaded photo; `openid` names the user to
    WeChat's content check of what was written."""
    from couplet.matching import match
    from couplet.matching.matcher import marked_penalty

    sniff(data)
    timings = Timings()
    # Decoding the photo for drawing needs nothing from tagging, matching or generating, and Pillow and
    # torch both release the GIL: on two cores it is done in the shadow of the tagger.
    with ThreadPoolExecutor(max_workers=1) as pool:
        kept = pool.submit(_keep_photo, data, timings)
        with timings.stage("tag"):
            tags = get_tagger(settings).tag(data)
        seed, lines, fit = photo_seed(data), [], {}
        if not shows_scene(tags) and shows_person(tags):
            with timings.stage("generate"):  # a close-up of a person: written couplets (photo/portrait.py)
                lines = portrait_couplets(tags, seed, CANDIDATES, settings)
        if not lines:
            with timings.stage("match"):
                matches = match(tags, k=CANDIDATES, seed=seed, settings=settings)
            with timings.stage("generate"):
                lines = _lower_lines([m.upper for m in matches], DecodeOptions(), settings, tags)
            fit = {m.upper: m.score for m in matches}
        with timings.stage("horizontal"):
            written = _with_horizontals(tags, [(c.upper, c.lower) for c in lines], None, settings, openid)
        # Choosing takes microseconds: it is not a stage of its own. A written couplet has no fit to the tags.
        line = {c.upper: c.score for c in lines}
        untimely = clashing((t.name, t.kind) for t in tags)
        said = clashes([" ".join((c.upper, c.lower, c.horizontal)) for c in written], untimely)
        register = marked_penalty(tags, [c.lower for c in written])
        options = [
            Option(c, fit.get(c.upper, 0.0), line[c.upper], clashes=bool(x), lower_penalty=float(r))
            for c, x, r in zip(written, said, register, strict=True)
        ]
        candidates = ranked(options, RECENT_PICKS)
        RECENT_PICKS.add(candidates[0].upper)
        photo, source = kept.result()
    session_id, result_id = new_id(), new_id()
    with timings.stage("render"):
        image = render(photo, candidates[0], get_fonts(settings), overlay=shows_scene(tags)).image
    with timings.stage("encode"):
        result = to_jpeg(image)
    with timings.stage("store"):
        store = get_result_store(settings)
        PhotoRecord(tags, candidates).save(store, session_id, source)
        Drawing(session_id, candidates[0]).save(store, result_id, result)
    log.info(
        "photo %s: %s tags, %d candidates, %s",
        session_id,
        ",".join(t.name for t in tags),
        len(candidates),
        " ".join(f"{k}={v:.0f}ms" for k, v in timings.stages.items()),
    )
    return PhotoSession(session_id, tags, candidates, result_id, timings)


def _keep_photo(data: bytes, timings: Timings) -> tuple[Image.Image, bytes]:
    """The upright photo to draw on, and its JPEG, kept in the session for later renders."""
    with timings.stage("decode"):
        photo = decode(data, MAX_SIDE)
    with timings.stage("encode"):
        return photo, to_jpeg(photo, SOURCE_QUALITY)


def _lower_lines(
    uppers: list[str],
    options: DecodeOptions,
    settings: Settings,
    tags: list[Tag],
    avoid: list[str] | None = None,
) -> list[Candidate]:
    """The best lower line of each upper line, in one batched generator call; with avoid (the current
    lower line of each upper line), a different lower line whenever the generator offers one. A written
    lower line whose time of day the photo contradicts (couplet.matching.clash: the moon under a blue sky)
    gives way to the first of the generator's best few that does not, asked for those lines alone; a
    corpus lower line of the same upper line (a person's answer to it: 山高月近人) stays."""
    if not uppers:
        raise DataError("the matcher found no upper line for the photo")
    generator = get_generator(settings)
    previous = avoid or [None] * len(uppers)
    n = 1 if avoid is None else CANDIDATES
    best: list[Candidate | None] = []
    for before, offered in zip(previous, generator.generate_batch(uppers, n, options), strict=True):
        fresh = [c for c in offered if c.lower != before] or offered
        best.append(fresh[0] if fresh else None)
    untimely = clashing((t.name, t.kind) for t in tags)
    swap = [i for i, c in enumerate(best) if c and c.source == "model" and clash(c.lower, untimely)]
    if swap:
        more = generator.generate_batch([uppers[i] for i in swap], CANDIDATES, options)
        for i, offered in zip(swap, more, strict=True):
            timely = [c for c in offered if c.lower != previous[i] and not clash(c.lower, untimely)]
            best[i] = timely[0] if timely else best[i]
    lines = [c for c in best if c is not None]
    if not lines:
        raise DataError("the generator found no lower line for the matched upper lines")
    return lines


def _with_horizontals(
    tags: list[Tag], pairs: list[tuple[str, str]], seed: int | None, settings: Settings, openid: str | None
) -> list[Couplet]:
    """The couplets with their 横批, those that pass the content check (the text route's, couplet/safety.py)."""
    horizontals = pick_horizontals(tags, pairs, settings, seed=seed)
    couplets = [Couplet(upper, lower, h) for (upper, lower), h in zip(pairs, horizontals, strict=True)]
    safe = safe_couplets(couplets, settings, openid)
    if not safe:
        raise PhotoError(
            "none of the couplets written for this photo passed the content-safety check",
            code="unsafe_content",
        )
    return safe


def render_candidate(session_id: str, number: int, settings: Settings) -> str:
    """Render candidate `number` (1-based, as the page shows them) of the photo; returns the result id."""
    record, source = PhotoRecord.load(get_result_store(settings), session_id)
    candidates = record.candidates
    if not 1 <= number <= len(candidates):
        raise PhotoError(
            f"'candidate' must be between 1 and {len(candidates)} (1-based), got {number}",
            code="invalid_field",
        )
    return _render_and_store(session_id, source, candidates[number - 1], record.tags, settings)


def render_custom(session_id: str, couplet: Couplet, settings: Settings) -> str:
    """Render the user's own couplet (one that `checked_couplet` returned); returns the result id."""
    record, source = PhotoRecord.load(get_result_store(settings), session_id)
    return _render_and_store(session_id, source, couplet, record.tags, settings)


def shows_scene(tags: list[Tag]) -> bool:
    """Whether the tagger sees a scene or a mood in the photo; without one it is a close-up (a cat, a dish,
    a face), which the renderer frames rather than covers."""
    return any(t.kind != "object" for t in tags)


def _render_and_store(
    session_id: str, source: bytes, couplet: Couplet, tags: list[Tag], settings: Settings
) -> str:
    image = render(open_image(source), couplet, get_fonts(settings), overlay=shows_scene(tags)).image
    result_id = new_id()
    Drawing(session_id, couplet).save(get_result_store(settings), result_id, to_jpeg(image))
    return result_id


def regenerate(session_id: str, settings: Settings, openid: str | None = None) -> list[Couplet]:
    """New lower lines (sampled with a fresh seed) and 横批 for the same upper lines; the session keeps them."""
    store = get_result_store(settings)
    record, source = PhotoRecord.load(store, session_id)
    old = record.candidates
    seed = secrets.randbelow(2**31)
    options = DecodeOptions(sample=True, seed=seed, temperature=1.0, top_k=20)
    lines = _lower_lines([c.upper for c in old], options, settings, record.tags, avoid=[c.lower for c in old])
    candidates = _with_horizontals(record.tags, [(c.upper, c.lower) for c in lines], seed, settings, openid)
    PhotoRecord(record.tags, candidates).save(store, session_id, source)
    return candidates


def checked_couplet(upper: str, lower: str, horizontal: str, settings: Settings) -> Couplet:
    """The user's couplet, normalised; PhotoError naming the field or the rule it breaks.

    Each line follows the input rules of an upper line (Chinese, 1–32 characters, no blocked word);
    together they must pass the hard rules the generator enforces (couplet.rules.HARD_RULES); the 横批
    is four Chinese characters without a blocked word.
    """
    up, down = _checked_line("upper", upper, settings), _checked_line("lower", lower, settings)
    broken = broken_hard_rules(up, down)
    if broken:
        raise PhotoError(
            f"the couplet breaks the rule{'s' if len(broken) > 1 else ''} {', '.join(broken)}: "
            + "; ".join(broken.values()),
            code="broken_rule",
        )
    across = normalise(horizontal)
    if len(across) != HORIZONTAL_LEN or not all(is_hanzi(ch) for ch in across):
        raise PhotoError(
            f"the 横批 must be {HORIZONTAL_LEN} Chinese characters, got {across!r}", code="invalid_horizontal"
        )
    try:
        checked_upper(across, settings)
    except InvalidUpper as e:
        raise PhotoError(str(e).replace("the upper line", "the 横批"), code="invalid_horizontal") from e
    return Couplet(up, down, across)


def _checked_line(name: str, text: str, settings: Settings) -> str:
    try:
        return checked_upper(text, settings)
    except InvalidUpper as e:
        # The input rules are the upper line's and some of their messages name it: name the field instead.
        message = str(e).replace("the upper line", f"the {name} line")
        if f"the {name} line" not in message:
            message = f"the {name} line: {message}"
        raise PhotoError(message, code=f"invalid_{name}") from e
