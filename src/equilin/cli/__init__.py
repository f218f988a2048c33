"""equilin.cli."""

from equilin.cli.main import UsageError, main

__all__ = [
    "UsageError",
    "main",
]
