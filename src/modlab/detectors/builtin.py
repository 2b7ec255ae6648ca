"""Imports every built-in detector module so each registers itself."""

from modlab.detectors import email, url  # noqa: F401
