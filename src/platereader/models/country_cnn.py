"""Country classifier: the corner finder's conv stages, and two fully connected layers that score
each of the config's countries.

Plates read one character short (a narrow ``I`` dropped) or with a look-alike still fit some
country's format among the 39, so the grammar lets them through; they rarely fit the plate's own
country's. Which country a crop shows is in its layout, band, colours as grey, font and character
groups, and a small network learns it from generated plates.
"""

from __future__ import annotations

import torch
from torch import nn

from platereader.models import register
from platereader.models.config import CountryConfig
from platereader.models.corner_cnn import pooled_features


@register("country_cnn")
class CountryCnn(nn.Module):
    def __init__(self, config: CountryConfig):
        super().__init__()
        self.config = config
        self.features, size = pooled_features(config)
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(size, config.hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(config.dropout),
            nn.Linear(config.hidden, len(config.countries)),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N x 1 x H x W grey in [-1, 1] -> N x countries logits."""
        return self.head(self.features(x))
