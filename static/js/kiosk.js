// SIPAS kiosk: one question per screen, answers in memory until the end, then an
// IndexedDB outbox that is synced to POST /api/sync. No cookies, no framework.
(function () {
  "use strict";
  var settings = JSON.parse(document.getElementById("kiosk-settings").textContent);
  var TOKEN_KEY = "sipas.kiosk.token", UNIT_KEY = "sipas.kiosk.unit", UNIT_NAME_KEY = "sipas.kiosk.unit_name";
  // the token the server last refused (401): revoked, or replaced by a new one
  var REFUSED_KEY = "sipas.kiosk.refused";
  var main = document.getElementById("k-main");
  var statusLine = document.getElementById("k-status");
  var html = document.documentElement;
  var questionnaire = null, items = [];
  var state = null;          // the current respondent: {answers, started_at, index}
  var language = "vi";
  var idleTimer = null, resetTimer = null, thanksTimer = null;
  var redraw = null;         // draws the screen again (in another language)
  var viVoice = null;
  // the back office's preview of an upload: the questionnaire comes with the page,
  // and nothing is kept, sent or cached
  var preview = settings.preview || null;

  // ---- enrolment: the token travels in the URL fragment, never to the server ----
  (function enrol() {
    if (preview) { return; }
    var match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
    if (match) {
      localStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
      localStorage.setItem(UNIT_KEY, settings.unit);
      localStorage.setItem(UNIT_NAME_KEY, settings.unit_name);
    }
    if (match || /\/enrol$/.test(window.location.pathname)) {
      history.replaceState(null, "", "/kiosk/" + encodeURIComponent(settings.unit));
    }
  })();

  // why this kiosk may not take answers now (null: it may). Without a network the
  // token cannot be checked: the kiosk goes on, and its outbox waits.
  function blockedReason() {
    if (preview) { return null; }
    var token = localStorage.getItem(TOKEN_KEY);
    if (!token) { return "not_set_up"; }
    if (localStorage.getItem(UNIT_KEY) !== settings.unit) { return "other_unit"; }
    if (localStorage.getItem(REFUSED_KEY) === token) { return "revoked"; }
    return null;
  }
  function refused(token) {
    localStorage.setItem(REFUSED_KEY, token);
    if (html.dataset.screen === "start" || html.dataset.screen === "blocked") { startScreen(); }
    else if (html.dataset.screen === "thanks") { thanksScreen(); }
  }
  function accepted(token) {
    if (localStorage.getItem(REFUSED_KEY) === token) { localStorage.removeItem(REFUSED_KEY); }
  }

  function t(key, values) {
    var text = (settings.texts[language] || settings.texts.vi)[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.replace("%(" + name + ")s", values[name]);
    });
    return text;
  }
  function tr(labels) { return labels ? (labels[language] || labels.vi || "") : ""; }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") { node.textContent = attrs[name]; }
      else if (name === "on") { node.addEventListener("click", attrs.on); }
      else { node.setAttribute(name, attrs[name]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }
  // set through the CSSOM: the Content-Security-Policy refuses style attributes
  function progressFill(n, total) {
    var fill = el("span");
    fill.style.width = Math.round(100 * n / total) + "%";
    return fill;
  }
  function button(label, onClick, cls) {
    return el("button", {type: "button", "class": cls || "big", text: label, on: onClick});
  }

  // ---- skip rules: the same as sipas/questionnaire/logic.py is_visible ----
  function chosen(answer) {
    if (answer === undefined || answer === null) { return []; }
    return Array.isArray(answer) ? answer.map(String) : [String(answer)];
  }
  var byCode = {};
  var sectionOf = {};
  function isVisible(item, answers) {
    var rule = item.show_if;
    if (!rule) { return true; }
    var target = byCode[rule.item];
    if (target && !isVisible(target, answers)) { return false; }
    return chosen(answers[rule.item]).some(function (v) { return rule.values.indexOf(v) >= 0; });
  }
  function visibleItems() {
    return items.filter(function (item) { return isVisible(item, state.answers); });
  }
  // the questions still to come as if every filter not yet reached opened its
  // questions (as the phone counts steps), so the count only falls when a filter
  // closes them and never jumps up near the end
  function mayBeAsked(item, passed) {
    var rule = item.show_if;
    if (!rule) { return true; }
    var target = byCode[rule.item];
    if (target && !mayBeAsked(target, passed)) { return false; }
    if (!passed[rule.item] && chosen(state.answers[rule.item]).length === 0) { return true; }
    return isVisible(item, state.answers);
  }
  function questionCount(visible) {
    var passed = {};
    visible.slice(0, state.index).forEach(function (item) { passed[item.code] = true; });
    return items.filter(function (item) { return mayBeAsked(item, passed); }).length;
  }

  // ---- faces for the scale (1 very dissatisfied … 5 very satisfied) ----
  var FACE_COLOURS = {"1": "#b3261e", "2": "#c2570c", "3": "#6b6b00", "4": "#2e7d32", "5": "#1b5e20"};
  function face(code) {
    var curve = {"1": -9, "2": -4, "3": 0, "4": 5, "5": 10}[code];
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 64 64");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "face");
    var colour = FACE_COLOURS[code];
    svg.innerHTML =
      '<circle cx="32" cy="32" r="29" fill="#fff" stroke="' + colour + '" stroke-width="4"/>' +
      '<circle cx="22" cy="25" r="4" fill="' + colour + '"/>' +
      '<circle cx="42" cy="25" r="4" fill="' + colour + '"/>' +
      '<path d="M18 ' + (44 - curve / 2) + ' Q32 ' + (44 + curve) + ' 46 ' + (44 - curve / 2) +
      '" fill="none" stroke="' + colour + '" stroke-width="4" stroke-linecap="round"/>';
    return svg;
  }

  // ---- screens ----
  function show(nodes, focusTarget) {
    main.innerHTML = "";
    nodes.forEach(function (node) { main.appendChild(node); });
    var focus = focusTarget || main.querySelector("h1");
    if (focus) { focus.setAttribute("tabindex", "-1"); focus.focus({preventScroll: true}); }
    window.scrollTo(0, 0);
    showScrollCue();
  }

  // ---- a screen taller than the window says so, at the bottom, until scrolled ----
  var cue = button("", function () {
    window.scrollBy({top: Math.round(window.innerHeight * 0.6), behavior: "smooth"});
  }, "scroll-cue");
  cue.id = "k-more";
  cue.hidden = true;
  document.body.appendChild(cue);
  function showScrollCue() {
    var screen = main.firstElementChild;
    var below = screen ? screen.getBoundingClientRect().bottom - window.innerHeight : 0;
    cue.textContent = t("more_below");
    cue.hidden = below <= 4;
  }
  window.addEventListener("scroll", showScrollCue, {passive: true});
  window.addEventListener("resize", showScrollCue);
  // a screen that grows (a message appears, a text field is filled) is measured again
  if (window.ResizeObserver) { new ResizeObserver(showScrollCue).observe(main); }

  function resetRespondent() {
    state = null;
    html.classList.remove("hc");
    setLanguage("vi");
    if (window.speechSynthesis) { window.speechSynthesis.cancel(); }
  }

  function startScreen() {
    clearTimers();
    resetRespondent();
    redraw = blockedReason() ? blockedScreen : renderStart;
    redraw();
  }
  function renderStart() {
    html.dataset.screen = "start";
    show([el("section", {"class": "screen start"}, [
      el("h1", {text: t("invite")}),
      el("p", {"class": "title", text: tr(questionnaire.title)}),
      button(t("start"), begin, "big start-button")
    ])]);
  }
  // not enrolled (here): say so before any question, take no answers, and tell
  // staff how to enrol it; finished answers still in the outbox are counted
  function blockedScreen() {
    var reason = blockedReason();
    if (!reason) { startScreen(); return; }
    html.dataset.screen = "blocked";
    var unit = localStorage.getItem(UNIT_NAME_KEY) || localStorage.getItem(UNIT_KEY) || "";
    show([el("section", {"class": "screen blocked", "data-reason": reason}, [
      el("h1", {text: t(reason)}),
      el("p", {"class": "lead", text: t(reason + "_hint", {unit: unit})}),
      el("p", {"class": "kept", id: "k-kept"}),
      el("p", {"class": "staff", text: t("staff_enrol", {path: t("enrol_path")})})
    ])]);
    showUnsent();
  }

  function begin() {
    if (blockedReason()) { startScreen(); return; }
    state = {answers: {}, started_at: new Date().toISOString(), index: 0};
    html.dataset.screen = "question";
    redraw = questionScreen;
    questionScreen();
  }

  function currentItem() { return visibleItems()[state.index]; }

  // a null value (skipped, or left empty) stores nothing for the question
  function answerAndNext(item, value) {
    if (value === null) { delete state.answers[item.code]; } else { state.answers[item.code] = value; }
    // answers to questions hidden now are dropped (as the server does)
    items.forEach(function (other) {
      if (!isVisible(other, state.answers)) { delete state.answers[other.code]; }
    });
    next();
  }
  function next() {
    state.index += 1;
    if (state.index >= visibleItems().length) { finish(); } else { questionScreen(); }
  }
  function back() {
    if (state.index === 0) { startScreen(); return; }
    state.index -= 1;
    questionScreen();
  }

  function questionScreen() {
    var visible = visibleItems();
    var item = visible[state.index];
    var n = state.index + 1, total = questionCount(visible);
    var heading = el("h1", {"class": "question", id: "k-question", text: tr(item.label)});
    var progressText = el("p", {"class": "progress-text", id: "k-progress", text: t("progress", {n: n, total: total})});
    var bar = el("div", {"class": "progress-bar", role: "progressbar", "aria-labelledby": "k-progress",
      "aria-valuemin": "0", "aria-valuemax": String(total), "aria-valuenow": String(n)},
      [progressFill(n, total)]);
    var parts = [el("div", {"class": "q-head"}, [progressText, bar])];
    // the section's lead ("how far are these shortcomings present?") frames a
    // question that reads as a statement, as the step does on the phone
    var lead = sectionOf[item.code].description;
    if (lead) { parts.push(el("p", {"class": "section-lead", text: tr(lead)})); }
    parts.push(heading);
    if (item.hint) { parts.push(el("p", {"class": "hint", text: tr(item.hint)})); }
    var actions = [];
    if (!item.required) { actions.push(button(t("skip"), function () { answerAndNext(item, null); }, "big skip")); }
    var body = {scale: choiceBody, single_choice: choiceBody, multi_choice: multiBody}[item.type] || textBody;
    parts = parts.concat(body(item, state.answers[item.code], actions));
    var readAloud = null;
    if (viVoice && language === "vi") {
      readAloud = button(t("read_aloud"), function () { speak(item); }, "tool read-aloud");
    }
    parts.push(el("div", {"class": "nav"}, [button(t("back"), back, "big back"), readAloud,
      el("div", {"class": "actions"}, actions)]));
    show([el("section", {"class": "screen question-screen", "data-type": item.type}, parts)], heading);
  }

  // the options' grid: long lists get more columns (see kiosk.css)
  function choiceGroup(item, kind) {
    var count = item.choices.length;
    var size = kind === "scale" ? "" : (count > 8 ? " long many" : (count > 6 ? " long" : ""));
    return el("div", {"class": "choices " + kind + size, role: "group", "aria-labelledby": "k-question"});
  }

  // scale and single choice: a tap answers and goes on
  function choiceBody(item, answer) {
    var scale = item.type === "scale";
    var group = choiceGroup(item, scale ? "scale" : "single");
    item.choices.forEach(function (choice) {
      var b = el("button", {type: "button", "class": "choice" + (choice.not_applicable ? " na" : ""),
        "aria-pressed": String(answer === choice.code), "data-code": choice.code});
      if (scale && !choice.not_applicable) { b.appendChild(face(choice.code)); }
      if (scale) { b.appendChild(el("span", {"class": "key", "aria-hidden": "true", text: choice.code})); }
      b.appendChild(el("span", {"class": "label", text: tr(choice.label)}));
      b.addEventListener("click", function () { answerAndNext(item, choice.code); });
      group.appendChild(b);
    });
    return [group];
  }

  // multiple choice: taps toggle; at the maximum a further tap is refused and said so
  function multiBody(item, answer, actions) {
    var picked = chosen(answer), limit = item.max_choices;
    var group = choiceGroup(item, "multi");
    var note = el("p", {"class": "limit-note", role: "status"});
    var count = el("span", {"class": "count"});
    var go = button(t("next"), function () { answerAndNext(item, picked.slice()); }, "big primary");
    function refresh() {
      go.disabled = item.required && picked.length === 0;
      count.textContent = t("chosen", {n: picked.length});
      group.querySelectorAll("button").forEach(function (b) {
        var on = picked.indexOf(b.dataset.code) >= 0;
        b.setAttribute("aria-pressed", String(on));
        if (!on && limit && picked.length >= limit) { b.setAttribute("aria-disabled", "true"); }
        else { b.removeAttribute("aria-disabled"); }
      });
    }
    item.choices.forEach(function (choice) {
      var b = el("button", {type: "button", "class": "choice toggle", "data-code": choice.code},
        [el("span", {"class": "label", text: tr(choice.label)})]);
      b.addEventListener("click", function () {
        var at = picked.indexOf(choice.code);
        note.textContent = "";
        if (at >= 0) { picked.splice(at, 1); }
        else if (limit && picked.length >= limit) { note.textContent = t("limit_reached", {n: limit}); }
        else { picked.push(choice.code); }
        refresh();
      });
      group.appendChild(b);
    });
    refresh();
    actions.push(go);
    var hint = el("p", {"class": "hint"}, [
      limit ? document.createTextNode(t("choose_up_to", {n: limit}) + " · ") : null, count]);
    return [hint, group, note];
  }

  // text and number: typed, checked before going on (the server's own limits)
  function textBody(item, answer, actions) {
    var number = item.type === "number";
    var field = number ?
      el("input", {id: "k-text", type: "text", inputmode: "numeric", autocomplete: "off"}) :
      el("textarea", {id: "k-text", rows: "4"});
    var help = el("p", {"class": "hint", id: "k-text-hint"});
    var error = el("p", {"class": "field-error", id: "k-text-error", role: "alert"});
    field.setAttribute("aria-labelledby", "k-question");
    field.setAttribute("aria-describedby", "k-text-hint k-text-error");
    if (item.max_length && !number) { field.setAttribute("maxlength", String(item.max_length)); }
    field.value = answer || "";
    var go = button(t("next"), function () {
      var value = field.value.normalize("NFC").trim();
      if (!value) { answerAndNext(item, null); return; }
      if (number && !numberAllowed(item, value)) {
        error.textContent = numberRule(item);
        help.textContent = "";          // the same words, now said as the error
        field.setAttribute("aria-invalid", "true");
        return;
      }
      answerAndNext(item, number ? value.replace(/ /g, "") : value);
    }, "big primary");
    function refresh() {
      go.disabled = item.required && !field.value.trim();
      if (number) { help.textContent = numberRule(item); }
      else if (item.max_length) { help.textContent = t("characters_left", {n: item.max_length - field.value.length}); }
    }
    field.addEventListener("input", function () {
      error.textContent = "";
      field.removeAttribute("aria-invalid");
      refresh();
    });
    refresh();
    actions.push(go);
    return [el("div", {"class": "text-answer"}, [field, help, error])];
  }
  function numberAllowed(item, value) {
    var text = value.replace(/ /g, "");
    if (!/^-?[0-9]+$/.test(text)) { return false; }
    var n = parseInt(text, 10);
    return !((item.min_value !== null && n < item.min_value) || (item.max_value !== null && n > item.max_value));
  }
  function numberRule(item) {
    var low = item.min_value !== null, high = item.max_value !== null;
    var key = low && high ? "number_between" : (low ? "number_from" : (high ? "number_to" : "number"));
    return t(key, {min: item.min_value, max: item.max_value});
  }

  function speak(item) {
    var synth = window.speechSynthesis;
    synth.cancel();
    var words = [tr(item.label)].concat(item.choices.map(function (c) { return tr(c.label); }));
    var utterance = new SpeechSynthesisUtterance(words.join(". "));
    utterance.voice = viVoice;
    utterance.lang = "vi-VN";
    synth.speak(utterance);
  }

  function finish() {
    var record = {
      uuid: window.crypto.randomUUID(),
      unit_code: settings.unit,
      answers: state.answers,
      started_at: state.started_at,
      submitted_at: new Date().toISOString(),
      language: language
    };
    state = null;
    clearTimers();
    thanksScreen();
    thanksTimer = window.setTimeout(startScreen, 8000);
    if (preview) { return; }
    outboxPut(record).then(sync, function (error) { statusLine.textContent = String(error); });
  }
  // the thank-you never pretends: a kiosk the server refused keeps the answers
  function thanksScreen() {
    var kept = blockedReason() !== null;
    html.dataset.screen = "thanks";
    redraw = thanksScreen;
    show([el("section", {"class": "screen thanks"}, [
      face("5"),
      el("h1", {text: t("thanks")}),
      el("p", {text: t(kept ? "thanks_kept" : "thanks_hint")}),
      kept ? null : button(t("start"), startScreen, "big")
    ])]);
  }

  // ---- idle: ask, then forget the unfinished answers ----
  function clearTimers() {
    [idleTimer, resetTimer, thanksTimer].forEach(function (id) { if (id) { window.clearTimeout(id); } });
    idleTimer = resetTimer = thanksTimer = null;
    var prompt = document.getElementById("k-idle");
    if (prompt) { prompt.remove(); }
  }
  function touched() {
    if (!state) { return; }
    if (document.getElementById("k-idle")) { return; }   // only the button dismisses it
    if (idleTimer) { window.clearTimeout(idleTimer); }
    idleTimer = window.setTimeout(askStillHere, settings.idle * 1000);
  }
  function askStillHere() {
    var keep = button(t("next"), function () {
      window.clearTimeout(resetTimer);
      resetTimer = null;
      dialog.remove();
      touched();
      var heading = main.querySelector("h1");
      if (heading) { heading.focus(); }
    }, "big primary");
    var dialog = el("div", {id: "k-idle", "class": "idle", role: "alertdialog", "aria-modal": "true",
      "aria-labelledby": "k-idle-title", "aria-describedby": "k-idle-hint"}, [
      el("div", {"class": "idle-box"}, [
        el("h2", {id: "k-idle-title", text: t("still_here")}),
        el("p", {id: "k-idle-hint", text: t("still_here_hint")}),
        keep])]);
    document.body.appendChild(dialog);
    keep.focus();
    resetTimer = window.setTimeout(startScreen, settings.reset * 1000);
  }
  ["pointerdown", "keydown", "touchstart"].forEach(function (name) {
    document.addEventListener(name, touched, {passive: true});
  });
  document.addEventListener("click", function () { touched(); });

  // digits answer a scale question (1–5, and 9 for not applicable)
  document.addEventListener("keydown", function (event) {
    if (!state || document.getElementById("k-idle") || event.target.tagName === "TEXTAREA" ||
        event.target.tagName === "INPUT") { return; }
    var item = currentItem();
    if (!item || item.type !== "scale") { return; }
    var b = main.querySelector('.choices button[data-code="' + event.key + '"]');
    if (b) { event.preventDefault(); b.click(); }
  });

  // ---- language and contrast (for this respondent only) ----
  function setLanguage(code) {
    language = code;
    html.lang = code;
    document.querySelectorAll("#k-langs button").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.lang === code));
    });
    document.getElementById("k-langs").setAttribute("aria-label", t("language"));
    var contrast = document.getElementById("k-contrast");
    contrast.textContent = t("contrast");
    contrast.setAttribute("aria-pressed", String(html.classList.contains("hc")));
  }
  document.querySelectorAll("#k-langs button").forEach(function (b) {
    b.addEventListener("click", function () {
      setLanguage(b.dataset.lang);
      if (redraw) { redraw(); }
    });
  });
  document.getElementById("k-contrast").addEventListener("click", function () {
    html.classList.toggle("hc");
    setLanguage(language);
  });

  // ---- the outbox (IndexedDB) and sync ----
  var dbPromise = null;
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open("sipas-kiosk", 1);
        request.onupgradeneeded = function () { request.result.createObjectStore("outbox", {keyPath: "uuid"}); };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }
  function tx(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction("outbox", mode);
        var result = work(transaction.objectStore("outbox"));
        transaction.oncomplete = function () { resolve(result && result.result); };
        transaction.onerror = function () { reject(transaction.error); };
      });
    });
  }
  function outboxPut(record) { return tx("readwrite", function (store) { store.put(record); }); }
  function outboxAll() { return tx("readonly", function (store) { return store.getAll(); }); }
  function outboxDelete(uuids) {
    return tx("readwrite", function (store) { uuids.forEach(function (u) { store.delete(u); }); });
  }

  var syncing = false;
  function sync() {
    if (syncing) { return Promise.resolve(); }
    syncing = true;
    return outboxAll().then(function (pending) {
      return sendBatches(pending || []);
    }).then(function () {
      syncing = false;
    }, function () { syncing = false; }).then(showUnsent);
  }
  function sendBatches(pending) {
    if (!pending.length) { return Promise.resolve(); }
    var token = localStorage.getItem(TOKEN_KEY);
    if (!token || localStorage.getItem(REFUSED_KEY) === token) { return Promise.resolve(); }
    var batch = pending.slice(0, 200);
    return fetch(settings.sync, {
      method: "POST",
      headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token},
      body: JSON.stringify({app_version: settings.version, unsent: pending.length, responses: batch}),
      credentials: "omit",
      cache: "no-store"
    }).then(function (response) {
      if (response.status === 401) { refused(token); throw new Error("401"); }
      if (!response.ok) { throw new Error(String(response.status)); }
      accepted(token);
      return response.json();
    }).then(function (body) {
      var acknowledged = (body.acknowledged || []).filter(function (u) {
        return batch.some(function (r) { return r.uuid === u; });
      });
      return outboxDelete(acknowledged).then(function () {
        if (acknowledged.length === batch.length && pending.length > batch.length) {
          return sendBatches(pending.slice(batch.length));
        }
      });
    });
  }
  function showUnsent() {
    return outboxAll().then(function (pending) {
      var count = (pending || []).length;
      statusLine.textContent = count ? t("unsent", {n: count}) : "";
      var kept = document.getElementById("k-kept");
      if (kept) { kept.textContent = count ? t("kept", {n: count}) : ""; }
      html.dataset.unsent = String(count);
    });
  }
  // is the token still good? (a revoked kiosk must stop taking respondents even
  // when it has nothing to send)
  function checkEnrolment() {
    var token = localStorage.getItem(TOKEN_KEY);
    if (!token || !navigator.onLine) { return Promise.resolve(); }
    return fetch(settings.ping, {headers: {"Authorization": "Bearer " + token}, credentials: "omit", cache: "no-store"})
      .then(function (response) {
        if (response.status === 401) { refused(token); } else if (response.ok) { accepted(token); }
      }, function () {});
  }
  if (!preview) {
    window.addEventListener("online", function () { checkEnrolment().then(sync); });
    window.setInterval(sync, 30000);
    window.setInterval(checkEnrolment, 300000);
  }

  // ---- voice ----
  function findVoice() {
    if (!window.speechSynthesis) { return; }
    viVoice = window.speechSynthesis.getVoices().filter(function (v) {
      return /^vi(-|_|$)/i.test(v.lang);
    })[0] || null;
  }
  if (window.speechSynthesis) {
    findVoice();
    window.speechSynthesis.addEventListener("voiceschanged", findVoice);
  }

  // ---- start ----
  function ready(body) {
    questionnaire = body;
    items = [];
    body.sections.forEach(function (s) {
      s.items.forEach(function (i) { items.push(i); byCode[i.code] = i; sectionOf[i.code] = s; });
    });
    html.classList.add("kiosk-ready");
    startScreen();
  }
  if (preview) {
    ready(preview);
    return;
  }
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(settings.sw, {scope: settings.scope}).catch(function () {});
  }
  if (window.caches && navigator.onLine) {
    // the first load is not seen by the service worker: keep the page (and, below,
    // the questionnaire) now, so a reload without a network works at once
    caches.open("sipas-kiosk-v1").then(function (cache) {
      return cache.add(window.location.pathname);
    }).catch(function () {});
  }
  // whether the service worker sees (and caches) this request is known when it is
  // made: the worker may take control while the answer is on its way
  var seenByWorker = Boolean(navigator.serviceWorker && navigator.serviceWorker.controller);
  fetch(settings.questionnaire, {credentials: "omit"}).then(function (response) {
    if (!response.ok) { throw new Error(String(response.status)); }
    if (window.caches && !seenByWorker) {
      var copy = response.clone();
      caches.open("sipas-kiosk-v1").then(function (cache) {
        return cache.put(settings.questionnaire, copy);
      }).catch(function () {});
    }
    return response.json();
  }).then(function (body) {
    ready(body);
    checkEnrolment().then(sync);
  });
  // exposed for tests and the benchmark
  window.sipasKiosk = {sync: sync, outboxAll: outboxAll};
})();
