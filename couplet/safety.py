"""Content safety for every line the service takes in or hands out, text and photo routes alike.

Two layers:

1. The corpus bad-word list (always): an upper line with a bad word is refused (400 `bad_word`);
   a lower line with one is dropped from the answer (the generator cannot write one anyway); a
   couplet a user sends to be drawn on a photo is refused if any of its lines has one.
2. WeChat `msgSecCheck` v2 (core/wechat.py; when COUPLET_WECHAT_APPID and COUPLET_WECHAT_SECRET are
   set and the request names its user by openid, which v2 requires). Only `suggest == "pass"` counts
   as safe. The lines of one answer go in one call; only when that call is not a pass are they
   checked one by one, to refuse the typed upper line or drop what is at fault. A user's own couplet
   for a photo is one call, all or nothing (`check_user_text`); the couplets written for a photo keep
   those that pass (`safe_couplets`).

If WeChat cannot be reached or answers an error, the bad-word layer alone decides and a warning is
logged: the service stays up when WeChat is down (the bad-word list already ran).
"""

from __future__ import annotations

import logging

from core.settings import Settings
from core.wechat import SafetyServiceError, get_wechat
from couplet.resources import get_badwords
from couplet.rules import Couplet, InvalidUpper

log = logging.getLogger(__name__)


def screen(upper: str, lowers: list[str], settings: Settings, openid: str | None = None) -> list[str]:
    """The lower lines that are safe to show; InvalidUpper if the upper line itself is not."""
    badwords = get_badwords(settings)
    word = badwords.find(upper)
    if word:
        raise InvalidUpper(f"the upper line contains a blocked word ({word})", code="bad_word")
    lowers = [line for line in lowers if not badwords.find(line)]
    wechat = get_wechat(settings)
    if wechat is None or not openid:
        return lowers
    try:
        if wechat.suggest("\n".join([upper, *lowers]), openid) == "pass":
            return lowers
        if wechat.suggest(upper, openid) != "pass":
            raise InvalidUpper("the upper line did not pass the content-safety check", code="unsafe_content")
        return [line for line in lowers if wechat.suggest(line, openid) == "pass"]
    except SafetyServiceError as e:
        log.warning("content-safety check unavailable, bad-word list only: %s", e)
        return lowers


def check_user_text(lines: list[str], settings: Settings, openid: str | None = None) -> None:
    """Refuse (InvalidUpper `unsafe_content`) text a user wants shown when WeChat says it is not safe.

    The bad-word list has run before (it is part of every line's input rules); without WeChat, or
    when it cannot answer, that list alone decides.
    """
    wechat = get_wechat(settings)
    if wechat is None or not openid:
        return
    try:
        verdict = wechat.suggest("\n".join(lines), openid)
    except SafetyServiceError as e:
        log.warning("content-safety check unavailable, bad-word list only: %s", e)
        return
    if verdict != "pass":
        raise InvalidUpper("the text did not pass the content-safety check", code="unsafe_content")


def safe_couplets(couplets: list[Couplet], settings: Settings, openid: str | None = None) -> list[Couplet]:
    """The couplets written for a photo (its upper lines from the corpus, lower lines and 横批 ours) that
    are safe to show: one WeChat call for all, then one per couplet only when that one is not a pass."""
    badwords = get_badwords(settings)
    kept = [c for c in couplets if not any(badwords.find(line) for line in (c.upper, c.lower, c.horizontal))]
    wechat = get_wechat(settings)
    if wechat is None or not openid or not kept:
        return kept
    text = [f"{c.upper}\n{c.lower}\n{c.horizontal}" for c in kept]
    try:
        if wechat.suggest("\n".join(text), openid) == "pass":
            return kept
        return [c for c, lines in zip(kept, text, strict=True) if wechat.suggest(lines, openid) == "pass"]
    except SafetyServiceError as e:
        log.warning("content-safety check unavailable, bad-word list only: %s", e)
        return kept
