"""`python -m preview [--out DIR]` (`make preview`)."""

from preview.write import main

raise SystemExit(main())
