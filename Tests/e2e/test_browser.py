"""The player client and the admin dashboard in headless Chromium (Debian's chromium and
chromium-driver), driven by Selenium. Every step is checked against the server's own API, and
screenshots go to $GALAXY_SCREENSHOT_DIR (default /tmp/galaxy-browser-shots) for a person to look at."""
import base64
import os
import shutil
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from support import receive_welcome
from test_binary_state import connect, decode, send_and_reply

ADMIN_TOKEN = "browser-admin-token"
SHOTS = Path(os.environ.get("GALAXY_SCREENSHOT_DIR", "/tmp/galaxy-browser-shots"))
# Selenium's own driver manager would look for drivers online; Debian's driver is used instead.
os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")


@pytest.fixture
def browser():
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.fail("chromium and chromium-driver (Debian packages) are required; scripts/install-deps.sh installs them")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,800"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=webdriver.ChromeService(driver_path), options=options)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


@pytest.fixture
def web_server(servers):
    return servers.new(admin_token=ADMIN_TOKEN)


def wait_for(condition, timeout=10.0, message="condition not met"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(message)


def shot(driver, name):
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def own_ship(server, token):
    ships = server.request("GET", "/api/v1/ships", token=token).json()["ships"]
    assert len(ships) == 1
    return ships[0]


def test_player_flies_and_operator_pauses(web_server, browser):
    base = f"http://127.0.0.1:{web_server.port}"
    browser.get(base + "/")
    username = f"pilot{int(time.time() * 1000) % 100000}"
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys("correct horse battery")
    browser.find_element(By.ID, "register-button").click()

    # Logged in: the page stored a token that the server accepts, and the ship is drawn and listed.
    token = wait_for(lambda: browser.execute_script("return Object.values(localStorage).find(v => /^[0-9a-f]{64}$/.test(v))"),
                     message="no session token in localStorage after registering")
    ship = own_ship(web_server, token)
    wait_for(lambda: ship["name"] in browser.find_element(By.ID, "object-list").text, message="own ship not listed")
    wait_for(lambda: "km" in browser.find_element(By.ID, "r-alt").text, message="altitude not shown")
    painted = browser.execute_script(
        "const c = document.getElementById('sky'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        "let lit = 0; for (let i = 0; i < d.length; i += 4 * 97) if (d[i] + d[i + 1] + d[i + 2] > 150) lit++; return lit;")
    assert painted > 20, "the canvas is essentially dark"
    shot(browser, "01-ship")

    # Thrust: the slider reaches the server and the panel shows it.
    browser.execute_script("const s = document.getElementById('throttle'); s.value = 40; s.dispatchEvent(new Event('input'))")
    wait_for(lambda: abs(own_ship(web_server, token)["throttle"] - 0.4) < 1e-9, message="throttle 0.4 not applied")
    wait_for(lambda: "40%" in browser.find_element(By.ID, "r-thrust").get_attribute("textContent"), message="thrust not shown")
    shot(browser, "02-thrust")
    browser.find_element(By.ID, "throttle-cut").click()
    wait_for(lambda: own_ship(web_server, token)["throttle"] == 0, message="cut-off not applied")

    # Rendezvous with the station, then cancel it.
    select = Select(browser.find_element(By.ID, "target-select"))
    meridian = next(option.text for option in select.options if option.text.startswith("Meridian"))
    select.select_by_visible_text(meridian)
    browser.find_element(By.ID, "rendezvous").click()
    progress = wait_for(lambda: own_ship(web_server, token).get("maneuver"), message="rendezvous did not start")
    assert progress["kind"] == "rendezvous"
    wait_for(lambda: "rendezvous" in browser.find_element(By.ID, "maneuver-status").get_attribute("textContent").lower(),
             message="maneuver not shown in the ship panel")
    shot(browser, "03-rendezvous")
    browser.find_element(By.ID, "cancel-maneuver").click()
    wait_for(lambda: own_ship(web_server, token).get("maneuver") is None, message="rendezvous not cancelled")
    shot(browser, "04-cancelled")

    # The operator pauses and resumes from the dashboard.
    browser.get(base + "/admin/")
    browser.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
    browser.find_element(By.ID, "login-form").submit()
    wait_for(lambda: browser.find_element(By.ID, "console").is_displayed(), message="dashboard did not open")
    status = lambda: web_server.request("GET", "/api/v1/admin/status", token=ADMIN_TOKEN).json()
    browser.find_element(By.ID, "pause").click()
    wait_for(lambda: status()["paused"], message="pause did not reach the engine")
    wait_for(lambda: "paused" in browser.find_element(By.ID, "badge-state").text.lower(), message="paused badge not shown")
    shot(browser, "05-admin-paused")
    browser.find_element(By.ID, "resume").click()
    wait_for(lambda: not status()["paused"], message="resume did not reach the engine")
    shot(browser, "06-admin-running")
    assert web_server.healthy()


def test_browser_decodes_binary_state(web_server, browser):
    # A binary state message from the server, decoded by the page's own module and here, must give the
    # text message's shape: own ships, then every record with the static fields of ships new to the client.
    player = web_server.register()
    with connect(web_server, player.token, "binary") as ws:
        receive_welcome(ws)
        view = {"type": "view", "seq": 1, "focus": {"body": "Earth"}, "radius_m": 1e13}
        assert send_and_reply(ws, view) == {"type": "ack", "seq": 1}
        payload = ws.recv(timeout=10)
        while not (isinstance(payload, bytes) and decode(payload)[1]):
            payload = ws.recv(timeout=10)
    head, records = decode(payload)
    statics = {entry["id"]: entry for entry in head.pop("static")}
    for ship_id, (p, v, q) in records.items():
        head["ships"].append({**statics.get(ship_id, {}), "id": ship_id, "p": p, "v": v, "q": q})

    browser.get(f"http://127.0.0.1:{web_server.port}/")
    decoded = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const bytes = Uint8Array.from(atob(arguments[0]), (c) => c.charCodeAt(0));"
        "import('/js/binary.js').then((m) => done(m.decodeBinaryState(bytes.buffer))).catch((e) => done(String(e)));",
        base64.b64encode(payload).decode(),
    )
    assert isinstance(decoded, dict), decoded
    assert decoded["tick"] == head["tick"]
    assert "static" not in decoded
    by_id = lambda ships: {ship["id"]: ship for ship in ships}
    assert by_id(decoded["ships"]) == by_id(head["ships"])
    assert len(decoded["ships"]) == len(head["ships"])
    assert any("name" in ship for ship in decoded["ships"] if ship["id"] in records)
