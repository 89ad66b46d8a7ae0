// Editing forms: a filter box over long checkbox lists. The forms work without it.
(function () {
  "use strict";
  document.querySelectorAll(".edit-checklist").forEach(function (list) {
    var checks = list.querySelectorAll(".edit-check");
    if (checks.length < 12) return;
    var input = document.createElement("input");
    input.type = "search";
    input.className = "edit-filter";
    input.placeholder = "Filter…";
    input.setAttribute("aria-label", "Filter " + (list.dataset.filter || "choices"));
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      checks.forEach(function (c) {
        c.hidden = q !== "" && c.textContent.toLowerCase().indexOf(q) < 0 && !c.querySelector("input").checked;
      });
    });
    // Enter in the filter must not submit the form.
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") e.preventDefault(); });
    list.parentNode.insertBefore(input, list);
  });
})();
