"""Imports every built-in detector module so each registers itself."""

from modlab.detectors import address, email, phone, sensitive, url, username  # noqa: F401
