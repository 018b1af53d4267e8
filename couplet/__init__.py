"""联景联情: Chinese couplets from photos.

``couplet.generate(upper, n=3)`` and the editing functions beside it (``refill``, ``alternatives``,
``uppers_for``; couplet/couplets.py) are imported lazily so that light commands do not load torch.
"""

PUBLIC = ("generate", "refill", "alternatives", "uppers_for")


def __getattr__(name: str):
    if name in PUBLIC:
        from couplet import couplets

        return getattr(couplets, name)
    raise AttributeError(f"module 'couplet' has no attribute {name!r}")


__all__ = list(PUBLIC)
