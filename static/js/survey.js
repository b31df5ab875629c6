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
