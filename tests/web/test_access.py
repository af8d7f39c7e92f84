"""Every view works by keyboard, names its controls, and fits a phone's width."""
from conftest import sign_in

VIEWS = ["Chat", "Knowledge", "Models", "Dashboard", "Admin"]

# Controls without a name a screen reader could read out (label, aria-label, title, text).
UNNAMED = """() => [...document.querySelectorAll("input, select, textarea, button")]
  .filter((el) => !el.hidden && el.type !== "hidden" && el.offsetParent !== null)
  .filter((el) => !(el.labels?.length || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby")
                    || el.getAttribute("title") || (el.tagName === "BUTTON" && el.textContent.trim())))
  .map((el) => el.outerHTML.slice(0, 120))"""


def test_every_control_has_a_name_and_every_view_fits_a_phone(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        sign_in(page, server, "admin")
        for view in VIEWS:
            page.get_by_role("link", name=view).click()
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(300)
            assert page.evaluate(UNNAMED) == [], f"{view}: controls without a name"
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{view} is {overflow} px wider than a phone"
    finally:
        context.close()


def test_a_chat_is_sent_and_stopped_by_keyboard_alone(page, server):
    sign_in(page, server, "alice")
    page.get_by_label("Model").select_option("smollm2:135m")
    page.get_by_label("Message").focus()
    page.keyboard.type("Write a long poem about the sea.")
    page.keyboard.press("Enter")
    page.locator(".message.assistant.streaming").wait_for()
    # Tab from the message box reaches Stop, and Enter on it stops the answer.
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "stop":
            break
    assert page.evaluate("document.activeElement.id") == "stop"
    page.keyboard.press("Enter")
    page.locator(".message.assistant.stopped").wait_for()
    assert page.evaluate("document.activeElement.id") == "prompt", "the focus goes back to the message box"
