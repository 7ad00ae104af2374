// Niceties for the list's bulk form; everything works without this file.
// "Select every account on this page", a running count of ticked rows, the
// scope following the ticks, and focus on a page's result message. The list's
// live search replaces the results and fires "results:replaced" on them, after
// which this binds to the new rows.
(function () {
  "use strict";

  var focusTarget = document.querySelector("[data-focus-on-load]");
  if (focusTarget) {
    focusTarget.focus();
  }

  function bind() {
    var form = document.getElementById("bulk");
    var all = document.getElementById("select-page");
    if (!form || !all) {
      return;
    }
    var boxes = Array.prototype.slice.call(
      document.querySelectorAll('input[type="checkbox"][name="id"][form="bulk"]')
    );
    var ticked = document.getElementById("bulk-ticked");
    var tickedScope = form.querySelector('input[name="scope"][value="ticked"]');

    function update() {
      var count = boxes.filter(function (box) { return box.checked; }).length;
      all.checked = count > 0 && count === boxes.length;
      all.indeterminate = count > 0 && count < boxes.length;
      ticked.textContent = count ? "(" + count + " ticked)" : "";
      if (count && tickedScope) {
        tickedScope.checked = true;
      }
    }

    all.hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      update();
    });
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    update();
  }

  bind();
  document.addEventListener("results:replaced", bind);
})();
