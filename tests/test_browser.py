"""The Streamlit page in a real browser: Debian's Chromium driven by Selenium.

Starts the page with `ess serve` on a free loopback port over the real index, types
a question into « Votre question », presses Enter and waits for the cited answer.
The seconds from Enter to the answer are printed and written to
tests/artifacts/timing.txt (never asserted on); the page is saved as
tests/artifacts/page.png. At 390 and 1280 px, with an editor secret set, every tab
(the question before and after an answer, Thèmes, Carte, Ajouter before and after the
secret and with files chosen) is checked for English shown or read aloud (ENGLISH,
gathered from Streamlit 1.67's frontend), `lang="fr"`, contrast (tests/contrast.js),
axe-core's violations (tests/axe, injected into the page) and a walk round the page
with the Tab key (tests/focus.js: every stop seen, named, with a focus ring of 3:1),
and saved as tests/artifacts/<screen>-<width>.png. Uploads go through the editor secret.
Without /usr/bin/chromium and /usr/bin/chromedriver, or axe-core
(`bash scripts/setup` installs them) the tests are skipped, except under CI=true,
where they fail: CI must run them.
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
from selenium.webdriver.common.action_chains import ActionChains
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
pytestmark = pytest.mark.browser
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


# English a reader could see or hear on the page, gathered from Streamlit 1.67's frontend
# (streamlit/static/static/js: the app's chrome and header, the form, text and password
# inputs, the slider, select boxes, tabs, expanders, buttons, the download button, the
# chart and its toolbar, the file uploader with its files and errors). Each is looked
# for as a word in the text shown and in every aria-label, title, placeholder, alt and
# aria-roledescription; none of them is a French word.
ENGLISH = [
    # the app's chrome
    "Skip to main content", "Sidebar", "Expand sidebar", "Collapse sidebar", "Main menu",
    "Running", "Stop", "Deploy", "Rerun", "Settings", "Print", "Record a screencast", "About",
    "Made with Streamlit", "Connecting", "Please wait", "Connection", "Scroll tabs", "Try again",
    "Report a bug", "Get help", "Clear cache", "Loading", "icon",
    # the form and its fields
    "Press Enter", "submit form", "Clear entry", "Show password", "Hide password",
    "Invalid input", "Link to heading", "/2000",
    # select boxes
    "Choose an option", "Choose options", "Choose", "Clear value", "Clear all", "Clear", "Open",
    "Close", "No results", "Select all", "Select", "Selected values", "Remove", "matches",
    "Delete",
    # the chart and its toolbar
    "Vega", "visualization", "mark container", "Copy", "Copied", "Show data", "Show chart",
    "Show", "Download", "Fullscreen", "Close fullscreen", "Search",
    # the file uploader
    "Upload", "Drag and drop", "Browse files", "Add files", "file upload", "per file", "Limit",
    "Error", "files are not allowed", "File must be", "File is larger", "Only one file",
    "Too many files", "Cancel upload", "Click to retry", "Upload failed", "Unexpected error",
]
# Numbers written the English way: a decimal point (« x: 0.0018 », « 0.7KB ») or a size
# unit glued to its number (« 144.0B »).
ENGLISH_NUMBERS = [r"\d\.\d", r"\d(?:B|KB|MB|GB)\b"]
HEARD = """return [...document.querySelectorAll(
    '[aria-label], [title], [placeholder], [alt], [aria-roledescription]')]
  .filter(e => !e.closest('[aria-hidden="true"]'))
  .flatMap(e => ['aria-label', 'title', 'placeholder', 'alt', 'aria-roledescription']
    .map(a => e.getAttribute(a)))
  .filter(Boolean);"""
SEEN = """const out = [];
const all = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (all.nextNode()) { const node = all.currentNode, el = node.parentElement;
  if (!node.nodeValue.trim() || !el || el.closest('[aria-hidden="true"]')) continue;
  if (!el.checkVisibility({visibilityProperty: true})) continue;
  const box = el.getBoundingClientRect(); if (box.width && box.height) out.push(node.nodeValue); }
return out;"""
CONTRAST = (Path(__file__).parent / "contrast.js").read_text(encoding="utf-8")
FOCUS = (Path(__file__).parent / "focus.js").read_text(encoding="utf-8")
AXE = ROOT / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# Violations inside Streamlit's own widgets, which the page neither writes nor can
# change, each excused on the one element it concerns:
STREAMLIT_OWN = [
    # The uploader's drop zone, once it lists files, is a <section role="presentation">
    # that Streamlit names with the widget's label (aria-label): a name on an element
    # declared presentational. The label is read on the uploader's own button.
    ("presentation-role-conflict", '[data-testid="stFileUploaderDropzone"]'),
]
RUN_AXE = """const [excused, done] = [arguments[0], arguments[arguments.length - 1]];
axe.run(document, {resultTypes: ['violations']}).then((result) => done(result.violations
  .map(v => [v.id, v.nodes.filter(n => { const el = document.querySelector(n.target[0]);
    return !excused.some(([rule, selector]) => rule === v.id && el && el.matches(selector)); })])
  .filter(([, nodes]) => nodes.length)
  .map(([id, nodes]) => ({rule: id, where: nodes.map(n => n.html.slice(0, 160)),
                          why: nodes[0].failureSummary.slice(0, 300)}))))
  .catch((error) => done([{rule: 'axe failed', why: String(error)}]));"""


def english_in(driver) -> list[str]:
    """The English phrases of ENGLISH (and numbers written the English way) that the page
    shows or says, each with where it is."""
    import re

    found = []
    for where, texts in (("seen", driver.execute_script(SEEN)),
                         ("heard", driver.execute_script(HEARD))):
        for text in texts:
            found += [f"{where}: {phrase!r} in {text[:80]!r}" for phrase in ENGLISH
                      if re.search(rf"(?<![\w/]){re.escape(phrase)}(?!\w)", text)]
            found += [f"{where}: {pattern!r} in {text[:80]!r}" for pattern in ENGLISH_NUMBERS
                      if re.search(pattern, text)]
    return found


def low_contrast(driver) -> list[dict]:
    """Every visible text under 4.5:1 against what is behind it (WCAG 2 AA)."""
    return [row for row in driver.execute_script(CONTRAST) if row["ratio"] < 4.5]


def axe_violations(driver) -> list[dict]:
    """axe-core's violations on the page as it is (WCAG 2 A and AA and axe's best
    practices), less STREAMLIT_OWN."""
    if not driver.execute_script("return Boolean(window.axe)"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    return driver.execute_async_script(RUN_AXE, STREAMLIT_OWN)


def tab_stops(driver, most: int = 80) -> list[dict]:
    """Every stop of the Tab key, once round the page, as tests/focus.js sees it: its
    name, and what is wrong with it (unseen, unnamed, no focus ring or a faint or cut
    one, covered). Starts wherever the focus is and stops where it was first."""
    # Not a stop itself: what has the focus may have got it from the test (the file
    # input, given files), not from the Tab key.
    driver.execute_script("window.essStops = new Set(); document.activeElement?.blur()")
    stops = []
    for _ in range(most):
        ActionChains(driver).send_keys(Keys.TAB).perform()  # to whatever has the focus
        if driver.execute_script("const e = document.activeElement; "
                                 "if (window.essStops.has(e)) return true; "
                                 "window.essStops.add(e); return false;"):
            # Back as the reader left it: nothing focused, the page at its top.
            driver.execute_script("document.activeElement?.blur(); "
                                  "document.getElementById('stMain')?.scrollTo(0, 0)")
            return stops
        stop = driver.execute_script(FOCUS)
        if stop is not None:  # the document itself, between the last stop and the first
            stops.append(stop)
    pytest.fail(f"more than {most} Tab stops: {[s['name'] for s in stops][:20]}…")


def check(driver, screen: str) -> list[str]:
    """What is wrong on this screen: English, contrast under 4.5:1, axe-core's
    violations, and Tab stops that cannot be seen, have no name or no visible ring."""
    found = [f"{screen}: {phrase}" for phrase in english_in(driver)]
    found += [f"{screen}: contrast {row}" for row in low_contrast(driver)]
    found += [f"{screen}: axe {violation}" for violation in axe_violations(driver)]
    found += [f"{screen}: Tab stop {stop['name']!r} ({stop['html']}): {stop['problems']}"
              for stop in tab_stops(driver) if stop["problems"]]
    return found


def settle(driver) -> None:
    """Wait until the script has run and the page is drawn: no element left stale, and the
    page's markup the same on two looks in a row."""
    WebDriverWait(driver, TIMEOUT, poll_frequency=0.1).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, RUNNING))
    last = {"html": None}

    def still(d) -> bool:
        html = d.execute_script("return document.querySelector('[data-stale=\"true\"]') "
                                "? null : document.body.innerHTML")
        same, last["html"] = html is not None and html == last["html"], html
        return same

    WebDriverWait(driver, TIMEOUT, poll_frequency=0.3).until(still)


def emoji_drawn(driver) -> bool:
    """Whether the browser draws « 🌻 » in colour (an emoji font is installed), not as an
    empty box: some pixels of it are far from grey."""
    return driver.execute_script("""
        const canvas = document.createElement('canvas'); canvas.width = canvas.height = 40;
        const pen = canvas.getContext('2d'); pen.font = '32px sans-serif';
        pen.textBaseline = 'top'; pen.fillText('🌻', 0, 0);
        const p = pen.getImageData(0, 0, 40, 40).data; let coloured = 0;
        for (let i = 0; i < p.length; i += 4) {
          const [r, g, b] = [p[i], p[i + 1], p[i + 2]];
          if (p[i + 3] && Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++; }
        return coloured > 40;""")


SCREENS = {390: 844, 1280: 900}  # a phone (390 × 844 CSS pixels) and a laptop


@pytest.mark.parametrize("width", sorted(SCREENS))
def test_the_page_is_french_accessible_and_answers_first_at(width, browser, page_url, tmp_path):
    if not AXE.is_file():
        message = f"{AXE} missing: `bash scripts/setup` installs it (npm ci --prefix tests/axe)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the accessibility check, but {message}", pytrace=False)
        pytest.skip(message)
    browser.set_script_timeout(TIMEOUT)
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
    assert emoji_drawn(browser), "no colour emoji font: `bash scripts/setup` installs one"
    # The tabs are all within the screen's width, none cut.
    tabs = browser.find_elements(By.CSS_SELECTOR, '[role="tab"]')
    assert [t.text for t in tabs] == ["Question", "Thèmes", "Carte", "Ajouter"]
    for tab in tabs:
        left, right = browser.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return [r.left, r.right];", tab)
        assert 0 <= left and right <= browser.execute_script("return innerWidth"), tab.text
    problems += check(browser, "Question")
    box = browser.find_element(By.CSS_SELECTOR, INPUT)
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
    box.send_keys(Keys.ENTER)
    WebDriverWait(browser, TIMEOUT, poll_frequency=0.1).until(
        lambda d: all(part in d.find_element(By.TAG_NAME, "body").text for part in EXPECTED))
    settle(browser)
    # The answer is on the first screen, without scrolling past the examples: its
    # heading and first lines at least.
    answer = browser.find_element(By.CSS_SELECTOR, ".ess-answer")
    top = browser.execute_script("return arguments[0].getBoundingClientRect().top", answer)
    assert 0 <= top and top + 60 <= browser.execute_script("return innerHeight"), top
    # ... and said, once drawn, in a polite live region, where a screen reader reads it.
    sentence = " ".join(answer.text.split(" [")[0].split())
    assert len(sentence) > 20

    def said(driver) -> str:
        return driver.execute_script(
            "return document.querySelector('[aria-live=\"polite\"]')?.textContent || ''")

    WebDriverWait(browser, 10, poll_frequency=0.1).until(
        lambda d: said(d).startswith("Réponse : " + sentence),
        f"the answer is not said in a polite live region: {said(browser)!r}")
    cards = browser.find_elements(By.CSS_SELECTOR, ".ess-card")
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "pertinence 0," in text and cards and not any("**" in c.text for c in cards)
    browser.save_screenshot(str(ARTIFACTS / f"page-{width}.png"))
    # A marker of the answer brings its card's heading into view, below the sticky header.
    marker = browser.find_element(By.CSS_SELECTOR, ".ess-answer a")
    card = marker.get_attribute("href").rsplit("#", 1)[1]
    marker.click()

    def heading_shown(driver) -> bool:
        header, heading = driver.execute_script(
            "return [document.querySelector('[data-testid=\"stHeader\"]')"
            ".getBoundingClientRect().bottom, document.getElementById(arguments[0])"
            ".querySelector('h3').getBoundingClientRect().top]", card)
        return header <= heading <= driver.execute_script("return innerHeight / 2")

    WebDriverWait(browser, 10, poll_frequency=0.1).until(
        heading_shown, f"the heading of card {card} is not in view below the sticky header")
    context = next(e for e in browser.find_elements(By.CSS_SELECTOR, "summary")
                   if "Voir le passage dans son contexte" in e.text)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", context)
    context.click()
    WebDriverWait(browser, TIMEOUT).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, ".ess-context")))
    assert "###" not in browser.find_element(By.CSS_SELECTOR, ".ess-context").text
    problems += check(browser, "Question, answered")
    for label in ("Thèmes", "Carte"):
        open_tab(browser, label)
        settle(browser)
        browser.save_screenshot(str(ARTIFACTS / f"{label.lower()}-{width}.png"))
        problems += check(browser, label)
    legend = browser.find_element(By.CSS_SELECTOR, ".ess-legend").text
    for theme in ("Démocratie et gouvernance", "Transition écologique", "Sans thème"):
        assert theme in legend
    open_tab(browser, "Ajouter")
    settle(browser)
    problems += check(browser, "Ajouter, secret asked")
    enter_as_editor(browser)
    settle(browser)
    problems += check(browser, "Ajouter")
    # Files in the uploader, one of a type it refuses: their sizes, the refusal, the
    # buttons to remove them. Nothing is added to the corpus: « Ajouter au corpus » is
    # not pressed.
    script, notes = tmp_path / "script.sh", tmp_path / "notes.txt"
    script.write_text("#!/bin/sh\necho bonjour\n" * 6, encoding="utf-8")
    notes.write_text("Créer des fonds solidaires.\n" * 25, encoding="utf-8")
    assert script.stat().st_size == 138 and notes.stat().st_size == 725
    for path, shown in ((script, "138 o"), (notes, "0,7 Ko")):  # not « 138.0B », « 0.7KB »
        browser.find_element(By.CSS_SELECTOR, 'input[type="file"]').send_keys(str(path))
        WebDriverWait(browser, TIMEOUT, poll_frequency=0.1).until(
            lambda d, shown=shown: shown in d.find_element(By.TAG_NAME, "body").text
            .replace("\u00a0", " "))
        settle(browser)
    refusal = browser.execute_script(
        "return document.querySelector('[data-testid=\"stFileUploader\"] [role=\"alert\"]')"
        ".textContent")
    assert refusal.startswith("Erreur : Ce type de fichier (") and "n'est pas accepté" in refusal
    browser.save_screenshot(str(ARTIFACTS / f"ajouter-{width}.png"))
    problems += check(browser, "Ajouter, files chosen")
    assert browser.execute_script("return document.documentElement.lang") == "fr"
    assert problems == [], "\n".join(problems)
