"""Extractive question answering over a folder of articles, with verified citations."""

__version__ = "0.1.0"
