/* The order form (ORD-1): three sections of lines — the service package, equipment and
   works — each a lines table of the invoice form's item picker (``ecrmLines.setup`` of
   static/sales.js, loaded on every page): an item picked by name fills the line from the
   price list for the order's price type on the order's date, and lines are added and
   removed. Without JavaScript the form still works: blank rows are typed in, «More lines»
   shows the form again. No libraries. */
(function () {
  "use strict";

  function setupOrderForm(form) {
    if (!window.ecrmLines) { return; }
    window.ecrmLines.setup(form, {
      day: "ordered_on",
      sections: Array.prototype.map.call(form.querySelectorAll(".order-part"), function (section) {
        return { body: section.querySelector("tbody"),
                 template: section.querySelector("template.line-template"),
                 add: section.querySelector(".add-line"), prefix: section.getAttribute("data-part") };
      })
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("#order-form"), setupOrderForm);
  }
  // sales.js (the picker) is deferred after this script (it closes the page): until it has
  // run, wait for DOMContentLoaded, which comes once every deferred script has run.
  if (window.ecrmLines) {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
