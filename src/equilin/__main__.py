"""``python -m equilin``: the command line, :func:`equilin.cli.main`."""

from equilin.cli import main

raise SystemExit(main())
