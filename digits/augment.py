"""Batch augmentation on 28×28 inputs in [-0.5, 0.5]: small rotations, shifts, scaling and stroke width."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Augment:
    degrees: float = 10.0
    shift: float = 2.0  # pixels
    scale: tuple[float, float] = (0.9, 1.1)
    shear: float = 0.1
    stroke: tuple[float, float] = (-0.4, 0.6)
    """Blend towards an eroded (negative) or dilated (positive) copy: thinner or thicker strokes."""


def augment(x: torch.Tensor, cfg: Augment, generator: torch.Generator | None = None) -> torch.Tensor:
    """A randomly transformed copy of the batch ``x`` (N, 1, 28, 28)."""
    n = x.shape[0]

    def uniform(lo: float, hi: float) -> torch.Tensor:
        return torch.rand(n, generator=generator) * (hi - lo) + lo

    angle = uniform(-cfg.degrees, cfg.degrees) * math.pi / 180
    scale = uniform(*cfg.scale)
    shear = uniform(-cfg.shear, cfg.shear)
    tx, ty = (uniform(-cfg.shift, cfg.shift) * 2 / x.shape[-1] for _ in range(2))
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin + shear, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    ink = x + 0.5  # background 0 so that padding adds no ink
    ink = F.grid_sample(ink, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    amount = uniform(*cfg.stroke).view(n, 1, 1, 1)
    thick = F.max_pool2d(ink, 3, stride=1, padding=1)
    thin = -F.max_pool2d(-ink, 3, stride=1, padding=1)
    ink = torch.where(amount > 0, ink + amount * (thick - ink), ink + (-amount) * (thin - ink))
    return ink.clamp(0, 1) - 0.5
