"""The browser counter (static/sms.js) gives the same answers as services/segments.py."""

import dataclasses
from pathlib import Path

import pytest
from playwright.sync_api import expect

import crm_sms
from crm_sms.services.segments import count, split

SMS_JS = Path(crm_sms.__file__).parent / "static" / "sms.js"

TRICKY = [
    "",
    "a",
    "a" * 160,
    "a" * 161,
    "a" * 306,
    "a" * 307,
    "€" * 80,
    "€" * 81,
    "a" * 152 + "€" + "b" * 10,
    "a" * 152 + "€" + "a" * 152,
    "{}[]~|^\\\f€" * 20,
    "Hi\r\nthere\n",
    "Ça va",
    "ça va",
    "Olá, ça va ? Olá !",
    "ç" * 70,
    "ç" * 71,
    "ç" * 134,
    "ç" * 135,
    "ç" * 66 + "😀" + "ç" * 5,
    "😀" * 35,
    "😀" * 36,
    "€ and ç",
    "👍🏽 👨‍👩‍👧",
    "no\u00a0break",
    "Mixed: Grüße ΔΩ € 😀 çá" * 6,
]


def _open_counter_page(browser):
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.set_content("<textarea data-sms-counter='#out'></textarea><div id='out'></div>")
    page.add_script_tag(path=SMS_JS)
    return context, page


@pytest.fixture(scope="module")
def sms_js(browser):
    """One page for the pure functions: countSms and splitSms keep no state between calls."""
    context, page = _open_counter_page(browser)
    yield page
    context.close()


@pytest.fixture
def counter_page(browser):
    context, page = _open_counter_page(browser)
    yield page
    context.close()


@pytest.mark.parametrize("text", TRICKY, ids=range(len(TRICKY)))
def test_browser_count_and_split_match_python(sms_js, text):
    expected = dataclasses.asdict(count(text)) | {"unicode_characters": list(count(text).unicode_characters)}
    assert sms_js.evaluate("text => window.crmSms.countSms(text)", text) == expected
    assert sms_js.evaluate("text => window.crmSms.splitSms(text)", text) == split(text)


def test_typing_updates_the_counter_and_an_emoji_warns_that_it_forces_unicode(counter_page):
    out = counter_page.locator("#out")
    expect(out).to_have_text("0 characters · GSM-7 · 0 segments (160 left)")
    counter_page.locator("textarea").fill("a" * 161)
    expect(out).to_have_text("161 characters · GSM-7 · 2 segments (145 left)")
    expect(out.locator(".sms-counter-warning")).to_have_count(0)
    counter_page.locator("textarea").fill("Hi")
    counter_page.locator("textarea").press_sequentially("😀")
    expect(out.locator(".sms-counter-summary")).to_have_text("3 characters · UCS-2 · 1 segment (66 left)")
    expect(out.locator(".sms-counter-warning")).to_have_text(
        "“😀” forces Unicode: 70 characters per segment instead of 160."
    )


def test_the_warning_names_at_most_five_characters_and_invisible_ones_by_code_point(counter_page):
    counter_page.locator("textarea").fill("\u00a0áíóúçâ")
    expect(counter_page.locator("#out .sms-counter-warning")).to_have_text(
        "U+00A0, “á”, “í”, “ó”, “ú” and 2 more force Unicode: 70 characters per segment instead of 160."
    )


def test_a_textarea_swapped_in_later_gets_a_counter(counter_page):
    counter_page.evaluate("""() => {
        const area = document.createElement("textarea");
        area.dataset.smsCounter = "#late";
        area.value = "Hello";
        const out = document.createElement("p");
        out.id = "late";
        document.body.append(area, out);
        area.dispatchEvent(new CustomEvent("htmx:afterSettle", {bubbles: true}));
    }""")
    expect(counter_page.locator("#late")).to_have_text("5 characters · GSM-7 · 1 segment (155 left)")
    counter_page.locator("textarea").nth(1).fill("Hello ç")
    expect(counter_page.locator("#late .sms-counter-warning")).to_contain_text("“ç” forces Unicode")
