"""``python -m equilin.plots DIR``: write the talk's weight-sharing graphs (:mod:`equilin.plots.talk`) to ``DIR``."""

from __future__ import annotations

import sys

from equilin.plots.talk import talk_graphs


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: python -m equilin.plots DIR  (writes the talk's weight-sharing graphs to DIR)",
              file=sys.stderr)
        return 2
    try:
        paths = talk_graphs(args[0])
    except (ImportError, OSError) as exc:
        print(f"equilin.plots: {exc}", file=sys.stderr)
        return 1
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
