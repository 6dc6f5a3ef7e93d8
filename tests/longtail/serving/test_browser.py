"""The shop assistant's web page in a real headless browser (Debian's chromium, driven by selenium) over the real
app on uvicorn: a user's list with reasons and long-tail badges, filters, the chat with its parsed chips and
suggestions, similar items, and API errors shown on the page.

Screenshots of each state go to ``tests/artifacts/browser/`` (ignored by git) and to the test's ``tmp_path``.
CI installs chromium and its driver (``.ci/run``); elsewhere the module is skipped without them.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip(
        f"needs Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}): "
        "apt-get install chromium chromium-driver (.ci/run installs them in CI)",
        allow_module_level=True,
    )

import uvicorn  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from longtail.serving.access import KeyStore  # noqa: E402
from tests.longtail.serving.shops import BOUGHT_REASON, pseudonymous_app  # noqa: E402

pytestmark = pytest.mark.e2e

DATASET = "gift_shop"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"
WAIT_S = 10
DIM = 8


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The real app on uvicorn in a background thread, on a port the OS picked (the socket is bound here and
    handed over, so no other process can take the port in between)."""
    folder = tmp_path_factory.mktemp("serving")
    keys = KeyStore(folder / "secrets" / "api_keys.json")
    api_key = keys.create("browser-test")
    app = pseudonymous_app(folder, (DATASET,), keys=keys, check_every_s=1.0)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_S
    while not uv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield {"url": f"http://127.0.0.1:{port}", "landing": folder / "landing", "api_key": api_key}
    uv.should_exit = True
    thread.join(WAIT_S)
    sock.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    # Without the background-networking flags chromium reaches out to Google's services (refused in CI).
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1360,1500",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(WAIT_S)
    yield driver
    driver.quit()


ITEMS_SCRIPT = """
const text = (node) => (node ? node.innerText.trim() : null);
return Array.from(arguments[0].querySelectorAll("li[data-testid=item]"), (card) => ({
  item_id: card.dataset.itemId,
  title: text(card.querySelector("[data-testid=item-title]")),
  shown_id: text(card.querySelector("[data-testid=item-id]")),
  price: card.dataset.price,
  shown_price: text(card.querySelector("[data-testid=price]")),
  tail_badges: Array.from(card.querySelectorAll("[data-testid=tail-badge]"), text),
  reasons: Array.from(card.querySelectorAll("[data-testid=reason]"), text),
}));
"""


class Page:
    """The page's test handles (ids and data-testid attributes of static/index.html)."""

    def __init__(self, driver, url: str, tmp_path: Path):
        self.driver = driver
        self.url = url
        self.tmp_path = tmp_path

    def open(self, api_key: str | None) -> None:
        # A key kept by an earlier test is forgotten (on another page of the origin) before the page reads it.
        self.driver.get(f"{self.url}/healthz")
        self.driver.execute_script("sessionStorage.clear()")
        self.driver.get(self.url)
        if api_key is not None:
            self.type("api-key", api_key)  # Enter submits the key form, which reloads the shops
            self.wait(lambda d: self.by_id("dataset").get_attribute("data-loaded") == "true", "the shops to load")
            self.driver.get_log("browser")  # drop the first load's 401, asked without the key

    def by_id(self, element_id: str):
        return self.driver.find_element(By.ID, element_id)

    def all(self, css: str, within=None):
        return (within or self.driver).find_elements(By.CSS_SELECTOR, css)

    def wait(self, condition, what: str):
        try:
            return WebDriverWait(self.driver, WAIT_S, poll_frequency=0.05).until(condition)
        except TimeoutException:
            self.shot("timeout")
            raise AssertionError(f"timed out waiting for {what}; error banner: {self.error_text()!r}") from None

    def type(self, element_id: str, text: str, enter: bool = True) -> None:
        field = self.by_id(element_id)
        field.clear()
        field.send_keys(text + (Keys.ENTER if enter else ""))

    def request_number(self, element_id: str) -> int:
        return int(self.by_id(element_id).get_attribute("data-request"))

    def settled(self, element_id: str, after: int) -> None:
        """Wait for the panel's requests after number ``after`` to be answered, and for the answer to be shown."""

        def done(driver):
            panel = self.by_id(element_id)
            return int(panel.get_attribute("data-request")) > after and panel.get_attribute("data-state") != "loading"

        self.wait(done, f"#{element_id} to load")
        state = self.by_id(element_id).get_attribute("data-state")
        assert state == "ready", f"#{element_id} is {state}; error banner: {self.error_text()!r}"

    def error_text(self) -> str | None:
        banner = self.by_id("error")
        return None if not banner.is_displayed() else banner.text

    def items(self, within) -> list[dict]:
        """The item cards under ``within`` as the page shows them (read in one round trip)."""
        cards = self.driver.execute_script(ITEMS_SCRIPT, within)
        return [{**card, "price": float(card["price"])} for card in cards]

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = self.tmp_path / f"{name}.png"
        assert self.driver.save_screenshot(str(path)), f"no screenshot {name}"
        shutil.copyfile(path, ARTIFACTS / f"{name}.png")

    def severe_logs(self) -> list[str]:
        return [entry["message"] for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]


def api_get(server: dict, path: str, params: dict) -> dict:
    """The server's JSON answer to ``GET path?params``, with the test's API key."""
    request = urllib.request.Request(
        f"{server['url']}{path}?{urllib.parse.urlencode(params)}", headers={"X-API-Key": server["api_key"]}
    )
    with urllib.request.urlopen(request, timeout=WAIT_S) as answer:
        return json.load(answer)


@pytest.fixture
def page(server, browser, tmp_path) -> Page:
    return Page(browser, server["url"], tmp_path)


def test_a_shopper_sees_a_list_filters_it_chats_and_opens_similar_items(page, server):
    page.open(server["api_key"])
    assert page.by_id("snapshot").text not in ("", "…")

    # The shop and a customer's own (raw) id, which the API maps to the pseudonym its snapshot holds.
    page.by_id("dataset").find_element(By.CSS_SELECTOR, f"option[value='{DATASET}']").click()
    assert page.all("datalist") == []  # no customer ids are offered
    before = page.request_number("recs")
    page.type("user", "u1")
    page.settled("recs", before)
    shown = page.items(page.by_id("recs"))
    assert 0 < len(shown) <= 10
    assert any(item["tail_badges"] == ["long tail"] for item in shown)
    # u1's cached list (4 items) comes first, each with its reason; the fill after it names one of u1's items only
    # where it is similar enough (ShopIndex.similar_floor).
    assert all(BOUGHT_REASON in item["reasons"] for item in shown[:4]), shown
    assert all(item["shown_price"] == f"£{item['price']:.2f}" for item in shown)  # the shop's prices are sterling
    assert all(item["shown_id"] == item["item_id"] for item in shown)  # titled items show their id beside the title
    page.shot("01-list")

    # A max price: every item shown is within it.
    before = page.request_number("recs")
    page.type("max-price", "3")
    page.settled("recs", before)
    cheap = page.items(page.by_id("recs"))
    assert cheap and all(item["price"] <= 3 for item in cheap), cheap
    assert len(cheap) < len(shown)
    page.shot("02-max-price")

    # The assistant: the price bound read from the words, as a chip, and kept by every item.
    before = page.request_number("chat-log")
    page.type("chat-input", "something under £3")
    page.settled("chat-log", before)
    (first,) = page.all("[data-testid=turn]")
    chips = {chip.get_attribute("data-key"): chip.text for chip in page.all("[data-testid=chip]", first)}
    assert chips.get("max_price") == "up to £3.00", chips
    answered = page.items(first)
    assert answered and all(item["price"] <= 3 for item in answered), answered
    session = first.get_attribute("data-session")
    assert session and page.by_id("session-id").text == session
    page.shot("03-chat")

    # A suggestion is sent as the next turn of the same session, which keeps the price bound.
    (unusual,) = [b for b in page.all("[data-testid=suggestion]", first) if b.text == "something more unusual"]
    before = page.request_number("chat-log")
    unusual.click()
    page.settled("chat-log", before)
    turns = page.all("[data-testid=turn]")
    assert len(turns) == 2
    second = turns[1]
    assert second.find_element(By.CSS_SELECTOR, "[data-testid=said]").text == "something more unusual"
    assert second.get_attribute("data-session") == session
    assert page.by_id("session-id").text == session
    chips = {chip.get_attribute("data-key"): chip.text for chip in page.all("[data-testid=chip]", second)}
    assert chips.get("novelty") == "unusual finds" and chips.get("max_price") == "up to £3.00", chips
    refined = page.items(second)
    assert refined and all(item["price"] <= 3 for item in refined), refined
    page.shot("04-chat-refined")

    # An item's similar items, the click recorded as feedback when asked for.
    page.by_id("record-clicks").click()
    clicked = cheap[0]
    before = page.request_number("similar")
    page.by_id("recs").find_element(By.CSS_SELECTOR, f"li[data-item-id='{clicked['item_id']}'] .item-title").click()
    page.settled("similar", before)
    assert page.by_id("similar-panel").is_displayed()
    assert page.by_id("similar-heading").text == f"For shoppers looking at {clicked['title']}"
    similar = page.items(page.by_id("similar"))
    assert similar and clicked["item_id"] not in {item["item_id"] for item in similar}
    # Each card shows the links the API found (similar in text, bought together), and no others.
    asked = {"dataset": DATASET, "k": 10}
    expected = api_get(server, f"/v1/items/{clicked['item_id']}/similar", asked)["items"]
    assert [(item["item_id"], item["reasons"]) for item in similar] == [
        (item["item_id"], item["reasons"]) for item in expected
    ]
    page.wait(lambda d: list((server["landing"] / DATASET).glob("feedback-*.csv")), "the click's feedback file")
    page.shot("05-similar")

    assert page.error_text() is None
    assert page.severe_logs() == []


def test_api_errors_are_shown_on_the_page(page, server):
    # No key: the server's 401 and its detail, on the page.
    page.open(api_key=None)
    page.wait(lambda d: page.error_text() is not None, "the error banner")
    banner = page.by_id("error")
    assert banner.get_attribute("data-status") == "401"
    assert "missing or wrong X-API-Key header" in page.by_id("error-detail").text
    page.shot("06-error-no-key")

    # With the key the banner goes; a min price above the max price is the API's 422, shown with its detail.
    page.type("api-key", server["api_key"])
    page.wait(lambda d: page.by_id("dataset").get_attribute("data-loaded") == "true", "the shops to load")
    assert page.error_text() is None
    page.type("user", "u1")
    page.type("min-price", "5", enter=False)
    before = page.request_number("recs")
    page.type("max-price", "3")
    page.wait(lambda d: page.by_id("recs").get_attribute("data-state") == "error", "the list to fail")
    assert page.request_number("recs") > before
    assert banner.get_attribute("data-status") == "422"
    assert "min_price 5 is above max_price 3" in page.by_id("error-detail").text
    assert page.all("#recs li[data-testid=item]") == []
    page.shot("07-error-bad-filter")
