from equilin.cli import main

raise SystemExit(main())
