"""Input validation shared by the loss functions: shapes, dtypes and masks.

Every check raises ``ValueError`` with a message that names the offending argument, the
shape or value it had, and what was expected, so a wrong call fails at the loss instead
of producing a silently broadcast (and wrong) number.
"""

from __future__ import annotations

import torch

# Log-probabilities in half precision lose too much to exponentiate ratios near 1 (the
# GSPO clip band is 3e-4 wide), so the math runs in at least float32.
MIN_COMPUTE_DTYPE = torch.float32


def shape_of(t: torch.Tensor) -> tuple[int, ...]:
    return tuple(t.shape)


def require_tensor(name: str, value: object) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    return value


def require_float(name: str, t: torch.Tensor) -> None:
    if not t.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor of log-probabilities, got dtype {t.dtype}")


def compute_dtype(t: torch.Tensor) -> torch.dtype:
    """The dtype the loss math runs in: the input's, promoted to at least float32."""
    return torch.promote_types(t.dtype, MIN_COMPUTE_DTYPE)


def check_token_matrix(name: str, t: torch.Tensor) -> None:
    """``t`` must be a [B, T] matrix of per-token values."""
    require_tensor(name, t)
    if t.dim() != 2:
        raise ValueError(f"{name} must have shape [B, T] (sequences x tokens), got shape {shape_of(t)}")


def check_same_shape(name: str, t: torch.Tensor, ref_name: str, ref: torch.Tensor) -> None:
    require_tensor(name, t)
    if t.shape != ref.shape:
        raise ValueError(
            f"{name} has shape {shape_of(t)} but {ref_name} has shape {shape_of(ref)}; "
            f"expected the same [B, T] shape")


def as_bool_mask(mask: torch.Tensor, ref_name: str, ref: torch.Tensor) -> torch.Tensor:
    """Validate a policy-token mask and return it as bool [B, T].

    Accepts bool or 0/1 numeric masks; any other value is an error rather than a weight,
    because a fractional mask would silently change every normaliser.
    """
    check_same_shape("mask", mask, ref_name, ref)
    if mask.dtype == torch.bool:
        return mask
    bad = (mask != 0) & (mask != 1)
    if bool(bad.any()):
        raise ValueError(f"mask must hold only 0/1 (or bool) values, found {mask[bad][0].item()!r}")
    return mask != 0


def check_per_sequence(name: str, t: torch.Tensor, batch: int) -> None:
    """``t`` must be a [B] vector, one value per sequence (row)."""
    require_tensor(name, t)
    if t.dim() != 1 or t.shape[0] != batch:
        raise ValueError(f"{name} must have shape [B] = ({batch},), got shape {shape_of(t)}")


def check_eps(eps_low: float, eps_high: float) -> None:
    if not 0.0 <= eps_low < 1.0:
        raise ValueError(f"eps_low must be in [0, 1) so that 1 - eps_low > 0, got {eps_low}")
    if not eps_high >= 0.0:
        raise ValueError(f"eps_high must be >= 0, got {eps_high}")


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


def check_positive_count(name: str, value: float | int | None) -> None:
    if value is None:
        return
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(f"{name} must be a scalar count, got a tensor of shape {shape_of(value)}")
        value = value.item()
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")
