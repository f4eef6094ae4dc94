"""Drives the agent console in headless Chromium as an agent would, and checks what the page shows.

Run under scripts/local-stack with the console serving (scripts/console-test does both):
    python scripts/console-browser-test.py http://127.0.0.1:4321/ OUT_DIR
Every check reads the page (visible text, enabled buttons, the error beside a field), not the
network. Screenshots go to OUT_DIR.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

URL, OUT = sys.argv[1], sys.argv[2]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
checks = []


def check(what, ok, seen=""):
    checks.append(what)
    if not ok:
        raise AssertionError(f"{what}: page shows {seen!r}")
    print(f"ok   {what}")


def browser():
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for flag in [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1366,768", f"--user-data-dir={tempfile.mkdtemp(prefix='console-chrome-')}",
        # Product images point at the store's CDN: nothing leaves this machine in a test.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ]:
        o.add_argument(flag)
    # The driver is Debian's: giving its path keeps Selenium from downloading one.
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=o)


def main():
    d = browser()
    # The profile is redrawn after each action: an element read mid-redraw is stale, not absent.
    wait = WebDriverWait(d, 20, ignored_exceptions=[StaleElementReferenceException])
    try:
        run(d, wait)
    except Exception:
        d.save_screenshot(f"{OUT}/failure.png")
        print(f"FAIL after {len(checks)} checks; screenshot {OUT}/failure.png")
        raise
    finally:
        d.quit()
    print(f"console in the browser: {len(checks)} checks passed, screenshots in {OUT}")


def text_of(d, css):
    return d.find_element(By.CSS_SELECTOR, css).text


def wait_text(wait, css, pattern):
    try:
        wait.until(lambda d: re.search(pattern, d.find_element(By.CSS_SELECTOR, css).text))
    except TimeoutException:
        pass


def button(scope, label):
    """The enabled, visible button whose text starts with label."""
    for b in scope.find_elements(By.TAG_NAME, "button"):
        if b.text.strip().startswith(label) and b.is_displayed() and b.is_enabled():
            return b
    raise AssertionError(f"no enabled button {label!r} in {scope.text[:300]!r}")


def type_into(el, value):
    el.send_keys(Keys.CONTROL, "a")
    el.send_keys(Keys.DELETE)
    el.send_keys(value)


def field(d, attr):
    return d.find_element(By.CSS_SELECTOR, f'#form-sections .field[data-attr="{attr}"]')


def run(d, wait):
    d.get(URL)
    wait_text(wait, "#adaptor", r"^http")
    check("the console names the adaptor it calls", text_of(d, "#adaptor").startswith("http"), text_of(d, "#adaptor"))

    # Gladly's auto-link rule, shown: nobody is found for an unknown email.
    writes_in = d.find_element(By.ID, "writes-in")
    type_into(writes_in.find_element(By.NAME, "email"), "nobody@example.invalid")
    button(writes_in, "Auto-link").click()
    wait_text(wait, "#link-decision", "No link")
    check("an unknown shopper is not linked, and the page says why",
          "found nobody" in text_of(d, "#link-decision"), text_of(d, "#link-decision"))

    # Search by hand, then link the one result.
    Select(d.find_element(By.ID, "search-key")).select_by_value("email")
    type_into(d.find_element(By.ID, "search-value"), "jane.doe@example.com")
    button(d.find_element(By.ID, "search"), "Search").click()
    wait_text(wait, "#candidates", "Jane Doe")
    check("the search lists Jane Doe", "Jane Doe" in text_of(d, "#candidates"), text_of(d, "#candidates"))
    check("… and says auto-link would not link her for the unknown email",
          "Auto-linking this shopper: No link" in text_of(d, "#link-decision"), text_of(d, "#link-decision"))
    button(d.find_element(By.ID, "candidates"), "Link Jane Doe").click()

    wait_text(wait, "#profile-name", "Jane Doe")
    profile = d.find_element(By.ID, "profile")
    check("the linked profile shows her name", text_of(d, "#profile-name") == "Jane Doe", profile.text[:200])
    check("… her email and address", "jane.doe@example.com" in profile.text and "Austin" in profile.text, profile.text[:400])
    check("… her custom attributes", "storeCreditAmount" in text_of(d, "#custom-attributes"), profile.text[:400])
    cards = d.find_elements(By.CSS_SELECTOR, "#profile article.order")
    numbers = [c.get_attribute("id") for c in cards]
    check("… her orders as cards, newest first", numbers[:3] == ["order-101", "order-102", "order-103"], numbers)
    card = d.find_element(By.ID, "order-103")
    check("… a card with its status, total, items and billing address",
          all(s in card.text for s in ["Partially Shipped", "$172.95", "4 items", "2 × Ceramic Mug"])
          and "1 Main St" in card.find_element(By.CSS_SELECTOR, ".billing").text, card.text)
    images = card.find_elements(By.CSS_SELECTOR, "li.item img")
    check("… item images (their names as text while the CDN is out of reach)",
          len(images) == 3 and images[0].get_attribute("alt") == "Ceramic Mug", [i.get_attribute("alt") for i in images])
    shipments = card.find_element(By.CSS_SELECTOR, ".shipments")
    tracking = shipments.find_elements(By.CSS_SELECTOR, "a[href^='http']")
    check("… shipments with tracking links, and what each contains",
          len(tracking) >= 1 and tracking[0].text.strip().isdigit() and "Contains:" in shipments.text, shipments.text)
    check("… and its action buttons, enabled", button(card, "Refund").is_enabled())
    check("… not refunded yet (the premise of the reload check below)", "Refunded" not in card.text, card.text)
    check("the profile's own actions are buttons too", button(profile, "Create discount code").is_enabled())
    d.execute_script("window.scrollTo(0, 0)")
    d.save_screenshot(f"{OUT}/profile.png")

    # A refund with a quantity too large: the form stays open with the error beside the field.
    button(card, "Refund").click()
    dialog = wait.until(EC.visibility_of_element_located((By.ID, "form-dialog")))
    wait_text(wait, "#form-title", "103")
    check("the refund form opens with its title", "#103" in text_of(d, "#form-title"), text_of(d, "#form-title"))
    check("… rendered from the form JSON (text, select, inputs, checkbox)",
          "Refundable on order #103" in dialog.text and field(d, "qty_1004") and field(d, "restock"), dialog.text[:300])
    type_into(field(d, "qty_1004").find_element(By.TAG_NAME, "input"), "5")
    Select(field(d, "reason").find_element(By.TAG_NAME, "select")).select_by_value("damaged")
    button(dialog, "Refund").click()
    wait_text(wait, '#form-sections .field[data-attr="qty_1004"] .field-error', r"\S")
    err = field(d, "qty_1004").find_element(By.CSS_SELECTOR, ".field-error").text
    check("an invalid quantity shows its error beside the field", err != "" and "2" in err, err)
    check("… the field is marked invalid",
          field(d, "qty_1004").find_element(By.TAG_NAME, "input").get_attribute("aria-invalid") == "true")
    check("… and the form stays open", dialog.is_displayed())
    d.save_screenshot(f"{OUT}/form-error.png")

    # The valid refund: the form closes, the timeline says what was done, the profile reloads.
    type_into(field(d, "qty_1004").find_element(By.TAG_NAME, "input"), "1")
    button(dialog, "Refund").click()
    wait.until(EC.invisibility_of_element_located((By.ID, "form-dialog")))
    wait_text(wait, "#timeline", r"\$14\.00")
    timeline = text_of(d, "#timeline")
    check("a valid refund closes the form and lands on the timeline with its amount", "$14.00" in timeline, timeline)
    wait_text(wait, "#order-103 .status", "Partially Refunded")
    status = text_of(d, "#order-103 .status")
    check("the reloaded profile shows order #103 Partially Refunded", status == "Partially Refunded", status)
    focused = d.switch_to.active_element.get_attribute("data-action") or ""
    check("… and the focus is back on that order's Refund button", focused.endswith("#103|Refund"), focused)

    # A discount code: created, and readable on the timeline.
    button(d.find_element(By.ID, "profile"), "Create discount code").click()
    dialog = wait.until(EC.visibility_of_element_located((By.ID, "form-dialog")))
    wait_text(wait, "#form-title", "iscount")
    d.save_screenshot(f"{OUT}/form.png")
    Select(field(d, "type").find_element(By.TAG_NAME, "select")).select_by_value("percent")
    type_into(field(d, "value").find_element(By.TAG_NAME, "input"), "10")
    d.find_element(By.ID, "form-submit").click()
    wait.until(EC.invisibility_of_element_located((By.ID, "form-dialog")))
    wait_text(wait, "#timeline li:first-child", "[A-Z0-9]{6,}")
    latest = text_of(d, "#timeline li:first-child")
    code = re.search(r"\b[A-Z0-9][A-Z0-9-]{7,}\b", latest)
    check("the discount code is on the timeline, readable", code is not None and "10%" in latest, latest)

    # A second agent cancels order #102 while this form is open: submitting it closes the form
    # with Gladly's 406 message, and nothing is cancelled twice.
    button(d.find_element(By.ID, "order-102"), "Cancel order").click()
    dialog = wait.until(EC.visibility_of_element_located((By.ID, "form-dialog")))
    wait_text(wait, "#form-title", "102")
    other_agent_cancels("102")
    Select(field(d, "reason").find_element(By.TAG_NAME, "select")).select_by_value("customer_request")
    d.find_element(By.ID, "form-submit").click()
    wait.until(EC.invisibility_of_element_located((By.ID, "form-dialog")))
    wait_text(wait, "#timeline li:first-child", "already")
    latest = d.find_element(By.CSS_SELECTOR, "#timeline li:first-child")
    check("a form overtaken by another agent closes with the 406 message, in red",
          "already cancelled" in latest.text and "closed" in latest.get_attribute("class"), latest.text)

    # Without a mouse: Tab reaches an action, Enter opens its form with the focus inside, Escape
    # closes it.
    d.find_element(By.ID, "profile-name").click()
    for _ in range(60):
        if d.switch_to.active_element.text == "Gift certificate":
            break
        d.switch_to.active_element.send_keys(Keys.TAB)
    check("Tab reaches the profile's Gift certificate action", d.switch_to.active_element.text == "Gift certificate",
          d.switch_to.active_element.text)
    d.switch_to.active_element.send_keys(Keys.ENTER)
    wait.until(EC.visibility_of_element_located((By.ID, "form-dialog")))
    wait_text(wait, "#form-title", "ift")
    inside = d.execute_script("return document.getElementById('form-dialog').contains(document.activeElement)")
    check("Enter on a focused action opens its form with the focus in it", inside)
    d.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait.until(EC.invisibility_of_element_located((By.ID, "form-dialog")))
    check("Escape closes the form", not d.find_element(By.ID, "form-dialog").is_displayed())

    # The raw view lists every call with its status and time, and never the signature.
    raw = text_of(d, "#exchanges")
    check("the raw view lists each call with status and latency",
          re.search(r"POST /orders/103/refund/\w+ → 400 · \d+ ms", raw) and re.search(r"→ 200 · \d+ ms", raw), raw[:500])
    d.find_element(By.CSS_SELECTOR, "#exchanges li:first-child summary").click()
    opened = text_of(d, "#exchanges li:first-child")
    check("… with headers and bodies, the signature hidden",
          "gladly-time" in opened and "(signature, not shown)" in opened and "hmac" not in opened.lower(), opened[:500])


def other_agent_cancels(order):
    """Another agent's Gladly, through the project's own signed client (URL and key from the stack)."""
    client = [os.path.join(ROOT, "target/debug/gladly-client"), "request", "--local"]
    form = subprocess.run(client + ["GET", f"/orders/{order}/cancel"], capture_output=True, text=True, check=True)
    action = json.loads(form.stdout.split("\n", 1)[1])["actionUrl"]
    done = subprocess.run(client + ["POST", action, "--body", json.dumps({"reason": "customer_request"})],
                          capture_output=True, text=True, check=True)
    check(f"(premise) the other agent's cancel of #{order} went through", done.stdout.startswith("200"), done.stdout)


def refused(headers):
    req = urllib.request.Request(URL + "api/link", data=b"{}", method="POST", headers=headers)
    try:
        urllib.request.urlopen(req, timeout=5)
        return None
    except urllib.error.HTTPError as e:
        return e.code


def guard():
    """Another web page, or a name rebound to this machine, cannot make the console sign calls."""
    port = URL.rstrip("/").rsplit(":", 1)[1]
    json_ = {"content-type": "application/json"}
    check("a call from another origin is refused", refused({**json_, "Origin": "http://evil.example"}) == 403)
    check("a call under another host name is refused", refused({**json_, "Host": f"evil.example:{port}"}) == 421)
    check("a form-encoded call is refused", refused({"content-type": "text/plain"}) == 415)


if __name__ == "__main__":
    guard()
    main()
