"""tuidesk: a terminal help desk for social-media customer care."""

__version__ = "0.1.0"
