// Follow a background job: ask the server every two seconds how far it is and say
// so in a role="status" region. Two kinds of page use it:
// - a job's own page ([data-job-progress]): the bar moves, the download link shows
//   once the file is ready; a finished import reloads the page for its report;
// - the results page of a large scope ([data-results-job]): the results are put in
//   place once the worker made them; a failed job reloads the page, which says why
//   with a button to try again.
// Without this script both pages say where the job was when loaded, and reloading
// ("Tải lại") shows the rest.
(function () {
  "use strict";

  // ask `url` for the job's state until it is finished; `show` draws each answer
  // and returns true when it has taken the page over (a reload)
  function follow(url, show) {
    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (state) {
          if (state && show(state)) { return; }
          if (!state || !state.finished) { window.setTimeout(poll, 2000); }
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 1000);
  }

  function say(status, text) {
    if (status && status.textContent !== text) { status.textContent = text; }
  }

  // the file's "kept until" line, given once the file is made
  function showKept(text) {
    var kept = document.querySelectorAll("[data-job-kept]");
    if (kept.length !== 2) { return; }
    kept[1].textContent = text;
    kept[0].hidden = false;
    kept[1].hidden = false;
  }

  function followFile(box) {
    var bar = box.querySelector("progress");
    var status = box.querySelector("[role=status]");
    var download = box.querySelector("[data-job-download]");
    // an import's report is drawn by the server: shown by loading the page again
    var reload = box.hasAttribute("data-job-reload");
    follow(box.getAttribute("data-job-progress"), function (state) {
      // a failure is told by the page itself, with the way to ask again
      if ((state.finished && reload) || state.status === "failed") {
        window.location.reload();
        return true;
      }
      bar.max = Math.max(state.total, 1);
      if (state.counted) {
        bar.value = state.status === "done" ? bar.max : state.done;
      } else {
        bar.removeAttribute("value"); // nothing to count: the bar shows work going on
      }
      say(status, state.text);
      if (state.download) {
        download.querySelector("a").href = state.download;
        download.hidden = false;
      }
      if (state.kept_until) { showKept(state.kept_until); }
      return false;
    });
  }

  function followResults(box) {
    var status = box.querySelector("[role=status]");
    var progress = box.querySelector("[data-results-progress]");
    var body = box.querySelector("[data-results-body]");
    follow(box.getAttribute("data-results-job"), function (state) {
      if (state.status === "failed" || (state.finished && !state.html)) {
        window.location.reload();
        return true;
      }
      say(status, state.text);
      if (state.html) {
        body.innerHTML = state.html;
        // the status line stays, read out once ("ready"); the bar and link go
        progress.querySelector("progress").remove();
        progress.querySelector(".results-reload").remove();
      }
      return false;
    });
  }

  if (!window.fetch) { return; }
  var file = document.querySelector("[data-job-progress]");
  if (file) { followFile(file); }
  var results = document.querySelector("[data-results-job]");
  if (results) { followResults(results); }
})();
