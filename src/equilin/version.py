"""The installed version of equilin, read from the package metadata (``pyproject.toml``)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION: str = version("equilin")
except PackageNotFoundError:  # run from a source tree that was never installed
    VERSION = "0+unknown"

__all__ = ["VERSION"]
