/*
 * 双语文字 · The one bilingual text helper of the site's scripts.
 *
 * Each script keeps its messages as { key: ["中文", "English"] } and gets its t() from
 * here: the page's language decides (Chinese unless <html lang="en">), and "{name}"
 * placeholders are filled from the values given. Loaded before every page script.
 */
(function () {
  "use strict";
  var EN = document.documentElement.lang === "en";
  window.JubaoText = {
    en: EN,
    of: function (messages) {
      return function t(key, values) {
        var text = messages[key][EN ? 1 : 0];
        return values
          ? text.replace(/\{(\w+)\}/g, function (_, name) { return values[name]; })
          : text;
      };
    }
  };
})();
