// Search as you type on the user list; without this file the form is submitted
// as usual. A pause in typing (or a changed filter) fetches the page the form
// would load and swaps in its search form and results: the field being edited
// is carried over (focus, caret and what was typed stay), the address bar
// follows (Back and reload give this search), and a status line says the count
// or what was refused.
(function () {
  "use strict";

  var FORM = "form.search-form";
  var PAUSE_MS = 300;
  var status = document.getElementById("live-status");
  if (!document.querySelector(FORM) || !status || !window.fetch || !window.DOMParser) {
    return;
  }
  var timer = null;
  var latest = 0;
  var shown = window.location.pathname + window.location.search;

  // Left out: empty fields and menus at their first choice (the default), so
  // the address reads as one typed by hand.
  function addressOf(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      var field = form.elements[name];
      var atDefault = field && field.tagName === "SELECT" && field.selectedIndex === 0;
      if (value !== "" && !atDefault) {
        params.append(name, value);
      }
    });
    var query = params.toString();
    return form.getAttribute("action") + (query ? "?" + query : "");
  }

  // The incoming form, with the control being edited moved into it in place of
  // its twin (taking the twin's error state), and the filters folded as now.
  function carryOver(form, incoming) {
    var editing = document.activeElement;
    var twin = editing && editing.id && form.contains(editing)
      ? incoming.querySelector("#" + CSS.escape(editing.id))
      : null;
    if (twin) {
      ["aria-invalid", "aria-describedby"].forEach(function (name) {
        if (twin.hasAttribute(name)) {
          editing.setAttribute(name, twin.getAttribute(name));
        } else {
          editing.removeAttribute(name);
        }
      });
      twin.replaceWith(editing);
    }
    var folded = form.querySelector("details.filters");
    var incomingFolded = incoming.querySelector("details.filters");
    if (folded && incomingFolded) {
      incomingFolded.open = folded.open || incomingFolded.open;
    }
    return twin ? editing : null;
  }

  function swapIn(html, address) {
    var incoming = new DOMParser().parseFromString(html, "text/html");
    var form = document.querySelector(FORM);
    var newForm = incoming.querySelector(FORM);
    var results = incoming.getElementById("results");
    if (!form || !newForm || !results) {
      return;
    }
    var editing = carryOver(form, newForm);
    var caret = editing && "selectionStart" in editing && editing.type !== "date"
      ? [editing.selectionStart, editing.selectionEnd] : null;
    form.replaceWith(document.adoptNode(newForm));
    document.getElementById("results").replaceWith(document.adoptNode(results));
    if (editing) {
      editing.focus();
      if (caret) {
        editing.setSelectionRange(caret[0], caret[1]);
      }
    }
    document.title = incoming.title;
    window.history.replaceState(null, "", address);
    var refusal = newForm.querySelector(".form-errors");
    var count = results.querySelector(".count");
    status.textContent = refusal
      ? refusal.textContent.trim()
      : (count ? count.textContent.trim() : "No users match this search.");
    results.dispatchEvent(new CustomEvent("results:replaced", { bubbles: true }));
  }

  function search() {
    var form = document.querySelector(FORM);
    var address = addressOf(form);
    if (address === shown) {
      return;
    }
    shown = address;
    var ticket = ++latest;
    fetch(address, {
      credentials: "same-origin",
      headers: { "X-Requested-With": "live-search" },
    })
      .then(function (response) {
        // Signed out meanwhile (a redirect to the login page): leave the page be.
        if (response.redirected || (!response.ok && response.status !== 400)) {
          return null;
        }
        return response.text();
      })
      .then(function (html) {
        if (html !== null && ticket === latest) {
          swapIn(html, address);
        }
      })
      .catch(function () { /* the Search button still works */ });
  }

  function later(event) {
    if (!event.target.closest(FORM)) {
      return;
    }
    // A date is searched once complete (its change event), not per keystroke.
    if (event.type === "input" && event.target.type === "date") {
      return;
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(search, PAUSE_MS);
  }

  document.addEventListener("input", later);
  document.addEventListener("change", later);
})();
