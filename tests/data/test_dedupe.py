"""Normalisation, hashes and the MinHash near-duplicate index."""

from __future__ import annotations

from sqlalchemy import update

from modlab.data import dedupe
from modlab.storage.workbench import Example


def test_exact_key_ignores_case_spacing_and_unicode_forms():
    assert dedupe.text_hash("Hello   World") == dedupe.text_hash(" hello world ")
    assert dedupe.text_hash("ｆｕｌｌ width") == dedupe.text_hash("full width")  # NFKC
    assert dedupe.text_hash("hello world!") != dedupe.text_hash("hello world")


def test_shingles_fold_punctuation_and_handle_short_texts():
    assert dedupe.shingles("Ok...") == dedupe.shingles("ok!") == {"ok"}
    assert dedupe.shingles("!!!") == {"!!!"}
    assert dedupe.shingles("abcdef") == {"abcde", "bcdef"}


def test_index_finds_near_duplicates_only():
    texts = [
        "URGENT! Your mobile number has been awarded a 2000 prize. Call 09061790121 now",
        "urgent!! your mobile number has been awarded a 2000 prize, call 09061790121 now!",
        "Are you coming to the football on Saturday?",
    ]
    sh = [dedupe.shingles(t) for t in texts]
    sigs = dedupe.signatures(sh)
    index = dedupe.NearDuplicateIndex(0.8)
    index.add("a", texts[0], sigs[0])
    assert [k for k, _ in index.matches(sh[1], sigs[1])] == ["a"]
    assert index.matches(sh[2], sigs[2]) == []
    # Signatures survive a round trip through the database column.
    restored = dedupe.from_bytes(dedupe.to_bytes(sigs[0]))
    assert list(restored.hashvalues) == list(sigs[0].hashvalues)
    assert dedupe.from_bytes(b"\x00" * 10) is None


def test_examples_without_a_stored_signature_are_still_compared(store, spam):
    store.import_texts(spam, ["Thanks for the birthday wishes :)"], [0])
    with store.db.session() as s:
        s.execute(update(Example).values(minhash=None))
    report = store.import_texts(spam, ["Thanks for the birthday wishes!! :D"], [0])
    assert report.near_duplicates == 1 and report.added == 0
