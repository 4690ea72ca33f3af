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
