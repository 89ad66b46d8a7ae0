// Account and users pages: the Copy buttons next to a token or password shown once.
(function () {
  'use strict';
  document.addEventListener('click', function (ev) {
    var btn = ev.target.closest('button[data-copy]');
    if (!btn) return;
    var id = btn.getAttribute('data-copy');
    var field = document.getElementById(id);
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    if (!field) return;
    field.focus();
    field.select();
    var done = function (ok) {
      if (status) status.textContent = ok ? 'Copied to the clipboard.' : 'Select the text and copy it with Ctrl+C (⌘C).';
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () { done(true); }, function () { done(false); });
    } else {
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      done(ok);
    }
  });
})();
