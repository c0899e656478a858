"""``python -m factpack.site STORE``: (re)write the website of a store."""

from .render import main

raise SystemExit(main())
