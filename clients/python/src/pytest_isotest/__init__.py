"""pytest-isotest: a sandbox database per test from `isotest exec`.

The plugin (plugin.py) is loaded by pytest through the `pytest11` entry
point; client.py speaks isotest's socket protocol and may be used on its
own (default_client().acquire(...)).
"""

from .client import (
    Client,
    IsotestError,
    NotUnderIsotest,
    Sandbox,
    default_client,
)

__version__ = "0.2.0"

__all__ = [
    "Client",
    "IsotestError",
    "NotUnderIsotest",
    "Sandbox",
    "default_client",
    "__version__",
]
