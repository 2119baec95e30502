"""kbgen: resolved support cases in, a self-help knowledge base and a top-issues page out."""

__version__ = "0.1.0"
