"""The policy-value network: a fully convolutional stack that reads feature planes and scores every point.

Two bodies share the same heads:

* ``resnet``: a residual tower (``blocks`` x ``filters``), as in AlphaGo Zero;
* ``plain``: AlphaGo's SL policy stack, a 5x5 first layer then ``blocks`` 3x3 layers, no skip connections.

The policy head gives ``size*size + 1`` logits (pass last) and the value head a ``tanh`` value in [-1, 1] from
the side to move's view. An optional ownership head (``ownership``, KataGo's auxiliary target) gives one logit per
point for "the side to move owns this point at the end"; it shapes the shared body during training and play does
not need it. Nothing depends on the board size, so one model runs on any size.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
import torch.nn.functional as F

from goengine.features import DEFAULT_FEATURES


@dataclass
class ModelConfig:
    body: str = "resnet"  # "resnet" or "plain"
    blocks: int = 6
    filters: int = 64
    in_planes: int = DEFAULT_FEATURES.num_planes
    value_hidden: int = 128
    pooling: bool = False  # 2x2 max pooling after the first layer (an ablation: AlphaGo uses none)
    ownership: bool = False  # an ownership head beside the policy and value heads

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ModelConfig":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        unknown = set(data) - set(known)
        if unknown:
            raise ValueError(f"unknown model settings {sorted(unknown)}")
        config = cls(**known)
        config.validate()
        return config

    def validate(self) -> None:
        if self.body not in ("resnet", "plain"):
            raise ValueError(f"body must be 'resnet' or 'plain', got {self.body!r}")
        if self.blocks < 1 or self.filters < 1:
            raise ValueError("blocks and filters must be positive")


class ResidualBlock(nn.Module):
    def __init__(self, filters: int):
        super().__init__()
        self.conv1 = nn.Conv2d(filters, filters, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(filters)
        self.conv2 = nn.Conv2d(filters, filters, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(filters)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(x + y)


class PolicyValueNet(nn.Module):
    """``forward(planes[B, C, N, N]) -> (policy_logits[B, N*N + 1], value[B])``."""

    def __init__(self, config: ModelConfig | None = None):
        super().__init__()
        self.config = config or ModelConfig()
        self.config.validate()
        c = self.config
        if c.body == "resnet":
            self.stem = nn.Sequential(nn.Conv2d(c.in_planes, c.filters, 3, padding=1, bias=False),
                                      nn.BatchNorm2d(c.filters), nn.ReLU(inplace=True))
            self.body = nn.Sequential(*[ResidualBlock(c.filters) for _ in range(c.blocks)])
        else:
            self.stem = nn.Sequential(nn.Conv2d(c.in_planes, c.filters, 5, padding=2), nn.ReLU(inplace=True))
            self.body = nn.Sequential(*[layer for _ in range(c.blocks)
                                        for layer in (nn.Conv2d(c.filters, c.filters, 3, padding=1),
                                                      nn.ReLU(inplace=True))])
        self.pool = nn.MaxPool2d(2, ceil_mode=True) if c.pooling else None
        self.policy_conv = nn.Conv2d(c.filters, 2, 1)
        self.pass_fc = nn.Linear(2, 1)  # pass logit from the pooled policy features
        self.value_conv = nn.Conv2d(c.filters, 1, 1)
        self.value_fc1 = nn.Linear(1 + c.filters, c.value_hidden)
        self.value_fc2 = nn.Linear(c.value_hidden, 1)
        self.ownership_conv = nn.Conv2d(c.filters, 1, 1) if c.ownership else None

    def forward(self, planes: torch.Tensor, ownership: bool = False):
        """(policy logits, value); with ``ownership`` also the ownership logits [B, N*N] (the side to move's)."""
        if planes.dim() != 4:
            raise ValueError(f"expected planes of shape [batch, {self.config.in_planes}, N, N], "
                             f"got {tuple(planes.shape)}")
        if planes.shape[1] != self.config.in_planes:
            raise ValueError(f"expected {self.config.in_planes} input planes, got {planes.shape[1]}")
        size = planes.shape[-1]
        x = self.stem(planes)
        if self.pool is not None:
            x = self.pool(x)
        x = self.body(x)
        if self.pool is not None:  # back to one cell per point
            x = F.interpolate(x, size=(size, size), mode="nearest")
        p = self.policy_conv(x)  # [B, 2, N, N]: channel 0 the point logits, channel 1 feeds the pass logit
        point_logits = p[:, 0].flatten(1)
        pass_logit = self.pass_fc(p.mean(dim=(2, 3)))
        logits = torch.cat([point_logits, pass_logit], dim=1)
        v = self.value_conv(x).mean(dim=(2, 3))
        pooled = x.mean(dim=(2, 3))
        v = F.relu(self.value_fc1(torch.cat([v, pooled], dim=1)))
        value = torch.tanh(self.value_fc2(v)).squeeze(1)
        if not ownership:
            return logits, value
        if self.ownership_conv is None:
            raise ValueError("this network has no ownership head")
        return logits, value, self.ownership_conv(x).flatten(1)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
