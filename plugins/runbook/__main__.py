"""`python -m runbook`: the command line (see `runbook.adapters.cli`)."""

import sys

from runbook.adapters.cli import main

sys.exit(main())
