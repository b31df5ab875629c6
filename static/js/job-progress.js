// Follow a background job on its page: ask the server every two seconds how far it
// is, show the words it sends (a role="status" region reads them out), and show the
// download link once the file is ready. Without this script the page still says
// where the job was when it was loaded; reloading it shows the rest. A finished
// import reloads the page, which then shows its report.
(function () {
  "use strict";
  var box = document.querySelector("[data-job-progress]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-job-progress");
  var bar = box.querySelector("progress");
  var status = box.querySelector("[role=status]");
  var download = box.querySelector("[data-job-download]");
  // an import's report is drawn by the server: shown by loading the page again
  var reload = box.hasAttribute("data-job-reload");

  function show(state) {
    bar.max = Math.max(state.total, 1);
    bar.value = state.status === "done" ? bar.max : state.done;
    if (status.textContent !== state.text) { status.textContent = state.text; }
    if (state.download) {
      download.querySelector("a").href = state.download;
      download.hidden = false;
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (state) {
        if (state && state.finished && reload) { window.location.reload(); return; }
        if (state) { show(state); }
        if (!state || !state.finished) { window.setTimeout(poll, 2000); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 1000);
})();
