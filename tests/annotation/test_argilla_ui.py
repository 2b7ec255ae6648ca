"""An annotator logs in to the real Argilla UI in headless Chromium and submits one label."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field

import pytest

from modlab.annotation import argilla_stack, argilla_sync
from modlab.settings import Settings

from .conftest import ANNOTATOR_PASSWORD

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)


@dataclass
class Schema:
    name: str = "sentiment"
    multi_label: bool = False
    labels: list[dict] = field(
        default_factory=lambda: [
            {"name": "POSITIVE", "description": "Approving, happy, thankful."},
            {"name": "NEGATIVE", "description": "Critical, angry, sad."},
            {"name": "NEUTRAL", "description": "Neither."},
        ]
    )


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (dev extra) missing")
    from selenium.webdriver.chrome.service import Service

    try:
        chromium, chromedriver = argilla_stack.ensure_chromium()
    except argilla_stack.ArgillaStackError as exc:
        pytest.skip(f"Debian chromium + chromium-driver cannot be installed here: {exc}")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.TemporaryDirectory(prefix="modlab-chromium-")
    options.add_argument(f"--user-data-dir={profile.name}")
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()
        profile.cleanup()


def test_annotator_submits_a_label_in_the_ui(argilla_stack: Settings, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    argilla = argilla_sync.client(argilla_stack)
    records = [{"id": f"ui-{i}", "text": f"I really liked product number {i}"} for i in range(3)]
    dataset = argilla_sync.push_records(
        "ui-check",
        Schema(),
        records,
        suggestions=["POSITIVE"] * 3,
        agent="sentiment-v0",
        annotators=["ui-annotator"],
        annotator_password=ANNOTATOR_PASSWORD,
        argilla=argilla,
    )
    wait = WebDriverWait(browser, 90)

    browser.get(f"{argilla_stack.argilla_url}/sign-in")
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "input[name=Username]"))).send_keys(
        "ui-annotator"
    )
    browser.find_element(By.CSS_SELECTOR, "input[name=Password]").send_keys(ANNOTATOR_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # The home page lists the annotator's datasets once the login went through.
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "a[href*='/dataset/']")))

    browser.get(f"{argilla_stack.argilla_url}/dataset/{dataset.id}/annotation-mode")
    # The model's suggestion is pre-selected; the annotator picks NEGATIVE instead and submits.
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "label[for=label_NEGATIVE]"))).click()
    wait.until(ec.element_located_to_be_selected((By.ID, "label_NEGATIVE")))
    browser.find_element(By.CSS_SELECTOR, "button.button--submit").click()

    deadline = time.monotonic() + 60
    rows: list[dict] = []
    while time.monotonic() < deadline:
        rows = argilla_sync.pull_responses("ui-check", argilla=argilla)
        if rows:
            break
        time.sleep(1)
    assert len(rows) == 1, rows
    row = rows[0]
    assert row["user"] == "ui-annotator"
    assert row["label"] == "NEGATIVE"
    assert row["status"] == "submitted"
    assert row["record_id"] in {r["id"] for r in records}
