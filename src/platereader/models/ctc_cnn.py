"""CTC-read CNN: conv stages, the remaining feature rows reduced to one sequence, CTC over columns.

Two-row plates reach it unfolded into one row by pre-processing (runtime.preprocess.prepare_crop).
"""

from __future__ import annotations

import torch
from torch import nn

from platereader.models import register
from platereader.models.config import ModelConfig


def conv_bn(cin: int, cout: int, stride: tuple[int, int] = (1, 1)) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class ContextBlock(nn.Module):
    """Residual 1-D conv over the column sequence."""

    def __init__(self, channels: int, kernel: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(channels, channels, kernel, padding=kernel // 2, bias=False), nn.BatchNorm1d(channels), nn.ReLU(inplace=True)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


@register("ctc_cnn")
class CtcCnn(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        cin = 1
        height = config.input_height
        for cout, (ph, pw), (sh, sw) in zip(config.channels, config.pools, config.stage_strides, strict=True):
            layers.append(conv_bn(cin, cout, (sh, sw)))
            if (ph, pw) != (1, 1):
                layers.append(nn.MaxPool2d((ph, pw)))
            height = -(-height // sh) // ph  # a strided 3x3 conv with padding 1 rounds up
            cin = cout
        if height < 1:
            raise ValueError(f"{config.name}: strides and pools shrink {config.input_height} px of height below one feature row")
        self.backbone = nn.Sequential(*layers)
        seq_channels = cin * height if config.row_reduce == "flatten" else cin
        head: list[nn.Module] = []
        if config.context_blocks:
            head += [nn.Conv1d(seq_channels, config.head_channels, 1), nn.ReLU(inplace=True)]
            head += [ContextBlock(config.head_channels, config.context_kernel) for _ in range(config.context_blocks)]
        else:
            head += [nn.Conv1d(seq_channels, config.head_channels, 3, padding=1), nn.ReLU(inplace=True)]
        head += [nn.Dropout(0.1), nn.Conv1d(config.head_channels, config.num_classes * config.steps_per_column, 1)]
        self.head = nn.Sequential(*head)

    def adapt_init(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Fine-tuning weights (``train --init``) made to fit: see ``tile_classifier``."""
        return tile_classifier(state, self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N x 1 x H x W in [-1, 1] -> N x T x classes log-probabilities (T = feature columns x
        steps per column)."""
        features = self.backbone(x)  # N x C x H' x W'
        # "flatten": N x (C * H') x W'; "max": N x C x W', the strongest response in each column
        seq = features.flatten(1, 2) if self.config.row_reduce == "flatten" else features.amax(dim=2)
        logits = self.head(seq)  # N x (steps x classes) x W'
        n, _, width = logits.shape
        k = self.config.steps_per_column
        # Column w's k steps become steps w*k .. w*k+k-1.
        steps = logits.reshape(n, k, self.config.num_classes, width).permute(0, 3, 1, 2).reshape(n, width * k, -1)
        return steps.log_softmax(-1)


def tile_classifier(state: dict[str, torch.Tensor], model: CtcCnn) -> dict[str, torch.Tensor]:
    """Weights of a ``CtcCnn`` with one step per column, made to fit ``model`` with k: each column's
    k steps start as copies of its one step, so the network reads as before (CTC merges a
    character repeated in consecutive steps) and fine-tuning can then split them."""
    own = model.state_dict()
    key = next(k for k in reversed(own) if k.endswith(".weight"))  # the classifier's
    bias = key.removesuffix("weight") + "bias"
    k = model.config.steps_per_column
    wanted = own[key].shape[0]
    if k == 1 or key not in state or state[key].shape[0] * k != wanted:
        return state
    return {**state, key: state[key].repeat(k, 1, 1), bias: state[bias].repeat(k)}
