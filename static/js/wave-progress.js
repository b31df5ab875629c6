// Refresh the progress table of a wave page every 30 seconds from its JSON endpoint.
// The page is complete without this script; it only keeps the figures current.
(function () {
  "use strict";
  var table = document.querySelector("[data-progress-url]");
  if (!table || !window.fetch) { return; }
  var url = table.getAttribute("data-progress-url");
  var lang = document.documentElement.lang || "vi";
  var numbers = new Intl.NumberFormat(lang);
  var percents = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 });
  var updated = document.querySelector("[data-progress-updated]");

  function show(key, value) {
    if (value === null || value === undefined) { return "–"; }
    return key === "share_of_target" ? percents.format(value) : numbers.format(value);
  }

  function fill(row, figures) {
    if (!row) { return; }
    row.querySelectorAll("[data-key]").forEach(function (cell) {
      var key = cell.getAttribute("data-key");
      var value = key in figures.by_channel ? figures.by_channel[key] : figures[key];
      cell.textContent = show(key, value);
    });
  }

  function refresh() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        data.units.forEach(function (unit) {
          fill(table.querySelector('tbody tr[data-unit="' + unit.code + '"]'), unit);
        });
        fill(table.querySelector("tfoot tr"), data);
        if (updated) { updated.textContent = new Date().toLocaleTimeString(lang); }
      })
      .catch(function () { /* keep the figures shown; try again next time */ });
  }

  window.setInterval(refresh, 30000);
})();
