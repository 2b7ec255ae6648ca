"""Rule and model detectors for personal data, profanity and sensitive numbers."""

from modlab.detectors.base import DEFAULT_OPTIONS, Detector, DetectorOptions, Match, Mode
from modlab.detectors.masking import apply_masks, merge_spans
from modlab.detectors.registry import detector_names, get_detector, register

__all__ = [
    "DEFAULT_OPTIONS",
    "Detector",
    "DetectorOptions",
    "Match",
    "Mode",
    "apply_masks",
    "detector_names",
    "get_detector",
    "merge_spans",
    "register",
]
