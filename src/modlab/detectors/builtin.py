"""Imports every built-in detector module so each registers itself."""

from modlab.detectors import address, email, name, phone, profanity, sensitive, url, username  # noqa: F401
