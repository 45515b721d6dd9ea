"""Corner finder: conv stages, then two fully connected layers regress a crop's four plate corners.

A detector's box, or a crop a user cut, holds the plate with loose, uneven margins and often a
slope; cut out by its corners (``detection.rectify.rectify``) the plate fills the recognizer's
input as in training. The outputs are the corners TL, TR, BR, BL as (x, y) shares of the crop's
width and height, regressed from the crop's centre (0.5).
"""

from __future__ import annotations

import torch
from torch import nn

from platereader.models import register
from platereader.models.config import CornerConfig
from platereader.models.ctc_cnn import conv_bn


def pooled_features(config: CornerConfig) -> tuple[nn.Sequential, int]:
    """A strided stem and the config's conv stages, each stage halved by a max-pool; and how many
    values the flattened output holds."""
    layers: list[nn.Module] = [conv_bn(1, config.stem_channels, stride=(2, 2))]
    cin = config.stem_channels
    for stage in config.stages:
        for cout in stage:
            layers.append(conv_bn(cin, cout))
            cin = cout
        layers.append(nn.MaxPool2d(2))
    cells = (config.input_height * config.input_width) // 4 ** (len(config.stages) + 1)
    return nn.Sequential(*layers), cin * cells


@register("corner_cnn")
class CornerCnn(nn.Module):
    def __init__(self, config: CornerConfig):
        super().__init__()
        self.config = config
        self.features, size = pooled_features(config)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(size, config.hidden), nn.ReLU(inplace=True), nn.Linear(config.hidden, 8))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N x 1 x H x W grey in [-1, 1] -> N x 8 corner coordinates (shares of the crop)."""
        return self.head(self.features(x)) + 0.5
