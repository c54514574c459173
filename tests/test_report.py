"""The report a reviewer opens (`snakemake --report`), checked in a real browser

The tiny run's report is opened in headless Chromium through Selenium and Debian's chromium-driver:
the front page must show the claims table; every figure must load when opened the way a reviewer
opens it (menu -> study -> variant -> the eye button of each result: the report is a React app that
puts one result's image on the page at a time); every audio file must decode; Chromium's console
must hold no error. Screenshots of the front page go to the test's folder (and to
$AUDIOREPRO_SCREENSHOT_DIR when set).

The test installs chromium and chromium-driver with apt-get where they are missing (root), so it
runs only where asked: with CI or AUDIOREPRO_BROWSER=1 set; then a browser that cannot be installed
or started is a failure, not a skip. About 40 s once the workflow is built (the report, then some
60 figures opened one by one on 2 cores), plus about 20 s for apt-get the first time.
"""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.workflow

REQUIRED = bool(os.environ.get("CI")) or os.environ.get("AUDIOREPRO_BROWSER") == "1"
if not REQUIRED:
    pytest.skip("opens the report in headless Chromium (apt-get install chromium chromium-driver): "
                "set AUDIOREPRO_BROWSER=1 to run it", allow_module_level=True)

PACKAGES = ("chromium", "chromium-driver")
WINDOW = (1600, 1000)
TIMEOUT = 60  # seconds for the report's page and any one view of it
# a claim of each built study and a verdict word that the tiny run's table must show
CLAIM_IDS = ("C1", "C6", "W1", "W5", "N1", "S1", "O1")
# a verdict's kind: what comes before its ":" ("not measured: why", "not testable: no annotations")
VERDICTS = ("holds", "differs", "inconclusive", "not testable on embedded data", "not testable",
            "see figure", "not run", "not measured", "not comparable", "training diverged",
            "study not built yet")


def _browser_binaries():
    """Chromium and its driver, installed with apt-get when missing; (chromium, chromedriver)."""
    found = shutil.which("chromium"), shutil.which("chromedriver")
    if all(found):
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.fail(f"chromium or chromedriver missing, and no root apt-get to install "
                    f"{' '.join(PACKAGES)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *PACKAGES]
    proc = subprocess.run(install, capture_output=True, text=True, env=env, timeout=900)
    if proc.returncode != 0:  # stale package lists: update once, then try again
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=env, timeout=600)
        proc = subprocess.run(install, capture_output=True, text=True, env=env, timeout=900)
    found = shutil.which("chromium"), shutil.which("chromedriver")
    if proc.returncode != 0 or not all(found):
        pytest.fail(f"apt-get install {' '.join(PACKAGES)} failed (exit {proc.returncode}):\n"
                    f"{proc.stderr[-3000:]}")
    return found


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium driven by Selenium; the seconds its installation took."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is missing from the environment: it is in requirements.txt "
                    "(make setup)")
    start = time.monotonic()
    chromium, chromedriver = _browser_binaries()
    installed = time.monotonic() - start
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    # root in a container: no sandbox; /dev/shm may be tiny there
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size={},{}".format(*WINDOW)):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # an explicit driver path: Selenium Manager does not go looking on the network
    driver = webdriver.Chrome(options=options, service=Service(chromedriver))
    driver.set_page_load_timeout(TIMEOUT)
    yield driver, installed
    driver.quit()


def _wait(driver, condition, what):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, TIMEOUT).until(condition)
    except TimeoutException:
        pytest.fail(f"the report did not show {what} within {TIMEOUT} s")


def _menu_link(driver, label):
    """The navigation bar's link with this text (a menu item, a category, a variant)."""
    from selenium.webdriver.common.by import By

    links = [a for a in driver.find_elements(By.CSS_SELECTOR, "nav li > a") if a.text == label]
    assert links, f"no link {label!r} in the report's menu"
    return links[0]


def _home(driver):
    """Back to the menu and the front page, the way a reviewer goes: the breadcrumbs' home."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, "nav nav ol li a").click()
    _menu_link(driver, "Workflow").click()
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#app .prose table"), "the front page")


def _open_variants(driver, category):
    """Open a study's results list in the menu for each of its variants; yield the variant."""
    subcategories = driver.execute_script(
        "return Object.keys(categories[arguments[0]]).sort((a, b) => a.localeCompare(b))", category)
    for subcategory in subcategories:
        _home(driver)
        _menu_link(driver, category).click()
        if len(subcategories) > 1:  # a single variant opens straight away
            _menu_link(driver, subcategory).click()
        yield subcategory


def _view_results(driver, seen):
    """Press the eye button of every result in the open list; {path: what the browser showed}."""
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, "nav table tbody tr")
    assert rows, "a results list without results"
    for i in range(len(rows)):
        row = driver.find_elements(By.CSS_SELECTOR, "nav table tbody tr")[i]
        path = row.find_element(By.CSS_SELECTOR, "td").text
        mime = driver.execute_script("return results[arguments[0]].mime_type", path)
        if not mime.startswith("image/"):
            seen[path] = {"mime": mime}  # a download link: checked from its data below
            continue
        row.find_element(By.CSS_SELECTOR, "td:last-child a").click()
        _wait(driver, lambda d: d.execute_script("return app.state.resultPath") == path,
              f"{path} on pressing its eye button")
        # the content pane's image once it holds this result's data and has decoded (or failed)
        img = _wait(driver, lambda d: d.execute_script(
            "const img = document.querySelector('#app > div > div:last-child img');"
            "return img && img.src === results[arguments[0]].data_uri && img.complete ? img : null",
            path), f"the image of {path}")
        width, height = driver.execute_script(
            "return [arguments[0].naturalWidth, arguments[0].naturalHeight]", img)
        seen[path] = {"mime": mime, "width": width, "height": height}


def _audio_durations(driver, paths):
    """Each audio result's length in seconds as Chromium decodes its data, or its error."""
    script = """
    const [paths, done] = [arguments[0], arguments[arguments.length - 1]];
    const one = (path) => new Promise((resolve) => {
        const audio = new Audio();
        audio.onloadedmetadata = () => resolve(audio.duration);
        audio.onerror = () => resolve("error " + (audio.error && audio.error.code));
        audio.src = results[path].data_uri;
    });
    Promise.all(paths.map(one)).then((durations) => done(durations));
    """
    return dict(zip(paths, driver.execute_async_script(script, list(paths))))


@pytest.fixture(scope="module")
def visit(built_report, browser, tmp_path_factory):
    """Open the tiny run's report, go through every study's results; what the browser showed."""
    from selenium.webdriver.common.by import By

    driver, installed = browser
    folder = tmp_path_factory.mktemp("browser")
    report, built_s = built_report

    start = time.monotonic()
    driver.get(report.as_uri())
    table = _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#app .prose table"),
                  "the claims table on its front page")[0]
    front = driver.find_element(By.CSS_SELECTOR, "#app .prose")
    record = {
        "front_text": front.text,
        "rows": [[td.text for td in tr.find_elements(By.CSS_SELECTOR, "td")]
                 for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")],
        "header": [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")],
        "front_images": driver.execute_script(
            "return Array.from(document.images, (img) => [img.src.slice(0, 60), img.complete,"
            " img.naturalWidth])"),
        "screenshots": [folder / "front.png", folder / "front-full.png"],
    }
    driver.save_screenshot(str(record["screenshots"][0]))
    # the whole front page: a window as tall as the page's scrolling content
    height = driver.execute_script(
        "return document.querySelector('#app .prose').closest('.overflow-auto').scrollHeight")
    driver.set_window_size(WINDOW[0], height + 40)
    driver.save_screenshot(str(record["screenshots"][1]))
    driver.set_window_size(*WINDOW)
    if os.environ.get("AUDIOREPRO_SCREENSHOT_DIR"):
        target = Path(os.environ["AUDIOREPRO_SCREENSHOT_DIR"])
        target.mkdir(parents=True, exist_ok=True)
        for shot in record["screenshots"]:
            shutil.copy2(shot, target / f"report-{shot.name}")

    record["results"] = driver.execute_script(
        "return Object.fromEntries(Object.entries(results).map(([p, r]) =>"
        " [p, {mime: r.mime_type, caption: r.caption}]))")
    record["categories"] = driver.execute_script("return Object.keys(categories)")
    seen = {}
    for category in record["categories"]:
        for _ in _open_variants(driver, category):
            _view_results(driver, seen)
    record["seen"] = seen
    audio = [p for p, r in record["results"].items() if r["mime"].startswith("audio/")]
    record["audio"] = _audio_durations(driver, audio)
    _home(driver)
    record["log"] = driver.get_log("browser")
    record["seconds"] = {"apt-get": round(installed, 1), "snakemake --report": round(built_s, 1),
                         "browser": round(time.monotonic() - start, 1)}
    print(f"report test seconds: {record['seconds']}; screenshots: {folder}")
    return record


def test_the_front_page_says_what_is_reproduced_and_shows_the_claims(visit):
    text = visit["front_text"]
    for study in ("catsdogs", "whales", "continuation", "sorting", "orcas"):
        assert study in text
    assert visit["header"] == ["study", "id", "claim", "original", "ours", "verdict"]
    ids = {row[1] for row in visit["rows"]}
    assert set(CLAIM_IDS) <= ids, sorted(ids)
    kinds = [row[5].partition(":")[0] for row in visit["rows"]]
    assert all(kind in VERDICTS for kind in kinds), [row[5] for row in visit["rows"]]
    # a cell that reST read as markup (a lone "-" is an empty bullet list) shows nothing
    empty = [(row[1], i) for row in visit["rows"] for i, cell in enumerate(row) if not cell.strip()]
    assert not empty, f"claims table cells that show nothing (claim, column): {empty}"
    c6 = next(row for row in visit["rows"] if row[1] == "C6")
    assert c6[0] == "catsdogs" and c6[4] == "3,951 (every one of 2 seeds)" and c6[5] == "holds"
    assert all(complete and width > 0 for _, complete, width in visit["front_images"]), \
        visit["front_images"]


def test_the_front_page_screenshots_are_pngs(visit):
    for shot in visit["screenshots"]:
        head = shot.read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(head[16:20], "big")
        assert width == WINDOW[0], (shot, width)


def test_every_figure_loads_when_opened_from_its_study(visit):
    images = {p for p, r in visit["results"].items() if r["mime"].startswith("image/")}
    assert len(images) >= 20  # the five studies' figures
    opened = {p for p, r in visit["seen"].items() if "width" in r}
    assert opened == images, f"not reachable from the menu: {sorted(images - opened)}"
    broken = {p: r for p, r in visit["seen"].items()
              if "width" in r and not (r["width"] > 0 and r["height"] > 0)}
    assert not broken, broken
    assert set(visit["seen"]) == set(visit["results"])  # the other results are listed too
    uncaptioned = sorted(p for p in images if not (visit["results"][p]["caption"] or "").strip())
    assert not uncaptioned


def test_every_audio_file_decodes_in_the_browser(visit):
    audio = visit["audio"]
    kinds = {visit["results"][p]["mime"] for p in audio}
    assert {"audio/x-wav", "audio/mpeg"} <= kinds, kinds  # continuation's wav, sorting's mp3
    bad = {p: d for p, d in audio.items() if not (isinstance(d, (int, float)) and d > 0)}
    assert not bad, bad


def test_no_console_errors(visit):
    errors = [entry for entry in visit["log"] if entry["level"] == "SEVERE"]
    assert not errors, errors
