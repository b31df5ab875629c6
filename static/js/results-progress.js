// The results of a large scope are computed by the worker: ask the server every two
// seconds how far it is, say so in the role="status" region, and put the results in
// place once they are made (no reload by hand). A failed job: the page is loaded
// again, and says why with a button to try again. Without this script the page's
// "Reload" link shows the results once they are ready.
(function () {
  "use strict";
  var box = document.querySelector("[data-results-job]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-results-job");
  var status = box.querySelector("[role=status]");
  var progress = box.querySelector("[data-results-progress]");
  var body = box.querySelector("[data-results-body]");

  function show(state) {
    if (state.status === "failed" || (state.finished && !state.html)) {
      window.location.reload();
      return;
    }
    if (status && status.textContent !== state.text) { status.textContent = state.text; }
    if (state.html) {
      body.innerHTML = state.html;
      // the status line stays, read out once ("ready"); the bar and link go
      progress.querySelector("progress").remove();
      progress.querySelector(".results-reload").remove();
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (state) {
        if (state) { show(state); }
        if (!state || !state.finished) { window.setTimeout(poll, 2000); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 1000);
})();
