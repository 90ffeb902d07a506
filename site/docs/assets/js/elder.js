/*
 * 长者模式 · The elderly-friendly mode (适老化): larger text and higher contrast, on every
 * page, kept across pages and visits in localStorage.
 *
 * Loaded in the <head> without defer on every page (overrides/main.html), so the class is
 * on <html> before the first paint and the page never jumps from small to large text; an
 * external file, so the site's policy (script-src 'self') allows it. The switch in the
 * page's top bar is a button with aria-pressed; the styles are in jubao.css
 * (html.jubao-elder, screen only: print is unaffected).
 */
(function () {
  "use strict";
  var KEY = "jubao-elder";
  var CLASS = "jubao-elder";
  var root = document.documentElement;

  function stored() {
    try {
      return window.localStorage.getItem(KEY) === "on";
    } catch (e) {
      return false; // storage blocked: the mode still works on this page
    }
  }

  function store(on) {
    try {
      if (on) window.localStorage.setItem(KEY, "on");
      else window.localStorage.removeItem(KEY);
    } catch (e) {
      /* storage blocked: not kept, nothing else lost */
    }
  }

  function apply(on) {
    root.classList.toggle(CLASS, on);
  }

  apply(stored());

  function wire() {
    var button = document.getElementById("jubao-elder-toggle");
    if (!button) return;
    button.setAttribute("aria-pressed", root.classList.contains(CLASS) ? "true" : "false");
    button.hidden = false;
    button.addEventListener("click", function () {
      var on = !root.classList.contains(CLASS);
      apply(on);
      store(on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
  else wire();

  // another tab switched the mode: follow it
  window.addEventListener("storage", function (ev) {
    if (ev.key !== KEY) return;
    var on = ev.newValue === "on";
    apply(on);
    var button = document.getElementById("jubao-elder-toggle");
    if (button) button.setAttribute("aria-pressed", on ? "true" : "false");
  });
})();
