// Paper entry from the keyboard: the serial box checks each typed number at once;
// the answer page moves on by itself when a valid key is typed, greys out the
// questions the paper skips, and goes back on Backspace in an empty box.
// Without this script both forms still work: the server checks everything again.
(function () {
  "use strict";

  function serialBox(form) {
    var input = form.querySelector("input[name=serial]");
    var status = document.getElementById("serial-status");
    var url = form.getAttribute("data-serial-url");
    var verdict = null;
    var asked = "";

    function ask() {
      var digits = input.value.replace(/[\s\-–.]/g, "");
      verdict = null;
      // a scanned form code (SIPAS:…) arrives key by key and ends with Enter, which
      // sends it as it is: the server reads round, unit and serial from it
      var scanned = /^[A-Za-z]/.test(digits);
      if (!url || scanned || digits.length < 7) { status.textContent = ""; form.classList.remove("serial-ok", "serial-bad"); return; }
      asked = input.value;
      fetch(url + "&s=" + encodeURIComponent(input.value), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (data) {
          if (!data || asked !== input.value) { return; }
          verdict = data;
          status.textContent = data.message;
          form.classList.toggle("serial-ok", data.ok);
          form.classList.toggle("serial-bad", !data.ok);
          if (data.ok) { form.submit(); } else { input.select(); }
        })
        .catch(function () { /* the server checks again when the form is sent */ });
    }

    input.addEventListener("input", ask);
    // autofocus may come only after the first frame is drawn: a typist who starts
    // at once must not lose the first keys
    if (document.activeElement === document.body || !document.activeElement) { input.focus(); }
    form.addEventListener("submit", function (event) {
      if (verdict && !verdict.ok) { event.preventDefault(); status.textContent = verdict.message; input.select(); }
    });
  }

  function answerPage(form) {
    var items = Array.prototype.slice.call(form.querySelectorAll(".entry-item"));
    var byCode = {};
    var keystrokes = 0;
    var messages = {
      invalid: form.getAttribute("data-msg-invalid"),
      missing: form.getAttribute("data-msg-missing"),
      repeated: form.getAttribute("data-msg-repeated")
    };

    items.forEach(function (li) {
      var keys = li.getAttribute("data-keys");
      li.entry = {
        code: li.getAttribute("data-code"),
        type: li.getAttribute("data-type"),
        keys: keys ? keys.split(" ") : [],
        codes: (li.getAttribute("data-codes") || "").split(" "),
        keyLength: parseInt(li.getAttribute("data-key-length"), 10) || 0,
        maxKeys: parseInt(li.getAttribute("data-max-keys"), 10) || 1,
        showItem: li.getAttribute("data-show-item"),
        showValues: (li.getAttribute("data-show-values") || "").split(" "),
        input: li.querySelector("input"),
        error: li.querySelector(".error-message")
      };
      byCode[li.entry.code] = li;
    });

    // "complete" (move on), "partial" (wait for more), "invalid", "repeated" or "empty"
    function state(entry) {
      var value = entry.input.value.trim();
      if (value === "-") { return "complete"; }
      if (value === "") { return "empty"; }
      if (!entry.keys.length) { return "partial"; }
      var chunks = [];
      for (var at = 0; at < value.length; at += entry.keyLength) { chunks.push(value.slice(at, at + entry.keyLength)); }
      var last = chunks[chunks.length - 1];
      if (last.length < entry.keyLength) {
        var prefix = entry.keys.some(function (key) { return key.indexOf(last) === 0; });
        if (!prefix) { return "invalid"; }
        chunks.pop();
        if (chunks.some(function (c) { return entry.keys.indexOf(c) < 0; })) { return "invalid"; }
        return "partial";
      }
      if (chunks.some(function (c) { return entry.keys.indexOf(c) < 0; })) { return "invalid"; }
      if (chunks.some(function (c, i) { return chunks.indexOf(c) !== i; })) { return "repeated"; }
      if (chunks.length > entry.maxKeys) { return "invalid"; }
      return chunks.length === entry.maxKeys ? "complete" : "partial";
    }

    function chosenCodes(li) {
      var entry = li.entry;
      var value = entry.input.value.trim();
      var codes = [];
      if (!visible(li) || !entry.keys.length) { return value && value !== "-" ? [value] : []; }
      for (var at = 0; at + entry.keyLength <= value.length; at += entry.keyLength) {
        var index = entry.keys.indexOf(value.slice(at, at + entry.keyLength));
        if (index >= 0) { codes.push(entry.codes[index]); }
      }
      return codes;
    }

    function visible(li) {
      var entry = li.entry;
      if (!entry.showItem) { return true; }
      var target = byCode[entry.showItem];
      if (!target || !visible(target)) { return false; }
      return chosenCodes(target).some(function (code) { return entry.showValues.indexOf(code) >= 0; });
    }

    function refresh() {
      items.forEach(function (li) {
        var shown = visible(li);
        li.entry.input.disabled = !shown;
        li.classList.toggle("is-skipped", !shown);
      });
    }

    function neighbour(li, step) {
      var index = items.indexOf(li) + step;
      while (index >= 0 && index < items.length) {
        if (!items[index].entry.input.disabled) { return items[index]; }
        index += step;
      }
      return null;
    }

    function say(li, message) {
      li.entry.error.textContent = message || "";
      li.classList.toggle("has-error", !!message);
      if (message) { li.entry.input.setAttribute("aria-invalid", "true"); } else { li.entry.input.removeAttribute("aria-invalid"); }
    }

    function advance(li) {
      var next = neighbour(li, 1);
      if (next) { next.entry.input.focus(); next.entry.input.select(); } else { form.submit(); }
    }

    items.forEach(function (li) {
      var input = li.entry.input;
      input.addEventListener("input", function () {
        var now = state(li.entry);
        refresh();
        if (now === "invalid" || now === "repeated") {
          say(li, now === "invalid" ? messages.invalid : messages.repeated);
          input.select();
          return;
        }
        say(li, "");
        if (now === "complete" && li.entry.keys.length) { advance(li); }
        else if (now === "complete" && input.value.trim() === "-") { advance(li); }
      });
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          event.preventDefault();
          var now = state(li.entry);
          if (now === "empty" && li.entry.type !== "text") { say(li, messages.missing); return; }
          if (now === "invalid" || now === "repeated") { input.select(); return; }
          say(li, "");
          refresh();
          advance(li);
        } else if (event.key === "Backspace" && input.value === "") {
          var previous = neighbour(li, -1);
          if (previous) { event.preventDefault(); previous.entry.input.focus(); previous.entry.input.select(); }
        }
      });
    });

    form.addEventListener("keydown", function () { keystrokes += 1; });
    form.addEventListener("submit", function () { form.elements.keystrokes.value = String(keystrokes); });
    // form.submit() skips the submit event: count before leaving
    var submit = form.submit.bind(form);
    form.submit = function () { form.elements.keystrokes.value = String(keystrokes); submit(); };

    refresh();
    var first = form.querySelector(".has-error input:not([disabled])") ||
      form.querySelector("input[autofocus]:not([disabled])");
    if (!first) {
      var firstItem = items.filter(function (li) { return !li.entry.input.disabled; })[0];
      first = firstItem && firstItem.entry.input;
    }
    if (first) { first.focus(); first.select(); }
  }

  var serialForm = document.querySelector(".serial-form");
  if (serialForm && window.fetch) { serialBox(serialForm); }
  var entryForm = document.querySelector("[data-entry-form]");
  if (entryForm) { answerPage(entryForm); }
})();
