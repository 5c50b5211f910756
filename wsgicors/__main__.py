"""``python -m wsgicors``: the same as the ``wsgicors`` command."""

import sys

from wsgicors.cli import main

sys.exit(main())
