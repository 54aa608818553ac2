"""``python -m amails_fem``: the amails-fem command."""

import sys

from amails_fem.cli import main

sys.exit(main())
