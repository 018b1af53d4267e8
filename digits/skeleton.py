"""Skeletons of ink: Zhang-Suen thinning (of one picture or a batch) and tracing a skeleton into pen-like paths.

Strokes recovered from a picture, and strokes drawn on a canvas, have a uniform thin pen; MNIST digits
have a fat, varying one, which may fill a loop with ink (``skeletonise`` opens it again before thinning).
``skeleton_fields`` gives the classifier training pictures of the first kind.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage
from tqdm import tqdm

from digits.preprocess import normalise

BLOB = 1.8  # ink this many times wider than its component's usual pen is a loop that filled in
_NEIGHBOURS = [
    (-1, 0),
    (-1, 1),
    (0, 1),
    (1, 1),
    (1, 0),
    (1, -1),
    (0, -1),
    (-1, -1),
]  # p2..p9, clockwise from north


def thin(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a boolean picture (H, W), or of a batch of them (N, H, W), to one-pixel lines."""
    pad = [(0, 0)] * (mask.ndim - 2) + [(1, 1), (1, 1)]  # a blank border: rolling wraps blank onto blank
    img = np.pad(mask.astype(np.uint8), pad)
    while True:
        changed = False
        for step in (0, 1):
            p = [np.roll(img, (-dy, -dx), axis=(-2, -1)) for dy, dx in _NEIGHBOURS]
            b = sum(p)
            a = sum(((p[k] == 0) & (p[(k + 1) % 8] == 1)).astype(np.uint8) for k in range(8))
            if step == 0:
                c = (p[0] * p[2] * p[4] == 0) & (p[2] * p[4] * p[6] == 0)
            else:
                c = (p[0] * p[2] * p[6] == 0) & (p[0] * p[4] * p[6] == 0)
            remove = (img == 1) & (b >= 2) & (b <= 6) & (a == 1) & c
            if remove.any():
                img[remove] = 0
                changed = True
        if not changed:
            return img[..., 1:-1, 1:-1].astype(bool)


def open_blobs(mask: np.ndarray, skeleton: np.ndarray, blob: float = BLOB) -> np.ndarray:
    """``mask`` with a hole punched wherever the ink is much wider than the rest of its stroke.

    A bold digit whose loop filled with ink (the head of a 9, a 0, the loops of an 8) thins to a line: the
    loop a pen would have drawn is lost and a 9 reads as a 7. The pen's half-width is the median distance
    to the paper along the component's ``skeleton``; ink further than ``blob`` times that from the paper
    is the inside of a filled loop, and taking it out makes the skeleton go round it.
    """
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n == 0 or not skeleton.any():
        return mask
    depth = ndimage.distance_transform_edt(mask)
    pen = np.r_[0.0, ndimage.median(depth, np.where(skeleton, labels, 0), np.arange(1, n + 1))]
    pen[~np.isfinite(pen)] = 0.0  # a component without skeleton pixels
    inside = (depth > blob * pen[labels]) & (pen[labels] > 0)
    return mask & ~inside if inside.any() else mask


def skeletonise(mask: np.ndarray, skeleton: np.ndarray | None = None) -> np.ndarray:
    """The skeleton of one boolean picture that goes round loops filled with ink (``open_blobs``);
    ``skeleton`` is its plain thinning when already at hand."""
    skeleton = thin(mask) if skeleton is None else skeleton
    opened = open_blobs(mask, skeleton)
    return skeleton if opened is mask else thin(opened)


def trace(skeleton: np.ndarray) -> list[list[list[float]]]:
    """A skeleton as pen-like strokes: paths start at line ends where there are some and go straight on
    through crossings (so a + gives a bar and the two halves of the other bar, as a pen would draw it).
    """
    ys, xs = np.nonzero(skeleton)
    pixels = set(zip(ys.tolist(), xs.tolist(), strict=True))

    def neighbours(p):
        y, x = p
        near = [
            (y + dy, x + dx)
            for dy, dx in ((-1, 0), (0, 1), (1, 0), (0, -1), (-1, 1), (1, 1), (1, -1), (-1, -1))
        ]
        return [q for q in near if q in pixels]

    def straightest(path, options):
        if len(path) < 2:
            return options[0]
        back = path[max(0, len(path) - 5)]
        dy, dx = path[-1][0] - back[0], path[-1][1] - back[1]
        norm = max(1e-9, (dy * dy + dx * dx) ** 0.5)

        def turn(q):
            qy, qx = q[0] - path[-1][0], q[1] - path[-1][1]
            return -(qy * dy + qx * dx) / (norm * (qy * qy + qx * qx) ** 0.5)

        return min(options, key=turn)

    visited: set = set()
    strokes = []
    while len(visited) < len(pixels):
        todo = [p for p in pixels if p not in visited]
        ends = [p for p in todo if len(neighbours(p)) == 1]
        start = min(ends or todo)
        path = [start]
        joined = [q for q in neighbours(start) if q in visited]
        if joined:
            path.insert(0, joined[0])
        visited.add(start)
        while True:
            options = [q for q in neighbours(path[-1]) if q not in visited]
            if not options:
                close = [q for q in neighbours(path[-1]) if q in visited and q not in path[-3:]]
                if close:
                    path.append(close[0])
                break
            nxt = straightest(path, options)
            # corner pixels of a staircase touch both ends of the step: the stroke covers them
            visited.update(q for q in options if q in neighbours(nxt))
            visited.add(nxt)
            path.append(nxt)
        strokes.append([[float(x), float(y)] for y, x in path])
    strokes.sort(key=lambda s: min(p[0] for p in s))
    return strokes


def skeleton_fields(images: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """28×28 uint8 pictures (0 background) thinned to their skeleton and normalised again, which draws them
    with the standard pen: how strokes recovered from such a picture reach the classifier."""
    out = np.empty_like(images)
    for start in tqdm(range(0, len(images), chunk), desc="skeletons", unit="chunk"):
        ink = torch.from_numpy(images[start : start + chunk].astype(np.float32) / 255).unsqueeze(1)
        # at twice the size: a 28×28 skeleton is too coarse to keep the shape of small loops
        big = F.interpolate(ink, scale_factor=2, mode="bilinear", align_corners=False)[:, 0].numpy()
        masks = big > 0.5
        for k, (mask, plain) in enumerate(zip(masks, thin(masks), strict=True)):
            skeleton = skeletonise(mask, plain)
            out[start + k] = np.clip(np.rint((normalise(skeleton.astype(np.float32)) + 0.5) * 255), 0, 255)
    return out
