"""Pluggable image tagging: a photo in, Chinese tags with confidences out.

`get_tagger(settings)` (vision.registry) gives the tagger or fallback chain that the settings choose.
"""

from vision.tags import Tag, Tagger, merge_tags

__all__ = ["Tag", "Tagger", "merge_tags"]
