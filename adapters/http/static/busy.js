/* Ledger Connect: a form marked data-busy says it is working and cannot be sent twice.
   Loaded under the page's CSP nonce; the server refuses double work on its own as well. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var label = form.getAttribute && form.getAttribute("data-busy");
    if (!label) { return; }
    if (form.getAttribute("data-sent") === "1") { event.preventDefault(); return; }
    form.setAttribute("data-sent", "1");
    form.setAttribute("aria-busy", "true");
    var button = event.submitter || form.querySelector("button[type=submit]");
    if (button) {
      button.setAttribute("data-label", button.textContent);
      button.textContent = label;
      /* disabled once this event is over, so the submission now starting still goes out */
      window.setTimeout(function () { button.disabled = true; }, 0);
    }
    var status = form.querySelector("[data-busy-status]");
    if (status) { status.textContent = label; }
  });
  /* Back to a page the browser kept in its back-forward cache: its forms work again. */
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    var i, sent = document.querySelectorAll("form[data-sent]");
    for (i = 0; i < sent.length; i++) {
      sent[i].removeAttribute("data-sent");
      sent[i].removeAttribute("aria-busy");
    }
    var buttons = document.querySelectorAll("button[data-label]");
    for (i = 0; i < buttons.length; i++) {
      buttons[i].textContent = buttons[i].getAttribute("data-label");
      buttons[i].removeAttribute("data-label");
      buttons[i].disabled = false;
    }
    var status = document.querySelectorAll("[data-busy-status]");
    for (i = 0; i < status.length; i++) { status[i].textContent = ""; }
  });
}());
