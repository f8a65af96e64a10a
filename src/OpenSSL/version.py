"""Version and distribution metadata of pyopenssl-ng.

The API level matches pyOpenSSL 26.4; ``__version__`` is this project's own
version, which follows that level so version checks in downstream code that
ask "is pyOpenSSL at least X" keep working.
"""

__all__ = [
    "__author__",
    "__copyright__",
    "__email__",
    "__license__",
    "__summary__",
    "__title__",
    "__uri__",
    "__version__",
]

__version__ = "26.4.0"

__title__ = "pyopenssl-ng"
__uri__ = "https://github.com/pyopenssl-ng/pyopenssl-ng"
__summary__ = "Python wrapper module around the OpenSSL library"
__author__ = "The pyopenssl-ng developers"
__email__ = "pyopenssl-ng@users.noreply.github.com"
__license__ = "Apache License, Version 2.0"
__copyright__ = f"Copyright 2026 {__author__}"
