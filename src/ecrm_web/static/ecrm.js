/* ECRM live popup (MSG-2): polls the personal page's poll endpoint every ~10 s, shows a
   toast for each new message and keeps the unread counter of the navigation panel
   current. No libraries; nothing is loaded from outside. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch) { return; }
  var pollUrl = script.getAttribute("data-poll-url");
  var lastId = parseInt(script.getAttribute("data-last-id") || "0", 10) || 0;
  var openLabel = script.getAttribute("data-open-label") || "Open";
  var closeLabel = script.getAttribute("data-close-label") || "Close";
  var INTERVAL = 10000;
  var timer = null;

  function setCounter(count) {
    var badge = document.getElementById("unread-count");
    if (!badge) { return; }
    var before = parseInt(badge.getAttribute("data-count") || badge.textContent, 10) || 0;
    badge.textContent = String(count);
    badge.setAttribute("data-count", String(count));
    badge.classList.toggle("zero", count === 0);
    if (count > before) {
      badge.classList.remove("bump");
      void badge.offsetWidth;  // restart the animation
      badge.classList.add("bump");
    }
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text) { node.textContent = text; }
    return node;
  }

  function toast(message) {
    var box = document.getElementById("toasts");
    if (!box) { return; }
    var item = el("div", "toast kind-" + message.kind);
    item.setAttribute("role", "status");
    item.appendChild(el("div", "toast-title", message.title));
    if (message.sender) { item.appendChild(el("div", "toast-sender", message.sender)); }
    item.appendChild(el("div", "toast-text", message.text));
    var link = el("a", "toast-open", openLabel + " →");
    link.href = message.url;
    item.appendChild(link);
    var close = el("button", "toast-close", "×");
    close.type = "button";
    close.title = closeLabel;
    close.setAttribute("aria-label", closeLabel);
    close.addEventListener("click", function () { item.remove(); });
    item.appendChild(close);
    box.appendChild(item);
    setTimeout(function () { item.remove(); }, 30000);
    while (box.children.length > 4) { box.removeChild(box.firstChild); }
  }

  function poll() {
    var url = pollUrl + (pollUrl.indexOf("?") < 0 ? "?" : "&") + "after=" + encodeURIComponent(lastId);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (response.status === 401) { stop(); return null; }
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (!data) { return; }
        var fresh = (data.messages || []).slice().reverse();  // oldest first
        fresh.forEach(toast);
        if (typeof data.last_id === "number" && data.last_id > lastId) { lastId = data.last_id; }
        if (typeof data.unread === "number") { setCounter(data.unread); }
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }

  function start() { if (!timer) { timer = setInterval(poll, INTERVAL); } }
  function stop() { if (timer) { clearInterval(timer); timer = null; } }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { stop(); } else { poll(); start(); }
  });
  window.ecrmPoll = poll;  // lets a test (or a curious user) poll at once
  start();
})();

/* The client base: picking a parent organisation (or a task's counterparty) by search, a
   confirmation before irreversible actions (forms with data-confirm), and the progress
   of an import (polls its JSON until it ends). Without JavaScript the forms still work:
   the parent's ID is typed, and the import page refreshes itself. */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  }, true);

  function setupLookup(box) {
    var url = box.getAttribute("data-lookup-url");
    var query = box.querySelector("[data-lookup]");
    var target = box.querySelector("[data-lookup-target]");
    var nameBox = box.querySelector("[data-lookup-name]");
    var results = box.querySelector("[data-lookup-results]");
    if (!url || !query || !target || !results || !window.fetch) { return; }
    var timer = null;
    var asked = "";

    function show(items, message) {
      results.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = item.name + (item.inn ? " — " + item.inn : "") + " (ID " + item.id + ")";
        button.addEventListener("click", function () {
          target.value = String(item.id);
          if (nameBox) { nameBox.textContent = item.name; }
          results.textContent = "";
          query.value = "";
          // the task form reloads the contact persons of the picked counterparty
          target.dispatchEvent(new Event("change", { bubbles: true }));
        });
        li.appendChild(button);
        results.appendChild(li);
      });
      if (!items.length && message) {
        var note = document.createElement("li");
        note.className = "muted";
        note.textContent = message;
        results.appendChild(note);
      }
    }

    function ask() {
      var text = query.value.trim();
      if (text === asked) { return; }
      asked = text;
      if (text.length < 3) { show([], ""); return; }
      fetch(url + "?q=" + encodeURIComponent(text), {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (data && text === asked) { show(data.results || [], data.message || ""); }
        })
        .catch(function () { /* offline for a moment: the ID can still be typed */ });
    }

    query.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 250);
    });
    query.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); clearTimeout(timer); ask(); }
    });
  }

  function setupProgress(box) {
    var url = box.getAttribute("data-progress-url");
    if (!url || !window.fetch) { return; }
    var bar = box.querySelector(".progress");
    var fill = bar && bar.querySelector("span");
    var label = box.querySelector("[data-progress-text]");
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { setTimeout(poll, 2000); return; }
          if (fill && typeof data.percent === "number") { fill.style.width = data.percent + "%"; }
          if (label && data.text) { label.textContent = data.text; }
          if (data.finished) { window.location.reload(); return; }
          setTimeout(poll, 1000);
        })
        .catch(function () { setTimeout(poll, 3000); });
    }
    setTimeout(poll, 500);
  }

  // A chosen photo shows its file name on the "Choose a photo" button.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input || input.type !== "file" || !input.parentNode ||
        !input.parentNode.classList || !input.parentNode.classList.contains("file-label")) { return; }
    var label = input.parentNode;
    var name = input.files && input.files.length ? input.files[0].name : "";
    if (!label.getAttribute("data-caption")) {
      label.setAttribute("data-caption", label.firstChild ? label.firstChild.textContent : "");
    }
    if (label.firstChild && label.firstChild.nodeType === 3) {
      label.firstChild.textContent = name || label.getAttribute("data-caption");
    }
    label.classList.toggle("chosen", !!name);
  });

  // The task form (TASK-4): the contact persons of the chosen counterparty fill the
  // select (without JavaScript a button shows the form again with them).
  function setupTaskForm(form) {
    var url = form.getAttribute("data-contacts-url");
    var input = form.querySelector("input[name=counterparty_id]");
    var select = form.querySelector("select[name=contact_id]");
    if (!url || !input || !select || !window.fetch) { return; }
    var loaded = input.value.trim();
    input.addEventListener("change", function () {
      var id = input.value.trim();
      if (id === loaded) { return; }
      loaded = id;
      var keep = select.options.length ? select.options[0] : null;
      function fill(contacts) {
        select.textContent = "";
        if (keep) { select.appendChild(keep); }
        contacts.forEach(function (c) {
          var option = document.createElement("option");
          option.value = String(c.id);
          option.textContent = c.name;
          select.appendChild(option);
        });
        select.value = "";
      }
      if (!/^\d+$/.test(id)) { fill([]); return; }
      fetch(url + "?counterparty_id=" + encodeURIComponent(id), {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (r) { return r.ok ? r.json() : { contacts: [] }; })
        .then(function (data) { if (id === loaded) { fill(data.contacts || []); } })
        .catch(function () { fill([]); });
    });
  }

  function start() {
    document.documentElement.classList.add("js");
    Array.prototype.forEach.call(document.querySelectorAll("[data-contacts-url]"), setupTaskForm);
    Array.prototype.forEach.call(document.querySelectorAll("[data-lookup-url]"), setupLookup);
    Array.prototype.forEach.call(document.querySelectorAll("[data-progress-url]"), setupProgress);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
