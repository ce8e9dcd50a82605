/* A "Print" button: any element with data-print opens the browser's print dialog (no inline
 * script, so that a Content-Security-Policy without 'unsafe-inline' still allows it). */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
