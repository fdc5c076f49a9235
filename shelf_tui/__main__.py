"""`python -m shelf_tui` is the `shelf` command."""

from shelf_tui.cli import main

raise SystemExit(main())
