/* The order form (ORD-1): three sections of lines — the service package, equipment and
   works. In each, an item picked by name fills the line from the price list for the
   order's price type on the order's date (the invoice form's endpoints /sales/items and
   /sales/price), and lines are added and removed. Without JavaScript the form still
   works: blank rows are typed in, «More lines» shows the form again. No libraries. */
(function () {
  "use strict";

  function json(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json().catch(function () { return null; }); });
  }

  function setupOrderForm(form) {
    var itemsUrl = form.getAttribute("data-items-url");
    var priceUrl = form.getAttribute("data-price-url");
    if (!window.fetch) { return; }

    function priceType() {
      var select = form.querySelector("select[name=price_type_id]");
      return (select && select.value) || form.getAttribute("data-default-price-type") || "";
    }
    function day() {
      var input = form.querySelector("input[name=ordered_on]");
      return input ? input.value : "";
    }
    function cell(row, field) { return row.querySelector("[name$='-" + field + "']"); }

    function fillPrice(row) {
      var item = cell(row, "item_id").value.trim();
      var kind = priceType();
      if (!/^\d+$/.test(item) || !kind || !day()) { return; }
      json(priceUrl + "?item_id=" + encodeURIComponent(item) + "&price_type_id=" +
           encodeURIComponent(kind) + "&day=" + encodeURIComponent(day()))
        .then(function (data) {
          var price = cell(row, "price");
          if (data && data.price) { price.value = data.price; price.title = ""; }
          else if (data && data.message) { price.value = ""; price.title = data.message; price.placeholder = "?"; }
        })
        .catch(function () { /* the price can be typed */ });
    }

    function pick(row, item) {
      cell(row, "item_id").value = String(item.id);
      cell(row, "name").value = item.name;
      cell(row, "unit").value = item.unit || "";
      var vat = cell(row, "vat_rate");
      if (vat && item.vat_rate) { vat.value = item.vat_rate; }
      var quantity = cell(row, "quantity");
      if (quantity && !quantity.value) { quantity.value = "1"; }
      fillPrice(row);
    }

    function setupRow(body, row) {
      var name = cell(row, "name");
      var results = row.querySelector(".item-results");
      var remove = row.querySelector(".remove-line");
      var timer = null;
      var asked = "";
      if (remove) {
        remove.addEventListener("click", function () {
          if (body.querySelectorAll(".line-row").length > 1) { row.remove(); }
          else { Array.prototype.forEach.call(row.querySelectorAll("input, select"), function (i) { i.value = ""; }); }
        });
      }
      cell(row, "item_id").addEventListener("change", function () { fillPrice(row); });
      if (!name || !results || !itemsUrl) { return; }
      function show(items) {
        results.textContent = "";
        items.forEach(function (item) {
          var li = document.createElement("li");
          var button = document.createElement("button");
          button.type = "button";
          button.textContent = item.name + (item.article ? " (" + item.article + ")" : "") + ", " + item.unit;
          button.addEventListener("mousedown", function (event) { event.preventDefault(); });
          button.addEventListener("click", function () { pick(row, item); results.hidden = true; });
          li.appendChild(button);
          results.appendChild(li);
        });
        results.hidden = !items.length;
      }
      name.addEventListener("input", function () {
        clearTimeout(timer);
        cell(row, "item_id").value = "";
        timer = setTimeout(function () {
          var text = name.value.trim();
          if (text === asked) { return; }
          asked = text;
          if (text.length < 2) { show([]); return; }
          json(itemsUrl + "?q=" + encodeURIComponent(text)).then(function (data) {
            if (data && text === asked) { show(data.results || []); }
          }).catch(function () { show([]); });
        }, 250);
      });
      name.addEventListener("blur", function () { setTimeout(function () { results.hidden = true; }, 150); });
    }

    var sections = form.querySelectorAll(".order-part");
    Array.prototype.forEach.call(sections, function (section) {
      var part = section.getAttribute("data-part");
      var body = section.querySelector("tbody");
      var template = section.querySelector("template.line-template");
      var add = section.querySelector(".add-line");
      if (!body) { return; }
      Array.prototype.forEach.call(body.querySelectorAll(".line-row"), function (row) { setupRow(body, row); });
      if (!add || !template) { return; }
      add.addEventListener("click", function () {
        var used = Array.prototype.map.call(body.querySelectorAll(".line-row"), function (r) {
          return parseInt(r.getAttribute("data-row"), 10) || 0;
        });
        var next = used.length ? Math.max.apply(null, used) + 1 : 0;
        if (next > 998) { return; }
        var html = template.innerHTML.split(part + "-999-").join(part + "-" + next + "-")
          .replace(/data-row="999"/g, 'data-row="' + next + '"');
        var holder = document.createElement("tbody");
        holder.innerHTML = html.trim();
        var row = holder.firstElementChild;
        body.appendChild(row);
        setupRow(body, row);
        cell(row, "name").focus();
      });
    });

    function repriceAll() {
      Array.prototype.forEach.call(form.querySelectorAll(".line-row"), function (row) {
        if (row.closest("template")) { return; }
        if (cell(row, "item_id").value.trim()) { fillPrice(row); }
      });
    }
    var ordered = form.querySelector("input[name=ordered_on]");
    var kindSelect = form.querySelector("select[name=price_type_id]");
    if (ordered) { ordered.addEventListener("change", repriceAll); }
    if (kindSelect) { kindSelect.addEventListener("change", repriceAll); }
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("#order-form"), setupOrderForm);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
