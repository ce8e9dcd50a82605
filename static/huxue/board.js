/* The live board: a full-screen button (Fullscreen API) and a notice when polling fails. */
(function () {
  "use strict";

  function setUpFullscreen() {
    var buttons = document.querySelectorAll("[data-fullscreen]");
    if (!document.fullscreenEnabled) return;
    buttons.forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        if (document.fullscreenElement) {
          document.exitFullscreen();
          return;
        }
        var target = document.querySelector(button.getAttribute("data-fullscreen"));
        (target || document.documentElement).requestFullscreen().catch(function () {});
      });
    });
    document.addEventListener("fullscreenchange", function () {
      buttons.forEach(function (button) {
        var label = document.fullscreenElement ? button.dataset.leave : button.dataset.enter;
        if (label) button.textContent = label;
      });
    });
  }

  function setUpOfflineNotice() {
    var notice = document.querySelector(".board-offline");
    if (!notice) return;
    var failed = function () { notice.hidden = false; };
    document.body.addEventListener("htmx:sendError", failed);
    document.body.addEventListener("htmx:responseError", failed);
    document.body.addEventListener("htmx:afterSwap", function () { notice.hidden = true; });
  }

  function start() {
    setUpFullscreen();
    setUpOfflineNotice();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
