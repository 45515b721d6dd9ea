"""Plate detector: strided conv stages, a top-down FPN to stride 4, a CenterNet-style head.

Per stride-4 cell the head predicts a plate-centre score, the centre's sub-cell offset, the box
size (log, in cells) and the four plate corners relative to the centre (in box widths / heights),
so a tilted plate can be rectified before it is read. The exported graph also marks local maxima
of the score map, leaving only thresholding to numpy at run time.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from platereader.models import register
from platereader.models.config import DetectorConfig
from platereader.models.ctc_cnn import conv_bn

# Output channels: score logit, centre offset (2), log size (2), corners (8).
HEAD_CHANNELS = 13


def strided_stage(cin: int, cout: int) -> nn.Sequential:
    """Halve the resolution, then one more 3x3 conv at the new scale."""
    down = nn.Sequential(nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))
    return nn.Sequential(down, conv_bn(cout, cout))


@register("plate_det")
class PlateDetector(nn.Module):
    def __init__(self, config: DetectorConfig):
        super().__init__()
        self.config = config
        c = config.channels
        self.stem = nn.Sequential(nn.Conv2d(3, c[0], 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c[0]), nn.ReLU(inplace=True))
        self.stages = nn.ModuleList(strided_stage(c[i], c[i + 1]) for i in range(4))  # strides 4, 8, 16, 32
        n = config.neck_channels
        self.laterals = nn.ModuleList(nn.Conv2d(ch, n, 1) for ch in c[1:])
        self.smooth = conv_bn(n, n)
        self.head = nn.Conv2d(n, HEAD_CHANNELS, 1)
        nn.init.constant_(self.head.bias[:1], -4.0)  # start with "no plate anywhere" (focal-loss practice)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N x 3 x H x W in [-1, 1] (H, W multiples of 32) -> N x 13 x H/4 x W/4 raw head outputs."""
        features = []
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        top = self.laterals[-1](features[-1])
        for lateral, feature in zip(reversed(self.laterals[:-1]), reversed(features[:-1]), strict=True):
            top = lateral(feature) + F.interpolate(top, size=feature.shape[-2:], mode="nearest")
        return self.head(self.smooth(top))


class DetectorExport(nn.Module):
    """The run-time graph: scores through a sigmoid, zeroed where they are not a 3x3 local maximum."""

    def __init__(self, model: PlateDetector):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.model(x)
        score = out[:, :1].sigmoid()
        peaks = score * (F.max_pool2d(score, 3, stride=1, padding=1) == score).float()
        return torch.cat([peaks, out[:, 1:]], 1)
