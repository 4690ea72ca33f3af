/* The pipeline board (DEAL-3): drag a deal's card to another column (HTML5 drag events)
   and the deal is moved by POST /deals/<id>/move.json — the same service call and checks
   as the deal page's buttons. On success the board is read again (the card in its new
   column, the columns' totals); on a refusal the card stays and lists the unmet
   conditions by name, with a reason field when the transition asks for one. Without
   JavaScript every card links to the deal's page. window.ecrmBoardMove(dealId, state)
   does the same as a drop (for keyboard users' scripts and tests). No libraries. */
(function () {
  "use strict";

  var dragged = null;

  function board() { return document.getElementById("board"); }
  function closest(node, selector) {
    while (node && node.nodeType === 1) {
      if (node.matches(selector)) { return node; }
      node = node.parentNode;
    }
    return null;
  }
  function text(tag, value, className) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    el.textContent = value;
    return el;
  }

  function clearTargets() {
    Array.prototype.forEach.call(document.querySelectorAll(".board-column.drop-target"),
      function (col) { col.classList.remove("drop-target"); });
  }

  function refresh() {
    return fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["board", "board-totals"].forEach(function (id) {
          var fresh = doc.getElementById(id);
          var current = document.getElementById(id);
          if (fresh && current) { current.parentNode.replaceChild(fresh, current); }
        });
      });
  }

  function showRefusal(card, toState, answer) {
    var root = board();
    var box = card.querySelector(".deal-card-refusal");
    if (!box) { return; }
    box.innerHTML = "";
    var data = answer.data || {};
    if (answer.status === 422) {
      box.appendChild(text("b", root.getAttribute("data-refused")));
      var list = document.createElement("ul");
      list.className = "plain unmet";
      var wantsReason = false;
      (data.unmet || []).forEach(function (u) {
        if (u.field === "reason") { wantsReason = true; }
        var item = text("li", u.label + ": " + u.message);
        item.setAttribute("data-field", u.field);
        list.appendChild(item);
      });
      box.appendChild(list);
      if (wantsReason) {
        var input = document.createElement("input");
        input.type = "text";
        input.className = "refusal-reason";
        input.setAttribute("aria-label", root.getAttribute("data-reason-label"));
        input.placeholder = root.getAttribute("data-reason-label");
        var retry = text("button", root.getAttribute("data-retry-label"), "btn btn-small");
        retry.type = "button";
        retry.addEventListener("click", function () { move(card, toState, input.value); });
        box.appendChild(input);
        box.appendChild(retry);
      }
    } else {
      box.appendChild(text("b", data.message || root.getAttribute("data-failed")));
    }
    var link = card.querySelector(".deal-card-name");
    if (link) {
      var open = text("a", root.getAttribute("data-open-label") + " →", "refusal-open");
      open.href = link.getAttribute("href");
      box.appendChild(open);
    }
    box.hidden = false;
    card.classList.add("refused");
  }

  function move(card, toState, reason) {
    var root = board();
    if (!root || !card) { return Promise.resolve(null); }
    card.classList.add("moving");
    return fetch(card.getAttribute("data-move-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": root.getAttribute("data-csrf") },
      body: JSON.stringify({ to_state: toState, version: card.getAttribute("data-version"),
                             reason: reason || "" })
    }).then(function (r) {
      return r.json().catch(function () { return {}; })
        .then(function (data) { return { status: r.status, data: data }; });
    }).then(function (answer) {
      card.classList.remove("moving");
      if (answer.status === 200 && answer.data.ok) {
        var target = root.querySelector(".board-column[data-state='" + toState + "'] .column-cards");
        if (target) { target.insertBefore(card, target.firstChild); }
        card.setAttribute("data-state", answer.data.state);
        card.setAttribute("data-version", answer.data.version);
        return refresh().then(function () { return answer; });
      }
      showRefusal(card, toState, answer);
      return answer;
    }).catch(function () {
      card.classList.remove("moving");
      showRefusal(card, toState, { status: 0, data: {} });
      return null;
    });
  }

  document.addEventListener("dragstart", function (event) {
    var card = closest(event.target, ".deal-card");
    if (!card || !closest(card, "#board")) { return; }
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-deal-id"));
  });
  document.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); }
    dragged = null;
    clearTargets();
  });
  document.addEventListener("dragover", function (event) {
    var column = closest(event.target, ".board-column");
    if (!column || !dragged) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!column.classList.contains("drop-target")) {
      clearTargets();
      column.classList.add("drop-target");
    }
  });
  document.addEventListener("drop", function (event) {
    var column = closest(event.target, ".board-column");
    var card = dragged;
    if (!column || !card) { return; }
    event.preventDefault();
    clearTargets();
    var toState = column.getAttribute("data-state");
    if (toState === card.getAttribute("data-state")) { return; }
    move(card, toState, "");
  });

  window.ecrmBoardMove = function (dealId, toState, reason) {
    return move(document.getElementById("deal-card-" + dealId), toState, reason);
  };
})();
