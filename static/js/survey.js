// Progressive enhancement for the phone questionnaire; the form works without it.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.querySelector(".survey-form");
  if (!form) { return; }

  function answersOf(name) {
    var values = [];
    form.querySelectorAll("[name='" + name + "']").forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") ? input.checked : input.value) {
        values.push(input.value);
      }
    });
    return values;
  }

  // show_if on this page: hide a question (and disable its inputs) until it applies.
  function applySkipRules() {
    form.querySelectorAll("[data-show-if-item]").forEach(function (question) {
      var target = question.getAttribute("data-show-if-item");
      var wanted = question.getAttribute("data-show-if-values").split(" ");
      var onPage = form.querySelector("[name='" + target + "']");
      if (!onPage) { return; }
      var shown = answersOf(target).some(function (v) { return wanted.indexOf(v) >= 0; });
      question.hidden = !shown;
      question.querySelectorAll("input, textarea, select").forEach(function (input) {
        input.disabled = !shown;
      });
    });
  }
  form.addEventListener("change", applySkipRules);
  applySkipRules();

  // The last step is sent with fetch: without a network the answers stay in
  // localStorage and go out by themselves when the phone is back online. A resend is
  // harmless: the server keeps one response per form id.
  var PENDING = "sipas.pending.";
  function sendPending(key, navigate) {
    var saved = JSON.parse(localStorage.getItem(key) || "null");
    if (!saved) { return Promise.resolve(); }
    var body = new URLSearchParams();
    saved.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    return fetch(saved.action, {method: "POST", body: body, credentials: "same-origin"})
      .then(function (response) {
        // the server answered: a retry would change nothing (5xx: try again later)
        if (response.status < 500) { localStorage.removeItem(key); }
        if (navigate && response.redirected) { window.location.assign(response.url); }
        return response;
      });
  }
  function sendAllPending() {
    Object.keys(localStorage).filter(function (k) { return k.indexOf(PENDING) === 0; })
      .forEach(function (key) {
        var own = form.querySelector("[name=form_id]");
        sendPending(key, own && key === PENDING + own.value).catch(function () {});
      });
  }
  window.addEventListener("online", sendAllPending);
  if (navigator.onLine) { sendAllPending(); }

  if (form.dataset.final === "1") {
    form.addEventListener("submit", function (event) {
      var pressed = event.submitter;
      if (!pressed || pressed.value !== "next" || form.dataset.sending === "1") { return; }
      event.preventDefault();
      form.dataset.sending = "1";
      var fields = [];
      new FormData(form).forEach(function (value, name) { fields.push([name, String(value)]); });
      fields.push(["move", "next"]);
      var key = PENDING + form.querySelector("[name=form_id]").value;
      localStorage.setItem(key, JSON.stringify({action: form.action, fields: fields}));
      sendPending(key, false).then(function (response) {
        if (response.redirected) { window.location.assign(response.url); return; }
        // answers refused (nothing stored): the ordinary post shows the messages
        localStorage.removeItem(key);
        form.submit();
      }, function () {
        form.dataset.sending = "";
        var note = document.getElementById("offline-note");
        note.textContent = form.dataset.offlineMessage;
        note.hidden = false;
        note.setAttribute("tabindex", "-1");
        note.focus();
      });
    });
  }

  // One tap sends once; a retry after a network error is still harmless (same form id).
  form.addEventListener("submit", function (event) {
    if (form.dataset.sending === "1") { event.preventDefault(); return; }
    form.dataset.sending = "1";
    var pressed = event.submitter;
    if (pressed && pressed.name) {
      var carry = document.createElement("input");
      carry.type = "hidden"; carry.name = pressed.name; carry.value = pressed.value;
      form.appendChild(carry);
    }
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    window.setTimeout(function () {
      form.dataset.sending = "";
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
    }, 15000);
  });

  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
