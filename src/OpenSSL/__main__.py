"""``python -m OpenSSL``: the command line (see :mod:`OpenSSL._cli`)."""

from __future__ import annotations

import sys

# pyOpenSSL has no __main__: this file survives its overwrite, and says so.
import OpenSSL._install_check  # noqa: F401
from OpenSSL._cli import main

if __name__ == "__main__":
    sys.exit(main())
