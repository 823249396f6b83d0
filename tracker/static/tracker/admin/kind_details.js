// A new measure's page holds the detail section of every kind; this shows the one that fits
// the kind chosen and hides the others.  A section with errors in it stays visible, so what
// the server refused is never hidden.  Without JavaScript every section shows and the server
// keeps only the one that fits the kind.
"use strict";
(function () {
  function setUp() {
    const select = document.querySelector("select[data-detail-groups]");
    if (!select) {
      return;
    }
    const groups = JSON.parse(select.dataset.detailGroups);
    const prefixes = Array.from(new Set(Object.values(groups)));

    function show() {
      const wanted = groups[select.value];
      for (const prefix of prefixes) {
        const group = document.getElementById(prefix + "-group");
        if (!group) {
          continue;
        }
        const hasErrors = group.querySelector(".errorlist, .errornote") !== null;
        group.hidden = !(prefix === wanted || hasErrors);
      }
    }

    select.addEventListener("change", show);
    show();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
