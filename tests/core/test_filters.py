from __future__ import annotations

import pytest

from modlab.projects.filters import FilterError, default_filter, merge_filter, validate_filter


def test_default_filter_has_the_four_pii_detectors_with_masks():
    flt = default_filter()
    assert sorted(flt) == ["address", "email", "phone", "url"]
    assert flt["phone"] == {"enabled": True, "mode": "NORMAL", "mask": "{{ phone hidden }}"}


def test_validate_fills_default_mask_and_keeps_components_for_name():
    flt = validate_filter({"name": {"components": ["last"]}, "toxicity": {"thresholds": {}}})
    assert flt["name"]["mask"] == "{{ name hidden }}"
    assert flt["name"]["components"] == ["last"]
    assert flt["toxicity"] == {"enabled": True, "thresholds": {}}


def test_custom_model_keys_need_to_exist():
    with pytest.raises(FilterError, match="my-model"):
        validate_filter({"my-model": {"enabled": True}})
    ok = validate_filter({"my-model": {"thresholds": {"SPAM": 0.7}}}, known_models={"my-model"})
    assert ok["my-model"]["thresholds"] == {"SPAM": 0.7}


@pytest.mark.parametrize(
    "raw",
    [
        [],
        {"email": "on"},
        {"name": {"components": ["nickname"]}},
        {"openai": {"thresholds": {"hate": -0.1}}},
    ],
)
def test_invalid_filters_raise(raw):
    with pytest.raises(FilterError):
        validate_filter(raw)


def test_merge_patches_fields_and_none_removes():
    merged = merge_filter(
        {"email": {"enabled": True, "mode": "NORMAL"}, "url": {"enabled": True}},
        {"email": {"mode": "PARANOID"}, "url": None},
    )
    assert merged == {"email": {"enabled": True, "mode": "PARANOID"}}
