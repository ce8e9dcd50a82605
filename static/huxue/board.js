/* The live board: a full-screen button (Fullscreen API), a notice when polling fails, and the
   wall's pages: tiles sized so that every red post fits the screen, red and amber kept on every
   page, the rest turned every few seconds. */
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

  // Tile sizes of the wall, largest first (data-density, see board.css).
  var DENSITIES = ["1", "2", "3", "4", "5"];
  // Up to this size the wall prefers all posts on one page to turning pages.
  var ONE_PAGE_UP_TO = 2;
  // Beyond this many pages the wall takes smaller tiles rather than a longer round.
  var MAX_PAGES = 4;

  function capacity(grid) {
    var style = getComputedStyle(grid);
    var columns = style.gridTemplateColumns.split(" ").filter(Boolean).length;
    var row = parseFloat(style.gridAutoRows);
    var gap = parseFloat(style.rowGap) || 0;
    if (!columns || !row) return { columns: 0, tiles: 0 };
    var rows = Math.floor((grid.clientHeight + gap) / (row + gap));
    return { columns: columns, tiles: columns * Math.max(rows, 0) };
  }

  function chunks(list, size) {
    var out = [];
    for (var i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
    return out;
  }

  function setUpWallPager() {
    var wall = document.querySelector(".board-wall");
    var live = document.getElementById("board-live");
    if (!wall || !live) return;
    document.documentElement.classList.add("js-paged");
    var indicator = wall.querySelector(".wall-page");
    var seconds = parseInt(wall.dataset.pageSeconds, 10) || 12;
    var pages = [];
    var current = 0;

    function show(index) {
      var grid = live.querySelector(".board-tiles");
      if (!grid) return;
      current = pages.length ? index % pages.length : 0;
      var visible = new Set(pages[current] || []);
      Array.prototype.forEach.call(grid.children, function (tile) {
        tile.hidden = !visible.has(tile);
      });
      grid.dataset.page = String(current + 1);
      grid.dataset.pages = String(pages.length);
      grid.setAttribute("data-paged", "");
      if (indicator) {
        indicator.hidden = pages.length < 2;
        indicator.textContent = (indicator.dataset.label || "")
          .replace("{page}", current + 1)
          .replace("{pages}", pages.length);
      }
    }

    function layout() {
      var grid = live.querySelector(".board-tiles");
      pages = [];
      if (!grid) {
        if (indicator) indicator.hidden = true;
        return;
      }
      var tiles = Array.prototype.slice.call(grid.children);
      tiles.forEach(function (tile) { tile.hidden = false; });
      var red = tiles.filter(function (t) { return t.dataset.status === "red"; });
      var amber = tiles.filter(function (t) { return t.dataset.status === "amber"; });
      var fits = {};
      DENSITIES.forEach(function (density) {
        wall.dataset.density = density;
        fits[density] = capacity(grid);
      });
      function first(test) {
        for (var i = 0; i < DENSITIES.length; i++) if (test(fits[DENSITIES[i]], i + 1)) return DENSITIES[i];
        return null;
      }
      // Pages needed at a size when these posts stay on every page and the others take turns
      // (at least a row of them): Infinity if they do not fit.
      function pagesAt(fit, kept, others) {
        var room = fit.tiles - kept;
        if (room < 0) return Infinity;
        if (!others) return 1;
        return room < fit.columns ? Infinity : Math.ceil(others / room);
      }
      function fewestPages(kept, others) {
        var found = first(function (fit) { return pagesAt(fit, kept, others) <= MAX_PAGES; });
        if (found) return found;
        var best = null;
        DENSITIES.forEach(function (d) {
          var n = pagesAt(fits[d], kept, others);
          if (n < Infinity && (best === null || n < pagesAt(fits[best], kept, others))) best = d;
        });
        return best;
      }
      // All on one page while the tiles are large; else the largest size that keeps red and
      // amber on every page in a few pages; else red alone; else red as far as it goes.
      var pinned = red.concat(amber);
      var density = first(function (fit, size) { return size <= ONE_PAGE_UP_TO && tiles.length <= fit.tiles; }) ||
        fewestPages(pinned.length, tiles.length - pinned.length);
      if (!density) {
        pinned = red;
        density = fewestPages(red.length, tiles.length - red.length) ||
          first(function (fit) { return red.length <= fit.tiles; });
      }
      density = density || DENSITIES[DENSITIES.length - 1];
      wall.dataset.density = density;
      var room = fits[density].tiles;
      var pinnedSet = new Set(pinned);
      var others = tiles.filter(function (t) { return !pinnedSet.has(t); });
      if (room <= 0) {
        pages = [tiles];
      } else if (pinned.length > room) {
        pages = chunks(tiles, room);  // more red posts than the screen holds: page them too
      } else if (others.length && room > pinned.length) {
        pages = chunks(others, room - pinned.length).map(function (part) { return pinned.concat(part); });
      } else {
        pages = [pinned];
      }
      show(current);
    }

    layout();
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target === live) layout();
    });
    var resizing;
    window.addEventListener("resize", function () {
      clearTimeout(resizing);
      resizing = setTimeout(layout, 150);
    });
    setInterval(function () {
      if (pages.length > 1) show(current + 1);
    }, seconds * 1000);
  }

  function start() {
    setUpFullscreen();
    setUpOfflineNotice();
    setUpWallPager();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
