// The first-run page: the certificate fingerprint to check, and a form that creates the
// owner with the one-time setup code. Three small files kept in the binary so the hub can
// be set up before anything else is installed; the household app (web/) replaces the rest.
// No inline script or style: the CSP forbids both.
#include <nlohmann/json.hpp>

#include "api/routes.h"

namespace hearth::api {
namespace {

constexpr const char* kPageHead = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Set up Hearth</title>
<link rel="stylesheet" href="/setup.css">
<script src="/setup.js" defer></script>
</head>
<body>
<main>
<h1>Set up your Hearth hub</h1>
)html";

constexpr const char* kForm = R"html(
<p>Check first that you are talking to your own hub: the fingerprint of its certificate
must be the one the hub printed when it started.</p>
<p class="fingerprint" id="fingerprint">{FINGERPRINT}</p>
<form id="setup">
<label>Setup code <input name="code" autocomplete="one-time-code" required
  placeholder="XXXXX-XXXXX-XXXXX-XXXXX" maxlength="64"></label>
<label>Your user name <input name="username" autocomplete="username" required
  maxlength="64" pattern="[A-Za-z0-9._\-]+"></label>
<label>Passphrase <input name="password" type="password" autocomplete="new-password"
  required minlength="12" maxlength="1024"></label>
<label>Passphrase again <input name="again" type="password" autocomplete="new-password"
  required minlength="12" maxlength="1024"></label>
<p class="hint">At least 12 characters and hard to guess: four or five random words work
well. It may not contain your user name or "hearth".</p>
<button type="submit">Create the owner account</button>
<p id="message" role="status"></p>
</form>
</main>
</body>
</html>
)html";

constexpr const char* kDone = R"html(
<p>This hub is set up. Log in with your account in the Hearth app.</p>
</main>
</body>
</html>
)html";

constexpr const char* kScript = R"js('use strict';
document.addEventListener('DOMContentLoaded', () => {
  const form = document.getElementById('setup');
  if (!form) return;
  const message = document.getElementById('message');
  const say = (text, ok) => {
    message.textContent = text;
    message.className = ok ? 'ok' : 'error';
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    if (data.get('password') !== data.get('again')) {
      say('The two passphrases differ.', false);
      return;
    }
    const body = JSON.stringify({
      code: data.get('code'), username: data.get('username'), password: data.get('password'),
    });
    form.querySelector('button').disabled = true;
    try {
      const res = await fetch('/api/setup', {
        method: 'POST', headers: {'Content-Type': 'application/json'}, body,
        credentials: 'same-origin',
      });
      const answer = await res.json().catch(() => ({}));
      if (res.ok) {
        form.reset();
        say('Done: you are the owner, and logged in on this device.', true);
        return;
      }
      say(answer.error || ('The hub answered ' + res.status + '.'), false);
    } catch (e) {
      say('The hub cannot be reached: ' + e.message, false);
    }
    form.querySelector('button').disabled = false;
  });
});
)js";

constexpr const char* kStyle = R"css(body{font:16px/1.5 system-ui,sans-serif;margin:0;
background:#f6f3ee;color:#222}main{max-width:32rem;margin:2rem auto;padding:1.5rem;
background:#fff;border-radius:12px;box-shadow:0 1px 4px #0002}h1{font-size:1.4rem}
label{display:block;margin:.8rem 0}input{display:block;width:100%;box-sizing:border-box;
padding:.5rem;font:inherit;border:1px solid #aaa;border-radius:6px}
button{padding:.6rem 1rem;font:inherit;border:0;border-radius:6px;background:#b4541c;
color:#fff}.fingerprint{font-family:monospace;word-break:break-all;background:#f0ede8;
padding:.5rem;border-radius:6px}.hint{color:#555;font-size:.9rem}.error{color:#a40000}
.ok{color:#1d6b1d}
)css";

Response file(std::string content_type, std::string body) {
    Response r;
    r.content_type = std::move(content_type);
    r.body = std::move(body);
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
}

}  // namespace

void add_setup_page(SecureRouter& router, const HubContext& hub) {
    const Rule kPublic{Access::kPublic, {}, false};
    router.add(Method::kGet, "/setup", kPublic, [hub](const Request& req, Caller&) {
        auto needed = hub.accounts->needs_setup();
        if (!needed) {
            return Response::error(503, "accounts are unavailable", req);
        }
        std::string page = kPageHead;
        if (*needed) {
            std::string form = kForm;
            // The fingerprint is hex and colons only, so it needs no escaping.
            form.replace(form.find("{FINGERPRINT}"), 13, hub.tls_fingerprint);
            page += form;
        } else {
            page += kDone;
        }
        return file("text/html; charset=utf-8", std::move(page));
    });
    router.add(Method::kGet, "/setup.js", kPublic, [](const Request&, Caller&) {
        return file("text/javascript; charset=utf-8", kScript);
    });
    router.add(Method::kGet, "/setup.css", kPublic, [](const Request&, Caller&) {
        return file("text/css; charset=utf-8", kStyle);
    });
}

}  // namespace hearth::api
