// The agent console's one script (no build step): ticking countdowns, the agent's
// timezone, and live updates over server-sent events with a plain-refresh fallback.
// Served from /agent/static under a CSP without inline script.
(function () {
  "use strict";

  var body = document.body;
  var REFRESH_SECONDS = Number(body.getAttribute("data-refresh-seconds")) || 15;
  var TZ_COOKIE = "rb_tz";
  var ZONE_NAME = /^[A-Za-z0-9_+\-\/]{1,64}$/;
  // Countdowns run on the server's clock: a browser whose clock is off still agrees.
  var serverNow = Date.parse(body.getAttribute("data-now"));
  var skew = isNaN(serverNow) ? 0 : serverNow - Date.now();

  // "in 1 d 3 h", "5 min ago", "2 h ago, overdue": the same words as views.relative().
  function relative(seconds, deadline) {
    var past = seconds < 0;
    var left = Math.floor(Math.abs(seconds));
    var days = Math.floor(left / 86400);
    var hours = Math.floor((left % 86400) / 3600);
    var minutes = Math.floor((left % 3600) / 60);
    var secs = left % 60;
    var span;
    if (days) {
      span = hours ? days + " d " + hours + " h" : days + " d";
    } else if (hours) {
      span = minutes ? hours + " h " + minutes + " min" : hours + " h";
    } else if (minutes) {
      span = minutes + " min";
    } else {
      span = secs + " s";
    }
    if (!past) {
      return "in " + span;
    }
    return deadline ? span + " ago, overdue" : span + " ago";
  }

  function tick() {
    var now = Date.now() + skew;
    var stamps = document.querySelectorAll("[data-deadline], [data-time]");
    for (var i = 0; i < stamps.length; i++) {
      var element = stamps[i];
      var deadline = element.hasAttribute("data-deadline");
      var at = Date.parse(element.getAttribute(deadline ? "data-deadline" : "data-time"));
      if (isNaN(at)) {
        continue;
      }
      var seconds = (at - now) / 1000;
      element.textContent = relative(seconds, deadline);
      if (deadline && element.parentNode) {
        element.parentNode.classList.toggle("overdue", seconds < 0);
      }
    }
  }

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) {
        return parts[i].slice(eq + 1);
      }
    }
    return null;
  }

  // Absolute times are rendered by the server in the zone of the rb_tz cookie: set it
  // to the browser's zone once, and reload if this page was rendered in another zone.
  function syncZone() {
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (error) {
      return;
    }
    if (!zone || !ZONE_NAME.test(zone) || readCookie(TZ_COOKIE) === zone) {
      return;
    }
    document.cookie = TZ_COOKIE + "=" + zone + "; Path=/agent; Max-Age=31536000; SameSite=Strict";
    if (readCookie(TZ_COOKIE) === zone && body.getAttribute("data-tz") !== zone) {
      window.location.reload();
    }
  }

  var status = document.getElementById("live-status");

  function say(text, state) {
    if (status) {
      status.hidden = false;
      status.textContent = text;
    }
    body.setAttribute("data-live", state);
  }

  var pausedTimer = null;

  // The stream failed: tell the agent, and fall back to reloading the whole page.
  function pause() {
    if (pausedTimer !== null) {
      return;
    }
    say("Live updates paused — this page refreshes every " + REFRESH_SECONDS + " s.", "paused");
    pausedTimer = window.setInterval(function () {
      window.location.reload();
    }, REFRESH_SECONDS * 1000);
  }

  function goLive(live) {
    var source = new EventSource(live.getAttribute("data-events"));
    var busy = false;
    var again = false;
    var soon = null;

    function refresh() {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      fetch(live.getAttribute("data-fragment"), {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "text/html" }
      })
        .then(function (response) {
          if (response.status === 401 || response.status === 404) {
            window.location.reload(); // signed out, or gone: the full page says so
            return null;
          }
          if (!response.ok) {
            throw new Error("fragment answered " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          if (typeof html === "string") {
            live.innerHTML = html; // server-rendered, escaped HTML of this origin
            tick();
            body.setAttribute("data-updated", String(Date.now()));
          }
        })
        .catch(function () {
          source.close();
          pause();
        })
        .then(function () {
          busy = false;
          if (again) {
            again = false;
            refresh();
          }
        });
    }

    function later() {
      window.clearTimeout(soon);
      soon = window.setTimeout(refresh, 100); // one fetch for a burst of changes
    }

    source.addEventListener("ready", function (event) {
      var ready = {};
      try {
        ready = JSON.parse(event.data);
      } catch (error) {
        ready = {};
      }
      if (ready.live) {
        say("Live: this page updates by itself.", "on");
      } else {
        source.close();
        pause();
      }
    });
    source.addEventListener("change", later);
    source.addEventListener("resync", later);
    source.onerror = function () {
      source.close();
      pause();
    };
  }

  syncZone();
  tick();
  window.setInterval(tick, 1000);
  var live = document.getElementById("live");
  if (live && live.getAttribute("data-events")) {
    if (window.EventSource && window.fetch) {
      goLive(live);
    } else {
      pause();
    }
  }
})();
