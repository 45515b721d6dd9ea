"""Training (needs the ``train`` extra: torch). Reading plates never imports this package."""
