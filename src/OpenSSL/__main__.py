"""``python -m OpenSSL``: the command line (see :mod:`OpenSSL._cli`)."""

from __future__ import annotations

import sys

from OpenSSL._cli import main

if __name__ == "__main__":
    sys.exit(main())
