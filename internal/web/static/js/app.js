// Perdura's own script for every page: htmx sends the session's CSRF token with each request
// it makes, so forms swapped in place are accepted like full-page posts.
document.addEventListener("htmx:configRequest", function (e) {
  var t = document.body.dataset.csrf;
  if (t) e.detail.headers["X-CSRF-Token"] = t;
});
