/* Huxue duty: check-in and check-out from the member's phone, safe offline.
 *
 * Every tap becomes an attempt with its own Idempotency-Key and the phone's time of the tap,
 * written to localStorage BEFORE it is sent. The queue is sent now if possible, and again on page
 * load, when the phone comes back online, and every 30 seconds. A retry sends the same key and
 * the same body, so the server answers it with its first answer and never counts it twice.
 *
 *   2xx                    → removed, shown as done
 *   409, 4xx (refused)     → removed, the server's message shown
 *   401, 403               → kept: "sign in again to send"
 *   5xx, 408, 429, network → kept, sent again later
 *
 * A check-out asks first, in the page's own dialog (it works offline); without JavaScript the
 * check-out button is a form that opens the same question as a page of its own.
 *
 * Every string shown comes from the page (#duty-config, translated by the server).
 */
(function () {
  "use strict";

  var QUEUE_KEY = "huxue.duty.queue.v1";
  var IDS_KEY = "huxue.duty.ids.v1";
  var RETRY_MS = 30000;
  var QUICK_FIX_MS = 1500;
  var FULL_FIX_MS = 15000;

  var configNode = document.getElementById("duty-config");
  if (!configNode) return;
  var config = JSON.parse(configNode.textContent);
  var S = config.strings;
  var memory = {}; // when localStorage is unavailable (private mode): this page's life only
  var flushing = false;
  var again = false;
  var problem = "";
  var lastFix = null;

  // --- small helpers -------------------------------------------------------------------------

  function fmt(template, params) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) {
      return params[name] === undefined || params[name] === null ? "" : String(params[name]);
    });
  }

  function newKey() {
    var c = window.crypto;
    if (c && typeof c.randomUUID === "function") return c.randomUUID();
    var bytes = new Uint8Array(16);
    if (c && typeof c.getRandomValues === "function") {
      c.getRandomValues(bytes);
    } else {
      for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map
      .call(bytes, function (b) {
        return (b + 0x100).toString(16).slice(1);
      })
      .join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function read(name, fallback) {
    try {
      var raw = window.localStorage.getItem(name);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) {
      return memory[name] || fallback;
    }
  }

  function write(name, value) {
    memory[name] = value;
    try {
      window.localStorage.setItem(name, JSON.stringify(value));
    } catch (e) {
      /* kept in memory for this page */
    }
  }

  function queue() {
    return read(QUEUE_KEY, []);
  }

  function mine() {
    return queue().filter(function (entry) {
      return entry.user === config.user;
    });
  }

  function store(entry) {
    var entries = queue();
    entries.push(entry);
    write(QUEUE_KEY, entries);
  }

  function drop(key) {
    write(
      QUEUE_KEY,
      queue().filter(function (entry) {
        return entry.key !== key;
      })
    );
  }

  function queued(key) {
    return queue().some(function (entry) {
      return entry.key === key;
    });
  }

  // Check-ins made offline are known to the server by id only once sent; a check-out queued
  // behind one waits for it.
  function rememberId(key, id) {
    var ids = read(IDS_KEY, {});
    ids[key] = { id: id, at: Date.now() };
    var cutoff = Date.now() - 2 * 86400000;
    Object.keys(ids).forEach(function (k) {
      if (ids[k].at < cutoff) delete ids[k];
    });
    write(IDS_KEY, ids);
  }

  function knownId(key) {
    var found = read(IDS_KEY, {})[key];
    return found ? found.id : null;
  }

  function csrfToken() {
    var name = config.csrf_cookie + "=";
    var parts = document.cookie ? document.cookie.split(";") : [];
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i].trim();
      if (part.indexOf(name) === 0) return decodeURIComponent(part.slice(name.length));
    }
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function hhmm(iso) {
    return iso ? iso.slice(11, 16) : "";
  }

  // The phone's own clock reading of a moment (a check-in waiting on the phone has no server time).
  function localHm(iso) {
    var at = new Date(iso);
    if (isNaN(at.getTime())) return "";
    return ("0" + at.getHours()).slice(-2) + ":" + ("0" + at.getMinutes()).slice(-2);
  }

  // --- what the member sees --------------------------------------------------------------------

  function say(text, kind, data) {
    var list = document.querySelector("[data-duty-messages]");
    if (!list) return;
    var item = document.createElement("li");
    item.textContent = text;
    if (kind) item.className = kind;
    Object.keys(data || {}).forEach(function (name) {
      item.setAttribute("data-" + name, data[name]);
    });
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 5) list.removeChild(list.lastChild);
  }

  function showQueue() {
    var node = document.querySelector("[data-duty-queue]");
    if (!node) return;
    var n = mine().length;
    node.textContent = "";
    node.setAttribute("data-waiting", String(n));
    node.setAttribute("data-problem", problem);
    if (!n) {
      node.hidden = true;
      return;
    }
    var text = problem === "auth" ? S.auth : problem === "server" ? S.retrying : S.queued;
    node.appendChild(document.createTextNode(fmt(text, { n: n }) + " "));
    if (problem === "auth") {
      var link = document.createElement("a");
      link.href = config.login_url;
      link.textContent = S.sign_in;
      node.appendChild(link);
    }
    node.hidden = false;
    showPending();
  }

  // A check-in waiting in the queue replaces its button with "saved on this phone" and offers
  // a check-out that will follow it.
  function showPending() {
    var entries = mine();
    var waiting = {};
    entries.forEach(function (entry) {
      if (entry.after) waiting[entry.after] = true;
    });
    document.querySelectorAll(".duty-pending").forEach(function (node) {
      node.remove();
    });
    document.querySelectorAll("[data-duty-checkin]").forEach(function (button) {
      button.hidden = false;
    });
    entries.forEach(function (entry) {
      if (entry.kind !== "checkin") return;
      var selector = entry.body.qr
        ? '[data-duty-checkin][data-qr="' + entry.body.qr + '"]'
        : '[data-duty-checkin][data-post="' + entry.body.post + '"]';
      document.querySelectorAll(selector).forEach(function (button) {
        button.hidden = true;
        var note = document.createElement("div");
        note.className = "duty-pending";
        note.setAttribute("data-testid", "duty-pending");
        var text = document.createElement("p");
        text.textContent = S.saved_here;
        note.appendChild(text);
        if (!waiting[entry.key]) {
          var out = document.createElement("button");
          out.type = "button";
          out.className = "duty-big";
          out.textContent = S.check_out;
          out.setAttribute("data-duty-checkout-after", entry.key);
          out.setAttribute("data-label", entry.label || "");
          out.setAttribute("data-since", entry.created || "");
          note.appendChild(out);
        }
        button.parentNode.insertBefore(note, button.nextSibling);
      });
    });
  }

  function done(entry, body) {
    if (entry.kind === "checkin") {
      var flags = (body.flags || [])
        .map(function (code) {
          return S.flags[code] || code;
        })
        .join(S.flag_sep);
      var params = { time: hhmm(body.at), post: body.post_name, window: body.window, flags: flags };
      say(fmt(flags ? S.checked_in_flags : S.checked_in, params), "", {
        result: "checkin",
        flags: (body.flags || []).join(","),
      });
    } else {
      say(fmt(S.checked_out, { time: hhmm(body.checked_out_at), post: body.post_name }), "", {
        result: "checkout",
      });
    }
  }

  function refused(status, body) {
    var message = body && body.non_field_errors && body.non_field_errors[0];
    if (!message && body && typeof body === "object") {
      var first = Object.keys(body)[0];
      var value = first && body[first];
      message = Array.isArray(value) ? value[0] : typeof value === "string" ? value : "";
    }
    say(
      message ? fmt(S.refused, { message: message }) : fmt(S.refused_unknown, { status: status }),
      "error",
      { result: "refused", reason: (body && body.reason) || String(status) }
    );
  }

  // After an answer, the page's live part is read again from the server (best effort).
  function refresh() {
    var live = document.querySelector("[data-duty-live]");
    if (!live) return Promise.resolve();
    return fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok || response.redirected) return null;
        return response.text();
      })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-duty-live]");
        if (fresh) {
          live.innerHTML = fresh.innerHTML;
          var offline = document.querySelector("[data-duty-offline-qr]");
          if (offline) offline.hidden = true;
        }
        showPending();
      })
      .catch(function () {});
  }

  // --- sending -----------------------------------------------------------------------------------

  function send(entry, url) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "Idempotency-Key": entry.key,
        "X-CSRFToken": csrfToken(),
      },
      body: JSON.stringify(entry.body),
    });
  }

  // While the queue is being sent (and the page read again) the root carries data-duty-busy.
  async function flush() {
    if (flushing) {
      again = true; // a tap while sending: go round once more when done
      return;
    }
    flushing = true;
    again = false;
    document.documentElement.setAttribute("data-duty-busy", "");
    var changed = false;
    problem = "";
    try {
      var entries = mine();
      for (var i = 0; i < entries.length; i++) {
        var entry = entries[i];
        if (!queued(entry.key)) continue; // sent meanwhile by another tab
        if (navigator.onLine === false) {
          problem = "offline";
          break;
        }
        var url = entry.url;
        if (entry.after) {
          var id = knownId(entry.after);
          if (id === null) {
            if (queued(entry.after)) continue;
            drop(entry.key);
            say(S.checkout_dropped, "error", { result: "dropped" });
            continue;
          }
          url = config.checkout_url.replace("/0/", "/" + id + "/");
        }
        var response;
        try {
          response = await send(entry, url);
        } catch (e) {
          problem = "offline";
          break;
        }
        var body = null;
        try {
          body = await response.json();
        } catch (e) {
          body = null;
        }
        var status = response.status;
        if (response.ok) {
          drop(entry.key);
          if (entry.kind === "checkin" && body) rememberId(entry.key, body.id);
          done(entry, body || {});
          changed = true;
        } else if (status === 401 || status === 403) {
          problem = "auth";
          break;
        } else if (status >= 500 || status === 408 || status === 429) {
          problem = "server";
          break;
        } else {
          drop(entry.key);
          if (status === 409 && entry.kind === "checkin" && body && body.checkin) {
            rememberId(entry.key, body.checkin);
          }
          refused(status, body);
          changed = true;
        }
      }
      showQueue();
      showPending();
      if (changed) await refresh();
    } finally {
      flushing = false;
      document.documentElement.removeAttribute("data-duty-busy");
    }
    if (again) await flush();
  }

  // --- the phone's position ---------------------------------------------------------------------

  function locate(timeout) {
    return new Promise(function (resolve, reject) {
      if (!navigator.geolocation) {
        reject({ code: 1 });
        return;
      }
      navigator.geolocation.getCurrentPosition(
        function (position) {
          lastFix = position;
          resolve(position);
        },
        reject,
        { enableHighAccuracy: true, timeout: timeout, maximumAge: 30000 }
      );
    });
  }

  // For QR and check-out: a position if the phone has one at hand, never waiting for it.
  function quickFix() {
    if (lastFix && Date.now() - lastFix.timestamp < 60000) return Promise.resolve(lastFix);
    return Promise.race([
      locate(QUICK_FIX_MS).catch(function () {
        return null;
      }),
      new Promise(function (resolve) {
        setTimeout(function () {
          resolve(null);
        }, QUICK_FIX_MS);
      }),
    ]);
  }

  function addPosition(body, position) {
    if (!position) return;
    body.latitude = Number(position.coords.latitude.toFixed(6));
    body.longitude = Number(position.coords.longitude.toFixed(6));
    if (typeof position.coords.accuracy === "number") {
      body.accuracy = Math.min(100000, Math.round(position.coords.accuracy * 10) / 10);
    }
  }

  function locationProblem(error) {
    var denied = !error || error.code === 1;
    say(denied ? S.location_denied : S.location_failed, "error", {
      result: denied ? "location-denied" : "location-failed",
    });
    var scan = document.querySelector("[data-duty-scan]");
    if (scan && "BarcodeDetector" in window) scan.hidden = false;
  }

  // --- taps ----------------------------------------------------------------------------------------

  function queueAndSend(entry) {
    store(entry); // before anything is sent
    showQueue();
    showPending();
    return flush();
  }

  async function checkIn(button) {
    var deviceAt = new Date().toISOString();
    var key = newKey();
    var method = button.getAttribute("data-method") || "gps";
    var body = { method: method, device_at: deviceAt };
    var qr = button.getAttribute("data-qr");
    if (qr) body.qr = qr;
    else body.post = Number(button.getAttribute("data-post"));
    button.disabled = true;
    try {
      if (method === "gps") {
        var label = button.textContent;
        var position;
        button.textContent = S.locating;
        try {
          position = await locate(FULL_FIX_MS);
        } catch (error) {
          locationProblem(error);
          return;
        } finally {
          button.textContent = label;
        }
        addPosition(body, position);
      } else {
        addPosition(body, await quickFix());
      }
      await queueAndSend({
        key: key,
        user: config.user,
        kind: "checkin",
        url: config.checkin_url,
        body: body,
        label: button.getAttribute("data-label") || "",
        created: deviceAt,
      });
    } finally {
      button.disabled = false;
    }
  }

  async function checkOut(button, id, after) {
    var deviceAt = new Date().toISOString();
    var body = { device_at: deviceAt };
    button.disabled = true;
    try {
      addPosition(body, await quickFix());
      await queueAndSend({
        key: newKey(),
        user: config.user,
        kind: "checkout",
        url: id ? config.checkout_url.replace("/0/", "/" + id + "/") : null,
        after: after || null,
        body: body,
        label: button.getAttribute("data-label") || "",
        created: deviceAt,
      });
    } finally {
      button.disabled = false;
      button.hidden = true;
    }
  }

  // Ask before a check-out: which post, since when, and whether it comes so soon after the
  // check-in that the lead will see it marked. `go` runs only on "yes".
  function confirmCheckOut(button, go) {
    var since = button.getAttribute("data-since") || "";
    var pending = button.hasAttribute("data-duty-checkout-after");
    var text = fmt(pending ? S.confirm_checkout_pending : S.confirm_checkout, {
      post: button.getAttribute("data-label") || "",
      time: button.getAttribute("data-since-hm") || localHm(since),
    });
    var elapsed = since ? Date.now() - Date.parse(since) : NaN;
    var short = elapsed < config.short_seconds * 1000; // false when unknown (NaN)
    var dialog = document.querySelector("[data-duty-confirm]");
    if (!dialog || typeof dialog.showModal !== "function") {
      // A browser without <dialog>: its own question box, with the same words.
      if (window.confirm(short ? text + "\n\n" + S.short_warning : text)) go();
      return;
    }
    dialog.querySelector("[data-duty-confirm-text]").textContent = text;
    var warning = dialog.querySelector("[data-duty-confirm-short]");
    warning.textContent = S.short_warning;
    warning.hidden = !short;
    dialog.returnValue = "";
    dialog.onclose = function () {
      dialog.onclose = null;
      if (dialog.returnValue === "yes") go();
    };
    dialog.showModal();
  }

  async function scanPhoto(input) {
    var file = input.files && input.files[0];
    if (!file || !("BarcodeDetector" in window)) return;
    try {
      var codes = await new window.BarcodeDetector({ formats: ["qr_code"] }).detect(
        await createImageBitmap(file)
      );
      for (var i = 0; i < codes.length; i++) {
        var target = new URL(codes[i].rawValue, window.location.href);
        if (target.origin === window.location.origin && target.pathname.indexOf(config.qr_prefix) === 0) {
          window.location.href = target.href;
          return;
        }
      }
    } catch (e) {
      /* fall through */
    }
    say(S.no_qr_found, "error", { result: "no-qr" });
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-duty-checkin], [data-duty-checkout], [data-duty-checkout-after]");
    if (!target || target.disabled) return;
    event.preventDefault();
    if (target.hasAttribute("data-duty-checkin")) checkIn(target);
    else if (target.hasAttribute("data-duty-checkout"))
      confirmCheckOut(target, function () {
        checkOut(target, target.getAttribute("data-duty-checkout"));
      });
    else
      confirmCheckOut(target, function () {
        checkOut(target, null, target.getAttribute("data-duty-checkout-after"));
      });
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-duty-scan-input]")) scanPhoto(event.target);
  });

  // --- start -------------------------------------------------------------------------------------

  // A poster scanned without a network opens the kept today page at /q/<token>/: offer to queue
  // a check-in at that post.
  var offlineQr = document.querySelector("[data-duty-offline-qr]");
  var path = window.location.pathname;
  if (offlineQr && path.indexOf(config.qr_prefix) === 0) {
    var token = path.slice(config.qr_prefix.length).replace(/\/$/, "");
    if (token) {
      offlineQr.querySelector("[data-duty-checkin]").setAttribute("data-qr", token);
      offlineQr.hidden = false;
    }
  }

  // On a QR page with location already allowed, find the position early so it is ready.
  if (document.querySelector("[data-duty-page=qr]") && navigator.permissions && navigator.geolocation) {
    navigator.permissions
      .query({ name: "geolocation" })
      .then(function (status) {
        if (status.state === "granted") locate(FULL_FIX_MS).catch(function () {});
      })
      .catch(function () {});
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(config.sw_url, { scope: config.sw_scope }).catch(function () {});
  }

  window.addEventListener("online", flush);
  window.addEventListener("offline", function () {
    problem = "offline";
    showQueue();
  });
  window.addEventListener("storage", function (event) {
    if (event.key === QUEUE_KEY) {
      showQueue();
      showPending();
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") flush();
  });
  setInterval(flush, RETRY_MS);
  showQueue();
  showPending();
  flush();

  // For tests and support: what is waiting on this phone.
  window.huxueDuty = { flush: flush, queue: mine };
})();
