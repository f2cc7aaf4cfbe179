"""Allows `python -m tuidesk`."""

from tuidesk.cli import main

raise SystemExit(main())
