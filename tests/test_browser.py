"""The Streamlit page in a real browser: Debian's Chromium driven by Selenium.

Starts the page with `ess serve` on a free loopback port over the real index, types
a question into « Votre question », presses Enter and waits for the cited answer.
The seconds from Enter to the answer are printed and written to
tests/artifacts/timing.txt (never asserted on); the page is saved as
tests/artifacts/page.png. At 390 and 1280 px, every tab is checked for English shown or
read aloud, `lang="fr"`, contrast (tests/contrast.js) and layout, and saved as
tests/artifacts/<screen>-<width>.png. Uploads go through the editor secret.
Without /usr/bin/chromium and /usr/bin/chromedriver
(`bash scripts/setup` installs them) the test is skipped, except under CI=true,
where it fails: CI must run it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import stop

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
QUESTION = "Comment financer les entreprises de l'ESS ?"
EXPECTED = ("Réponse", "[1]", "recommandation n°")
INPUT = 'input[aria-label="Votre question"], [data-testid="stTextInput"] input'
RUNNING = '[data-testid="stApp"][data-test-script-state="running"]'  # the script still runs
TIMEOUT = 60  # seconds, for the page to start and for the answer to show
MISSING = " and ".join(str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file())
REASON = f"{MISSING} missing: `bash scripts/setup` installs chromium and chromium-driver"
if MISSING and os.environ.get("CI") != "true":
    pytest.skip(REASON, allow_module_level=True)  # before the real index is built


@contextlib.contextmanager
def serve(index_dir, log, secret: str | None = None):
    """The page, started as users start it (`ess serve`) over the given index, until the
    block ends; uploads offered only with an editor `secret`."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "ess", "serve", "--index", str(index_dir),
               "--port", str(port)]
    env = {name: value for name, value in os.environ.items()
           if name not in ("ESS_EDITOR_PASSWORD", "ESS_EDITOR_PASSWORD_FILE")}
    env["ESS_INDEX"] = str(index_dir)
    if secret is not None:
        env["ESS_EDITOR_PASSWORD"] = secret
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                  env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(f"ess serve exited ({server.returncode}):\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"ess serve not healthy after {TIMEOUT} s:\n{log.read_text()}")
            time.sleep(0.25)
        yield url
    finally:
        stop(server)


EDITOR = "sésame des éditeurs"


@pytest.fixture
def page_url(real_index, tmp_path):
    with serve(real_index, tmp_path / "streamlit.log", EDITOR) as url:
        yield url


@pytest.fixture
def browser(tmp_path):
    """Debian's headless Chromium; Selenium Manager is never asked for anything."""
    if MISSING:
        pytest.fail(f"CI must run the browser test, but {REASON}", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--window-size=1280,1600",
                     f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()  # stops chromedriver too: terminate, then kill after a bounded wait


def test_question_gets_a_cited_answer(browser, page_url):
    browser.get(page_url)
    box = WebDriverWait(browser, TIMEOUT).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, INPUT)))
    box.send_keys(QUESTION)
    start = time.perf_counter()
    box.send_keys(Keys.ENTER)

    def page_text(driver=browser) -> str:
        return driver.find_element(By.TAG_NAME, "body").text

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        WebDriverWait(browser, TIMEOUT, poll_frequency=0.1).until(
            lambda driver: all(part in page_text(driver) for part in EXPECTED))
    except TimeoutException:
        browser.save_screenshot(str(ARTIFACTS / "page.png"))
        pytest.fail(f"no answer with {EXPECTED} within {TIMEOUT} s; page text:\n"
                    f"{page_text()}\nscreenshot: {ARTIFACTS / 'page.png'}")
    first = time.perf_counter() - start
    finished = lambda driver: not driver.find_elements(By.CSS_SELECTOR, RUNNING)  # noqa: E731
    WebDriverWait(browser, TIMEOUT).until(finished)  # the page drawn whole, for the screenshot
    browser.save_screenshot(str(ARTIFACTS / "page.png"))

    # A second question, the page warm: what a user waits for from then on.
    box = browser.find_element(By.CSS_SELECTOR, INPUT)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("Comment lutter contre la fracture numérique ?")
    start = time.perf_counter()
    box.send_keys(Keys.ENTER)
    WebDriverWait(browser, TIMEOUT, poll_frequency=0.05).until(
        lambda driver: "Lutter contre la fracture numérique" in page_text(driver)
        and finished(driver))
    second = time.perf_counter() - start
    timing = f"enter-to-answer: first question {first:.2f} s, second question {second:.2f} s"
    print(timing)
    (ARTIFACTS / "timing.txt").write_text(timing + "\n")


def open_tab(driver, label: str) -> None:
    """Click the tab with that label once it is drawn, and wait until it is the open one.

    Streamlit draws the tabs one message at a time and redraws them as the page reruns:
    the tab is looked for by its label, afresh until a click lands on a live element.
    """
    def selected(driver) -> bool:
        tabs = [t for t in driver.find_elements(By.CSS_SELECTOR, '[role="tab"]')
                if t.text.strip() == label]
        if not tabs:
            return False
        if tabs[0].get_attribute("aria-selected") != "true":
            # Not under the page's sticky header, once the page has been scrolled.
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", tabs[0])
            tabs[0].click()
            return False
        return True

    WebDriverWait(driver, TIMEOUT, poll_frequency=0.1,
                  ignored_exceptions=(StaleElementReferenceException,)).until(selected)


def click_add(driver) -> bool:
    """Click « Ajouter au corpus… » if it is on the page (stale elements raise)."""
    button = next((b for b in driver.find_elements(By.TAG_NAME, "button")
                   if "Ajouter au corpus" in b.text), None)
    if button is None:
        return False
    button.click()
    return True


def enter_as_editor(driver, secret: str = EDITOR) -> None:
    """Open « Ajouter », give the editor secret and wait for the uploader."""
    open_tab(driver, "Ajouter")
    box = WebDriverWait(driver, TIMEOUT).until(EC.element_to_be_clickable(
        (By.CSS_SELECTOR, 'input[type="password"]')))
    box.send_keys(secret)
    box.send_keys(Keys.ENTER)
    WebDriverWait(driver, TIMEOUT).until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, 'input[type="file"]')))


def upload_from_the_page(driver, url: str, path: Path, awaited: str) -> str:
    """Add `path` from « Ajouter », as an editor; the page's text once `awaited` is in it."""
    driver.get(url)
    enter_as_editor(driver)
    WebDriverWait(driver, TIMEOUT).until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, 'input[type="file"]'))).send_keys(str(path))
    # The page reruns as the tab opens and the file arrives: find the button afresh
    # until a click lands on a live one.
    WebDriverWait(driver, TIMEOUT, ignored_exceptions=(StaleElementReferenceException,)
                  ).until(click_add)
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: awaited in d.find_element(By.TAG_NAME, "body").text)
    return driver.find_element(By.TAG_NAME, "body").text


def test_a_document_added_from_the_page_is_answered_at_once(browser, tmp_path):
    from ingest.build import build

    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(ROOT / "corpus", corpus)  # the upload writes here, not into the repository
    build(corpus, index_dir, show_progress=False)
    report = tmp_path / "nouveau-rapport.md"
    report.write_text("# Rapport 2025\n\n## FINANCE\n\n1. Créer une banque des semences "
                      "paysannes solidaire.\n", encoding="utf-8")
    with serve(index_dir, tmp_path / "streamlit.log", EDITOR) as url:
        upload_from_the_page(browser, url, report,
                             "nouveau-rapport.md ajouté : 1 passage (1 ajouté")
    assert (corpus / "nouveau-rapport.md").read_bytes() == report.read_bytes()
    from index.search import Searcher

    (hit,) = Searcher(index_dir).search("banque des semences paysannes", 1)
    assert hit.passage.source == "nouveau-rapport.md" and hit.passage.item == 1


def test_an_unusable_upload_from_the_page_is_refused_and_kept_out_of_the_corpus(browser,
                                                                               tmp_path):
    from ingest.build import build

    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "2026-geneve-synthese-rencontres-mont-blanc.txt", corpus)
    build(corpus, index_dir, show_progress=False)
    blank = tmp_path / "vide.txt"
    blank.write_bytes(b"  \n\n\t\n")
    refusal = ("« vide.txt » n'a pas été ajouté : fichier vide : ajoutez-y du texte. Le fichier "
               "a été mis de côté ; corrigez-le ou enregistrez-le dans un autre format, puis "
               "réessayez.")
    with serve(index_dir, tmp_path / "streamlit.log", EDITOR) as url:
        text = upload_from_the_page(browser, url, blank, "n'a pas été ajouté")
    assert refusal in text
    assert "vide.txt ajouté" not in text and "Traceback" not in text and str(tmp_path) not in text
    assert sorted(p.name for p in corpus.iterdir()) == [
        "2026-geneve-synthese-rencontres-mont-blanc.txt"]
    assert (index_dir / "quarantine" / "vide.txt").read_bytes() == blank.read_bytes()


# English a reader could see or hear on the page (text, aria-label, title, placeholder).
ENGLISH = ["Press Enter", "submit form", "Upload", "Drag and drop", "Browse files",
           "per file", "Limit", "Running", "Skip to main content", "Link to heading",
           "Expand sidebar", "Collapse sidebar", "Main menu", "Fullscreen", "Open", "Close",
           "No results", "Show password", "Hide password", "Clear", "Sidebar", "Search",
           "Download", "Stop", "/2000"]
HEARD = """return [...document.querySelectorAll('[aria-label], [title], [placeholder]')]
  .filter(e => !e.closest('[aria-hidden="true"]'))
  .flatMap(e => ['aria-label', 'title', 'placeholder'].map(a => e.getAttribute(a)))
  .filter(Boolean);"""
SEEN = """const out = [];
const all = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (all.nextNode()) { const node = all.currentNode, el = node.parentElement;
  if (!node.nodeValue.trim() || !el || el.closest('[aria-hidden="true"]')) continue;
  if (!el.checkVisibility({visibilityProperty: true})) continue;
  const box = el.getBoundingClientRect(); if (box.width && box.height) out.push(node.nodeValue); }
return out;"""
CONTRAST = (Path(__file__).parent / "contrast.js").read_text(encoding="utf-8")


def english_in(driver) -> list[str]:
    """The English phrases of ENGLISH the page shows or says, each with where it is."""
    import re

    found = []
    for where, texts in (("seen", driver.execute_script(SEEN)),
                         ("heard", driver.execute_script(HEARD))):
        for text in texts:
            found += [f"{where}: {phrase!r} in {text[:80]!r}" for phrase in ENGLISH
                      if re.search(rf"(?<![\w/]){re.escape(phrase)}(?!\w)", text)]
    return found


def low_contrast(driver) -> list[dict]:
    """Every visible text under 4.5:1 against what is behind it (WCAG 2 AA)."""
    return [row for row in driver.execute_script(CONTRAST) if row["ratio"] < 4.5]


def settle(driver) -> None:
    WebDriverWait(driver, TIMEOUT, poll_frequency=0.1).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, RUNNING))
    time.sleep(0.5)  # the last message drawn


SCREENS = {390: 844, 1280: 900}  # a phone (390 × 844 CSS pixels) and a laptop


@pytest.mark.parametrize("width", sorted(SCREENS))
def test_the_page_is_french_readable_and_answers_first_at(width, browser, page_url):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": SCREENS[width], "deviceScaleFactor": 1,
        "mobile": width < 600})
    browser.get(page_url)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    box = WebDriverWait(browser, TIMEOUT).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, INPUT)))
    settle(browser)
    assert browser.execute_script("return document.documentElement.lang") == "fr"
    # The tabs are all within the screen's width, none cut.
    tabs = browser.find_elements(By.CSS_SELECTOR, '[role="tab"]')
    assert [t.text for t in tabs] == ["Question", "Thèmes", "Carte", "Ajouter"]
    for tab in tabs:
        left, right = browser.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return [r.left, r.right];", tab)
        assert 0 <= left and right <= browser.execute_script("return innerWidth"), tab.text
    box.send_keys(QUESTION)
    # Nothing drawn over the typed question (no counter, no « Press Enter »).
    covering = browser.execute_script("""
        const box = arguments[0], r = box.getBoundingClientRect(), hits = [];
        for (const x of [r.right - 8, r.right - 60, r.right - 120]) {
          const top = document.elementFromPoint(x, r.top + r.height / 2);
          if (top !== box) hits.push(top.outerHTML.slice(0, 120)); }
        return hits;""", box)
    assert covering == []
    browser.save_screenshot(str(ARTIFACTS / f"question-{width}.png"))
    problems += english_in(browser)
    box.send_keys(Keys.ENTER)
    WebDriverWait(browser, TIMEOUT, poll_frequency=0.1).until(
        lambda d: all(part in d.find_element(By.TAG_NAME, "body").text for part in EXPECTED))
    settle(browser)
    # The answer is on the first screen, without scrolling past the examples: its
    # heading and first lines at least.
    answer = browser.find_element(By.CSS_SELECTOR, ".ess-answer")
    top = browser.execute_script("return arguments[0].getBoundingClientRect().top", answer)
    assert 0 <= top and top + 60 <= browser.execute_script("return innerHeight"), top
    assert "pertinence 0," in browser.find_element(By.TAG_NAME, "body").text
    browser.save_screenshot(str(ARTIFACTS / f"page-{width}.png"))
    context = next(e for e in browser.find_elements(By.CSS_SELECTOR, "summary")
                   if "Voir le passage dans son contexte" in e.text)
    context.click()
    WebDriverWait(browser, TIMEOUT).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, ".ess-context")))
    assert "###" not in browser.find_element(By.CSS_SELECTOR, ".ess-context").text
    problems += english_in(browser)
    problems += [f"contrast on Question: {row}" for row in low_contrast(browser)]
    for label in ("Thèmes", "Carte"):
        open_tab(browser, label)
        settle(browser)
        browser.save_screenshot(str(ARTIFACTS / f"{label.lower()}-{width}.png"))
        problems += english_in(browser)
        problems += [f"contrast on {label}: {row}" for row in low_contrast(browser)]
    assert "Sans thème" in browser.find_element(By.CSS_SELECTOR, ".ess-legend").text
    open_tab(browser, "Ajouter")
    settle(browser)
    problems += english_in(browser)
    enter_as_editor(browser)
    settle(browser)
    browser.save_screenshot(str(ARTIFACTS / f"ajouter-{width}.png"))
    problems += english_in(browser)
    problems += [f"contrast on Ajouter: {row}" for row in low_contrast(browser)]
    assert browser.execute_script("return document.documentElement.lang") == "fr"
    assert problems == [], "\n".join(problems)
