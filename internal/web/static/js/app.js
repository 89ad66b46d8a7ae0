// Perdura's own script for every page: htmx sends the session's CSRF token with each request
// it makes, so forms swapped in place are accepted like full-page posts.
document.addEventListener("htmx:configRequest", function (e) {
  var t = document.body.dataset.csrf;
  if (t) e.detail.headers["X-CSRF-Token"] = t;
});

// Charts take their size from their box, and a printed page is narrower (and a chart's box
// may be capped to fit one): Chart.js redraws only when told, so tell it around printing.
function perduraResizeCharts() {
  if (typeof Chart === "undefined") return;
  Object.values(Chart.instances).forEach(function (c) { c.resize(); });
}
window.addEventListener("beforeprint", perduraResizeCharts);
window.addEventListener("afterprint", perduraResizeCharts);
