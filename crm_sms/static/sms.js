/*
 * crm_sms SMS counter: the rules of crm_sms/services/segments.py, in the browser.
 *
 * window.crmSms.countSms(text) returns the fields of segments.Count, under the
 * same snake_case names so the two compare one to one:
 *   { characters, encoding, units, segments, per_segment, remaining, unicode_characters }
 * window.crmSms.splitSms(text) returns the parts, like segments.split.
 * tests/browser/test_segments_js.py holds both to the Python answers.
 *
 * Behaviour: <textarea data-sms-counter="#out"> writes a live counter into the
 * element matching "#out", on load, on every input and after htmx swaps:
 *   42 characters · GSM-7 · 1 segment (118 left)
 * plus, when a character forces UCS-2, a second line with class sms-counter-warning:
 *   “😀” forces Unicode: 70 characters per segment instead of 160.
 * Plain ES2017, no dependencies; text is written with textContent only.
 */
(function () {
  "use strict";

  var GSM_7 = "GSM-7";
  var UCS_2 = "UCS-2";
  var GSM_BASIC =
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXTENSION = "\f^{}\\[~]|€";
  // [units in a single-part message, units in each part of a multi-part one]
  var LIMITS = { "GSM-7": [160, 153], "UCS-2": [70, 67] };
  var MAX_LISTED = 5;

  function isGsm(char) {
    return GSM_BASIC.indexOf(char) !== -1 || GSM_EXTENSION.indexOf(char) !== -1;
  }

  function cost(char, encoding) {
    if (encoding === GSM_7) return GSM_EXTENSION.indexOf(char) !== -1 ? 2 : 1;
    return char.length; // a code point outside the BMP is a surrogate pair: 2 UTF-16 units
  }

  // Array.from iterates code points, so a surrogate pair is never cut in two.
  function layout(text) {
    var chars = Array.from(text);
    var unicodeCharacters = [];
    chars.forEach(function (char) {
      if (!isGsm(char) && unicodeCharacters.indexOf(char) === -1) unicodeCharacters.push(char);
    });
    var encoding = unicodeCharacters.length ? UCS_2 : GSM_7;
    var costs = chars.map(function (char) { return cost(char, encoding); });
    var total = costs.reduce(function (sum, c) { return sum + c; }, 0);
    var parts = [];
    if (total <= LIMITS[encoding][0]) {
      if (chars.length) parts.push({ text: text, units: total });
    } else {
      var perPart = LIMITS[encoding][1];
      var current = [];
      var used = 0;
      chars.forEach(function (char, index) {
        // A character that does not fit whole (escape pair, surrogate pair) starts the next part.
        if (used + costs[index] > perPart) {
          parts.push({ text: current.join(""), units: used });
          current = [];
          used = 0;
        }
        current.push(char);
        used += costs[index];
      });
      parts.push({ text: current.join(""), units: used });
    }
    return { chars: chars, encoding: encoding, unicodeCharacters: unicodeCharacters, parts: parts };
  }

  function countSms(text) {
    var result = layout(text);
    var limits = LIMITS[result.encoding];
    var parts = result.parts;
    var perSegment = parts.length <= 1 ? limits[0] : limits[1];
    return {
      characters: result.chars.length,
      encoding: result.encoding,
      units: parts.reduce(function (sum, part) { return sum + part.units; }, 0),
      segments: parts.length,
      per_segment: perSegment,
      remaining: perSegment - (parts.length ? parts[parts.length - 1].units : 0),
      unicode_characters: result.unicodeCharacters,
    };
  }

  function splitSms(text) {
    return layout(text).parts.map(function (part) { return part.text; });
  }

  function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  // Invisible culprits (a no-break space pasted from a word processor) are named by code point.
  var INVISIBLE = /^[\s\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]$/;

  function describe(char) {
    if (!INVISIBLE.test(char)) return "“" + char + "”";
    return "U+" + char.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
  }

  function summary(count) {
    return plural(count.characters, "character") + " · " + count.encoding + " · " +
      plural(count.segments, "segment") + " (" + count.remaining + " left)";
  }

  function warning(count) {
    var culprits = count.unicode_characters;
    var listed = culprits.slice(0, MAX_LISTED).map(describe).join(", ");
    if (culprits.length > MAX_LISTED) listed += " and " + (culprits.length - MAX_LISTED) + " more";
    return listed + (culprits.length === 1 ? " forces" : " force") + " Unicode: " +
      LIMITS[UCS_2][0] + " characters per segment instead of " + LIMITS[GSM_7][0] + ".";
  }

  function render(textarea) {
    var output = document.querySelector(textarea.getAttribute("data-sms-counter"));
    if (!output) return;
    var count = countSms(textarea.value);
    var line = document.createElement("span");
    line.className = "sms-counter-summary";
    line.textContent = summary(count);
    output.textContent = "";
    output.appendChild(line);
    if (count.unicode_characters.length) {
      var warn = document.createElement("span");
      warn.className = "sms-counter-warning";
      warn.style.display = "block";
      warn.textContent = warning(count);
      output.appendChild(warn);
    }
  }

  var SELECTOR = "textarea[data-sms-counter]";

  function renderAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches(SELECTOR)) render(scope);
    Array.from(scope.querySelectorAll(SELECTOR)).forEach(render);
  }

  // Delegated on document, so textareas that htmx swaps in later count too.
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches(SELECTOR)) render(event.target);
  });
  document.addEventListener("htmx:afterSettle", function (event) { renderAll(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { renderAll(document); });
  } else {
    renderAll(document);
  }

  window.crmSms = { countSms: countSms, splitSms: splitSms };
})();

/* A <select data-insert-into="#textarea"> inserts the chosen variable at the cursor. */
document.addEventListener("change", function (event) {
  var select = event.target.closest && event.target.closest("select[data-insert-into]");
  if (!select || !select.value) return;
  var area = document.querySelector(select.getAttribute("data-insert-into"));
  if (!area) return;
  var start = area.selectionStart == null ? area.value.length : area.selectionStart;
  var end = area.selectionEnd == null ? start : area.selectionEnd;
  area.value = area.value.slice(0, start) + select.value + area.value.slice(end);
  area.focus();
  area.selectionStart = area.selectionEnd = start + select.value.length;
  select.value = "";
  area.dispatchEvent(new Event("input", { bubbles: true }));
});

/*
 * crmSms.optimistic(form, "#thread"): show a reply in the thread the moment it is sent, marked
 * "Sending…"; the server's answer replaces the thread with the message as saved (or drops it on an error).
 */
window.crmSms.optimistic = function (form, thread) {
  var area = form.querySelector("textarea");
  var list = document.querySelector(thread);
  if (!area || !list || !area.value.trim()) return;
  var bubble = document.createElement("div");
  bubble.className = "bubble outbound optimistic";
  var text = document.createElement("div");
  text.className = "bubble-text";
  text.textContent = area.value.trim();
  var meta = document.createElement("div");
  meta.className = "bubble-meta small";
  meta.innerHTML = '<span class="badge status-queued">Sending…</span>';
  bubble.appendChild(text);
  bubble.appendChild(meta);
  var empty = list.querySelector(".empty");
  if (empty) empty.remove();
  list.appendChild(bubble);
};

/*
 * Every htmx request carries the CSRF token of the page (#crm-sms-csrf, in crm_sms/_assets.html), so a host's
 * layout needs no hx-headers on its <body>. A header the page already set wins.
 */
document.addEventListener("htmx:configRequest", function (event) {
  var holder = document.getElementById("crm-sms-csrf");
  if (holder && !event.detail.headers["X-CSRFToken"]) event.detail.headers["X-CSRFToken"] = holder.dataset.token;
});
