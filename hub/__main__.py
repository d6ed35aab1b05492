"""``python -m cuagym.hub serve ...``: same as ``cuagym hub serve``."""

import sys

from cuagym.hub.cli import main

sys.exit(main())
