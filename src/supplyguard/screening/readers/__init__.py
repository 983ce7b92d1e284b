"""Readers for the official list formats; :func:`read_list` detects the format."""

from supplyguard.screening.readers.detect import FORMATS, detect_format, read_list

__all__ = ["FORMATS", "detect_format", "read_list"]
