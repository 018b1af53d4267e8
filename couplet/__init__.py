"""联景联情: Chinese couplets from photos.

``couplet.generate(upper, n=3)`` is imported lazily so that light commands do not load torch.
"""


def __getattr__(name: str):
    if name == "generate":
        from couplet.couplets import generate

        return generate
    raise AttributeError(f"module 'couplet' has no attribute {name!r}")


__all__ = ["generate"]
