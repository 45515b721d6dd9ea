"""platereader: read European vehicle number plates end to end."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["Reader", "__version__"]


def __getattr__(name: str):
    if name == "Reader":  # imported lazily so that `import platereader` stays light
        from platereader.api import Reader

        return Reader
    raise AttributeError(name)
