"""Imports: files, frames, datasets and the request log; the report; all-or-nothing writes."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from sqlalchemy import func, select

from modlab.data import ImportFailed, ImportSetupError
from modlab.data import importer as importer_mod
from modlab.storage.workbench import Example, ImportBatch, LabelEvent

from .conftest import FILES


def _reasons(report) -> dict:
    return {r.row: r.reason for r in report.rejected}


def _snapshot(store, model):
    """Everything stored about a model's examples and imports."""
    with store.db.session() as s:
        examples = s.execute(
            select(Example.id, Example.text, Example.labels, Example.label_source).order_by(
                Example.id
            )
        ).all()
        batches = s.scalar(select(func.count()).select_from(ImportBatch))
        events = s.scalar(select(func.count()).select_from(LabelEvent))
    return [tuple(r) for r in examples], batches, events


# -- CSV -------------------------------------------------------------------------------------------


def test_csv_index_and_name_labels_with_full_report(store, spam):
    report = store.import_file(spam, FILES / "messages.csv", text_col="text", label_col="label")

    assert report.rows_read == 22
    assert report.rows_read == report.added + report.n_rejected + len(report.duplicates)
    assert report.added == 12
    assert report.added_labelled == 10

    # Rejected rows are named by their line in the file (header = line 1), with a reason.
    reasons = _reasons(report)
    assert reasons == {
        9: "empty text",
        10: "label index '7' out of range 0..1",
        11: "unknown label 'PROMO' (labels: HAM, SPAM)",
        14: "bad encoding: bytes not valid in the file's encoding",
        15: "malformed row: 4 fields, expected 3",
        19: "empty text",
    }
    assert [r.text for r in report.rejected if r.row == 10] == ["See you at the cinema at 8"]

    # Exact duplicates (case/spacing) and near duplicates (punctuation) are merged.
    dups = {d.row: d for d in report.duplicates}
    assert dups[12].kind == "exact" and dups[12].duplicate_of == "row 2"
    assert dups[20].kind == "exact" and dups[20].duplicate_of == "row 5"
    assert dups[20].label_conflict  # labelled SPAM first, HAM the second time: first kept
    assert dups[13].kind == "near" and dups[13].duplicate_of == "row 3"
    assert dups[22].kind == "near" and dups[22].duplicate_of == "row 16"
    assert report.exact_duplicates == 2 and report.near_duplicates == 2

    # Index labels (0 = HAM, 1 = SPAM), names in any case, empty = unlabelled.
    by_text = {e.text: e for e in store.examples(spam)}
    assert by_text["Hey, are we still on for lunch tomorrow?"].labels == ["HAM"]
    assert by_text["Free entry to win a brand new phone! Text WIN to 80086 now"].labels == ["SPAM"]
    assert by_text[
        "URGENT: your account will be suspended. Reply with your PIN to keep it active"
    ].labels == ["SPAM"]
    assert by_text["Call me when you're free"].labels == ["HAM"]
    assert by_text["Running 10 mins late, sorry!"].labels is None
    assert by_text['"Quoted, with a comma" - she said'].labels == ["HAM"]
    assert report.label_distribution == {"HAM": 6, "SPAM": 4}
    assert any("fewer than 100" in w for w in report.warnings)

    # Stored metadata: source, batch, where the row came from, label source.
    ex = by_text["Call me when you're free"]
    assert ex.source == "csv" and ex.batch_id == report.batch_id
    assert ex.source_ref == "messages.csv:21"
    assert ex.label_source == "import"

    summary = report.summary()
    assert "rows read" in summary and "row 11: unknown label 'PROMO'" in summary
    assert report.batch_id is not None
    assert store.imports(spam)[0]["report"]["rows_read"] == 22


def test_reimport_adds_nothing_and_loses_nothing(store, spam):
    first = store.import_file(spam, FILES / "messages.csv", text_col="text", label_col="label")
    before = _snapshot(store, spam)[0]
    again = store.import_file(spam, FILES / "messages.csv", text_col="text", label_col="label")
    assert again.added == 0
    assert len(again.duplicates) == first.added + len(first.duplicates)
    assert all(d.duplicate_of.startswith("example ") for d in again.duplicates)
    assert _snapshot(store, spam)[0] == before


def test_headerless_tsv_by_position_with_name_labels(store, tmp_path):
    store.create_model("ham-spam", ["ham", "spam"], neutral="ham")
    path = tmp_path / "sms.tsv"
    path.write_text('ham\tsee you "soon"\nspam\tWIN cash now\n\nham\t\nfoo\tbar\n', "utf-8")
    report = store.import_file("ham-spam", path, text_col=1, label_col=0, header=False)
    assert report.rows_read == 4  # the blank line is not a row
    assert report.added == 2
    assert _reasons(report) == {4: "empty text", 5: "unknown label 'foo' (labels: ham, spam)"}
    texts, labels = store.training_data("ham-spam")
    assert texts == ['see you "soon"', "WIN cash now"] and labels == ["ham", "spam"]


def test_semicolon_csv_and_bom_and_auto_text_column(store, spam, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes("\ufeffMessage;Klasse\nhallo;0\nhi there;1\n".encode())
    report = store.import_file(spam, path, label_col="klasse")  # case-insensitive header
    assert report.columns == {"text": "Message", "label": "Klasse"}
    assert report.added == 2 and report.label_distribution == {"HAM": 1, "SPAM": 1}


def test_text_too_long_is_rejected(store, spam, tmp_path):
    path = tmp_path / "long.csv"
    pd.DataFrame({"text": ["x" * 10_001, "y" * 10_000], "label": [0, 1]}).to_csv(path, index=False)
    report = store.import_file(spam, path, "text", "label")
    assert _reasons(report) == {2: "text longer than 10,000 characters (10,001)"}
    assert report.added == 1


def test_unknown_column_is_an_error_before_anything_is_written(store, spam):
    with pytest.raises(ImportSetupError, match="no label column 'category'"):
        store.import_file(spam, FILES / "messages.csv", "text", "category")
    with pytest.raises(ImportSetupError, match="unsupported file type"):
        store.import_file(spam, FILES / "conftest.py")
    assert _snapshot(store, spam) == ([], 0, 0)


# -- Excel -----------------------------------------------------------------------------------------


def _write_xlsx(path, rows):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "posts"
    for row in rows:
        ws.append(row)
    wb.save(path)


def test_excel_index_names_empty_and_duplicates(store, spam, tmp_path):
    path = tmp_path / "posts.xlsx"
    _write_xlsx(
        path,
        [
            ["Post", "Label", "Author"],
            ["Buy cheap watches online now!!!", 1, "a"],
            ["lovely weather today", 0, "b"],
            ["what time is the match?", None, "c"],
            ["Lovely weather today", "ham", "d"],  # exact duplicate, same label
            [None, 0, "e"],  # empty text
            ["Buy cheap watches online now!", "SPAM", "f"],  # near duplicate
            ["unknown label here", 3, "g"],
            [12345, 0, "h"],  # numbers are texts too
            [None, None, None],  # empty row: skipped
        ],
    )
    report = store.import_file(spam, path, "Post", "Label", meta_cols=["Author"])
    assert report.columns == {"text": "Post", "label": "Label", "sheet": "posts"}
    assert report.rows_read == 8
    assert report.added == 4
    assert _reasons(report) == {6: "empty text", 8: "label index 3 out of range 0..1"}
    assert {(d.row, d.kind) for d in report.duplicates} == {(5, "exact"), (7, "near")}
    by_text = {e.text: e for e in store.examples(spam)}
    assert by_text["Buy cheap watches online now!!!"].labels == ["SPAM"]
    assert by_text["what time is the match?"].labels is None
    assert by_text["12345"].labels == ["HAM"]
    assert by_text["lovely weather today"].meta == {"Author": "b"}
    assert by_text["lovely weather today"].source == "excel"


def test_excel_sheet_selection_and_missing_sheet(store, spam, tmp_path):
    path = tmp_path / "book.xlsx"
    _write_xlsx(path, [["text"], ["hello"]])
    assert store.import_file(spam, path, sheet=0).added == 1
    with pytest.raises(ImportSetupError, match="no sheet 'nope'"):
        store.import_file(spam, path, sheet="nope")


# -- JSONL, DataFrame, Dataset, records ------------------------------------------------------------


def test_jsonl_with_bad_lines(store, spam, tmp_path):
    path = tmp_path / "rows.jsonl"
    lines = [
        json.dumps({"text": "first message", "label": 0, "lang": "en"}).encode(),
        b'{"text": "broken", ',
        json.dumps({"text": "second message", "label": "spam"}).encode(),
        b'{"text": "caf\xe9"}',
        json.dumps("a bare string is an unlabelled text").encode(),
        json.dumps([1, 2]).encode(),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = store.import_file(spam, path, "text", "label", meta_cols=["lang"])
    reasons = _reasons(report)
    assert reasons[2].startswith("malformed JSON")
    assert reasons[4] == "bad encoding: not valid UTF-8"
    assert reasons[6] == "malformed row: not a JSON object"
    assert report.added == 3
    assert store.find_example(spam, "first message").meta == {"lang": "en"}


def test_dataframe_import(store, spam):
    df = pd.DataFrame(
        {"body": ["one", "two", "three", None], "y": [0, 1, float("nan"), 1]},
        index=["a", "b", "c", "d"],
    )
    report = store.import_dataframe(spam, df, text_col="body", label_col="y")
    assert report.added == 3 and _reasons(report) == {"d": "empty text"}
    assert store.find_example(spam, "three").labels is None
    assert store.find_example(spam, "two").labels == ["SPAM"]


def test_dataset_import_reads_class_labels_by_name(store, spam):
    from datasets import ClassLabel, Dataset, Features, Value

    # The dataset's class order (spam=0) differs from the model's (HAM=0): names decide.
    features = Features({"sms": Value("string"), "label": ClassLabel(names=["spam", "ham"])})
    ds = Dataset.from_dict({"sms": ["win money", "see you"], "label": [0, 1]}, features=features)
    report = store.import_dataset(spam, ds, text_col="sms", label_col="label")
    assert report.added == 2
    assert store.find_example(spam, "win money").labels == ["SPAM"]
    assert store.find_example(spam, "see you").labels == ["HAM"]


def test_multi_label_lists_and_joined_strings(store, topics, tmp_path):
    path = tmp_path / "topics.csv"
    path.write_text(
        "text,labels\n"
        '"match report, 3-1",SPORT\n'
        '"tax on football tickets","POLITICS, MONEY, SPORT"\n'
        "the budget,1|2\n"
        "a poem about rain,NEUTRAL\n"
        'just words,"[]"\n'
        "unlabelled row,\n"
        "bad one,SPORT;WEATHER\n"
        'json list,"[0, ""money""]"\n',
        "utf-8",
    )
    report = store.import_file(topics, path, "text", "labels")
    assert _reasons(report) == {8: "unknown label 'WEATHER' (labels: SPORT, POLITICS, MONEY)"}
    got = {e.text: e.labels for e in store.examples(topics)}
    assert got == {
        "match report, 3-1": ["SPORT"],
        "tax on football tickets": ["SPORT", "POLITICS", "MONEY"],  # schema order
        "the budget": ["POLITICS", "MONEY"],
        "a poem about rain": [],  # labelled: no label applies
        "just words": [],
        "unlabelled row": None,
        "json list": ["SPORT", "MONEY"],
    }
    assert report.label_distribution == {"SPORT": 3, "POLITICS": 2, "MONEY": 3, "NEUTRAL": 2}
    df = pd.DataFrame({"text": ["list cell"], "labels": [["SPORT", "MONEY"]]})
    store.import_dataframe(topics, df, label_col="labels")
    assert store.find_example(topics, "list cell").labels == ["SPORT", "MONEY"]


def test_multi_label_custom_separator(store, topics):
    report = store.import_records(topics, [{"text": "x", "label": "SPORT / MONEY"}], label_sep="/")
    assert report.added == 1
    assert store.find_example(topics, "x").labels == ["SPORT", "MONEY"]


# -- duplicates and labels across imports ----------------------------------------------------------


def test_duplicate_fills_missing_label_but_never_overwrites(store, spam):
    store.import_texts(spam, ["free prize inside", "meet at noon"])  # unlabelled
    ex_id = store.find_example(spam, "meet at noon").id
    store.set_label(ex_id, "HAM", source="argilla", annotator="ann")
    report = store.import_texts(spam, ["Free prize inside!", "meet at noon"], ["SPAM", "SPAM"])
    assert report.added == 0 and report.labels_filled == 1
    assert store.find_example(spam, "free prize inside").labels == ["SPAM"]
    kept = store.get_example(ex_id)
    assert kept.labels == ["HAM"] and kept.label_source == "argilla"  # human label kept
    assert {d.row: d.label_conflict for d in report.duplicates} == {0: False, 1: True}
    assert any("different label" in w for w in report.warnings)


def test_near_duplicates_with_different_labels_are_kept(store, spam):
    report = store.import_texts(
        spam, ["You won a prize, call now", "You won a prize, call now!!"], [1, 0]
    )
    # Same words, different labels: not silently merged, but reported.
    assert report.added == 2 and not report.duplicates
    assert len(report.similar_kept) == 1
    assert any("near-duplicate" in w for w in report.warnings)


def test_near_dedupe_can_be_switched_off(store, spam):
    report = store.import_texts(
        spam,
        ["Thanks for the birthday wishes :)", "Thanks for the birthday wishes!! :D"],
        dedupe_near=False,
    )
    assert report.added == 2


def test_distribution_warnings(store, spam):
    texts = [f"ordinary message number {i}" for i in range(110)] + ["buy now"]
    report = store.import_texts(spam, texts, [0] * 110 + [1], dedupe_near=False)
    assert report.label_distribution == {"HAM": 110, "SPAM": 1}
    assert any("fewer than 100 examples for: SPAM (1)" in w for w in report.warnings)
    assert any("skewed" in w and "110.0x" in w for w in report.warnings)


# -- all or nothing --------------------------------------------------------------------------------


def test_strict_import_with_bad_rows_changes_nothing(store, spam):
    store.import_texts(spam, ["already here"], ["HAM"])
    before = _snapshot(store, spam)
    with pytest.raises(ImportFailed) as info:
        store.import_file(spam, FILES / "messages.csv", "text", "label", strict=True)
    assert info.value.report.n_rejected == 6
    assert _snapshot(store, spam) == before


def test_failure_mid_import_rolls_back_everything(store, spam, monkeypatch):
    store.import_texts(spam, ["already here", "meet at noon"], ["HAM", None])
    before = _snapshot(store, spam)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    # Fails after the examples and label fills have been flushed to the database.
    monkeypatch.setattr(importer_mod, "model_distribution", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        store.import_texts(spam, ["new text", "meet at noon"], ["SPAM", "HAM"])
    assert _snapshot(store, spam) == before


def test_corrupt_file_changes_nothing(store, spam, tmp_path):
    store.import_texts(spam, ["already here"], ["HAM"])
    before = _snapshot(store, spam)
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"this is not a zip file")
    with pytest.raises(ImportSetupError, match="cannot open bad.xlsx"):
        store.import_file(spam, path, "text")
    assert _snapshot(store, spam) == before


def test_dry_run_reports_without_storing(store, spam):
    report = store.import_file(spam, FILES / "messages.csv", "text", "label", dry_run=True)
    assert report.dry_run and report.added == 12 and report.batch_id is None
    assert report.total_examples == 12
    assert _snapshot(store, spam) == ([], 0, 0)


def test_copy_of_fixture_keeps_row_numbers(store, spam, tmp_path):
    # The reported row is the file's line number, even after multi-line quoted fields.
    path = tmp_path / "multi.csv"
    shutil.copy(FILES / "messages.csv", path)
    with path.open("a", encoding="utf-8") as fh:
        fh.write('23,"line one\nline two",0\n24,,1\n')
    report = store.import_file(spam, path, "text", "label")
    assert _reasons(report)[26] == "empty text"
    assert store.find_example(spam, "line one\nline two").source_ref == "multi.csv:24"


# -- the request log ("use previous requests") -----------------------------------------------------


def _log_requests(store):
    from modlab.storage.models import Project, RequestLog

    with store.db.session() as s:
        prod, dev = Project(name="prod"), Project(name="dev")
        s.add_all([prod, dev])
        s.flush()
        day = 86_400_000
        t0 = 1_700_000_000_000
        rows = [
            ("req_1", prod.id, t0, "you are an idiot", True),
            ("req_2", prod.id, t0 + day, "have a nice day", False),
            ("req_3", dev.id, t0 + day, "test test", False),
            ("req_4", prod.id, t0 + 2 * day, "YOU ARE AN IDIOT", True),
            ("req_5", prod.id, t0 + 3 * day, "later text", True),
        ]
        for rid, pid, ts, text, flagged in rows:
            s.add(
                RequestLog(
                    id=rid,
                    project_id=pid,
                    timestamp=ts,
                    value=text,
                    content=text,
                    flagged=flagged,
                    label="TOXICITY" if flagged else None,
                    score=0.9 if flagged else 0.1,
                )
            )
    return t0, day


def test_import_requests_filters_by_project_time_and_flag(store, spam):
    t0, day = _log_requests(store)
    report = store.import_requests(spam, project="prod", since=t0, until=t0 + 3 * day)
    assert report.source == "requests"
    assert report.rows_read == 3 and report.added == 2 and report.exact_duplicates == 1
    ex = store.find_example(spam, "you are an idiot")
    assert ex.labels is None and ex.source == "requests"
    assert ex.meta["request_id"] == "req_1" and ex.meta["predicted_label"] == "TOXICITY"

    flagged = store.import_requests(spam, flagged=True)  # all projects, flagged only
    assert flagged.rows_read == 3 and flagged.added == 1  # only "later text" is new

    dev = store.import_requests(spam, project=["dev"], since="2023-11-14T00:00:00Z")
    assert dev.added == 1
    with pytest.raises(ImportSetupError, match="unknown project"):
        store.import_requests(spam, project="staging")


def test_multi_label_dataset_with_class_label_lists(store, topics):
    from datasets import ClassLabel, Dataset, Features, Sequence, Value

    names = ["MONEY", "SPORT", "POLITICS"]  # another order than the model's
    features = Features({"text": Value("string"), "tags": Sequence(ClassLabel(names=names))})
    ds = Dataset.from_dict(
        {"text": ["wages", "derby", "calm"], "tags": [[0, 2], [1], []]}, features
    )
    report = store.import_dataset(topics, ds, label_col="tags")
    assert report.added == 3
    got = {e.text: e.labels for e in store.examples(topics)}
    assert got == {"wages": ["POLITICS", "MONEY"], "derby": ["SPORT"], "calm": []}


def test_training_set_feeds_the_trainer(store, spam):
    store.import_texts(spam, ["win cash", "lunch at one"], [1, 0])
    ts = store.training_set(spam)
    kwargs = ts.train_kwargs()
    assert kwargs["texts"] == ["win cash", "lunch at one"] and kwargs["labels"] == ["SPAM", "HAM"]
    assert kwargs["label_names"] == ["HAM", "SPAM"] and kwargs["neutral_label"] == "HAM"
    assert kwargs["ids"] == ts.example_ids and kwargs["name"] == spam
    assert store.mark_trained(spam, ts.schema_version, run_id="r1").trained


def test_concurrent_import_of_the_same_text_fails_cleanly(store, spam, monkeypatch):
    real = importer_mod._merge_near

    def racing(*args, **kwargs):
        # Another writer stores one of the texts while this import is between read and write.
        store.add_example(spam, "shared text", "HAM")
        return real(*args, **kwargs)

    monkeypatch.setattr(importer_mod, "_merge_near", racing)
    with pytest.raises(ImportFailed, match="at the same time"):
        store.import_texts(spam, ["shared text", "another text"], ["SPAM", "HAM"])
    assert [e.text for e in store.examples(spam)] == ["shared text"]
