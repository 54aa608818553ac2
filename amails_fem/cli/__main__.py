import sys

from amails_fem.cli import main

sys.exit(main())
