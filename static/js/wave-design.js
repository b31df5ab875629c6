// The design fields of a survey round, a little quicker with a script (the form is
// complete without it): choosing how people were chosen shows its technical settings,
// changing a technical setting picks "another design", and each margin question
// shows its running total and a button that empties it.
(function () {
  "use strict";
  var form = document.querySelector("#design_choice");
  if (!form) { return; }
  var fields = {
    strata: document.getElementById("strata_level"),
    psu: document.getElementById("psu_level"),
    weighting: document.getElementById("weighting")
  };
  var custom = form.querySelector('input[name="design_choice"][value="custom"]');

  form.querySelectorAll('input[name="design_choice"]').forEach(function (radio) {
    radio.addEventListener("change", function () {
      if (!radio.checked || !radio.hasAttribute("data-weighting")) { return; }
      Object.keys(fields).forEach(function (key) {
        if (fields[key]) { fields[key].value = radio.getAttribute("data-" + key); }
      });
    });
  });
  Object.keys(fields).forEach(function (key) {
    if (!fields[key] || !custom) { return; }
    fields[key].addEventListener("change", function () { custom.checked = true; });
  });

  var numbers = new Intl.NumberFormat(document.documentElement.lang || "vi");
  function count(text) {
    var clean = text.replace(/\s/g, "");
    if (/^\d{1,3}(\.\d{3})+$/.test(clean)) { clean = clean.replace(/\./g, ""); }
    return /^\d+$/.test(clean) ? parseInt(clean, 10) : null;
  }
  document.querySelectorAll(".margin-grid").forEach(function (table) {
    var total = document.createElement("p");
    total.className = "margin-total";
    total.setAttribute("aria-live", "polite");
    table.parentNode.insertBefore(total, table.nextSibling);
    var inputs = table.querySelectorAll("input");
    function update() {
      var sum = 0, filled = 0;
      inputs.forEach(function (input) {
        var value = count(input.value);
        if (value !== null) { sum += value; filled += 1; }
      });
      total.textContent = filled ? table.getAttribute("data-total-label") + ": " + numbers.format(sum) : "";
    }
    inputs.forEach(function (input) { input.addEventListener("input", update); });
    update();
    // a question is left out by emptying it: one button does it
    var clear = document.createElement("button");
    clear.type = "button";
    clear.className = "button button-secondary button-small";
    clear.textContent = table.getAttribute("data-clear-label");
    clear.addEventListener("click", function () {
      inputs.forEach(function (input) { input.value = ""; });
      update();
      inputs[0].focus();
    });
    total.parentNode.insertBefore(clear, total.nextSibling);
  });
}());
