// Every built-in mail's HTML part in headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core; no browser download):
// rendered by `authd mail preview KIND --locale L --html`, checked as a
// reader sees it, and saved as a PNG under docs/images/mail/.
//
//   node --test ci-tools/mail-screenshots/mail.test.mjs
//
// Needs target/debug/authd (cargo build) and `npm ci` here. AUTHD_BIN,
// CHROMIUM and MAIL_SCREENSHOTS (the output folder) override the paths.
// The checked-in pictures were then made small with
// `pngquant --ext .png --force --quality 70-95 --strip docs/images/mail/*.png`.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const AUTHD_BIN = process.env.AUTHD_BIN ?? join(REPO, "target/debug/authd");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const OUT = process.env.MAIL_SCREENSHOTS ?? join(REPO, "docs/images/mail");
// English and German for every kind; the other built-in languages are
// checked without a picture.
const PICTURED = ["en", "de"];
const LOCALES = ["en", "de", "fr", "es"];
const LINK_COLOR = "#0f766e";

// An empty working folder and only the variables the preview needs: no
// .env or AUTH_* of the caller changes the pictures.
const work = mkdtempSync(join(tmpdir(), "authd-mail-"));
const env = {
  PATH: process.env.PATH,
  AUTH_PRODUCT_NAME: "Acme",
  AUTH_MAIL_LINK_COLOR: LINK_COLOR,
  AUTH_FRONTEND_URL: "https://app.acme.example",
};

function authd(...args) {
  return execFileSync(AUTHD_BIN, args, { cwd: work, env, encoding: "utf8" });
}

// The kinds, as the binary lists them (`[possible values: …]`).
function kinds() {
  const help = authd("mail", "preview", "--help");
  const listed = help.match(/\[possible values: ([^\]]+)\]/);
  assert.ok(listed, help);
  return listed[1].split(",").map((k) => k.trim());
}

let browser;

before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  mkdirSync(OUT, { recursive: true });
});

after(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

async function open(html, width) {
  const page = await browser.newPage({ viewport: { width, height: 400 }, deviceScaleFactor: 1 });
  // No network: everything a mail shows is in it.
  await page.route("**/*", (route) => route.abort());
  await page.setContent(html, { waitUntil: "load" });
  return page;
}

for (const kind of kinds()) {
  test(`${kind}: every built-in language renders as a real mail`, async () => {
    for (const locale of LOCALES) {
      const html = authd("mail", "preview", kind, "--locale", locale, "--html");
      const text = authd("mail", "preview", kind, "--locale", locale);
      assert.match(text, new RegExp(`^Subject: .+\\nContent-Language: ${locale}\\n`), text);

      const page = await open(html, 640);
      const seen = await page.evaluate(() => {
        const button = document.querySelector("a[href]");
        const cell = button?.closest("td");
        return {
          lang: document.documentElement.lang,
          heading: document.querySelector("h1")?.innerText.trim() ?? "",
          button: button?.innerText.trim() ?? "",
          href: button?.getAttribute("href") ?? "",
          buttonColour: cell ? getComputedStyle(cell).backgroundColor : "",
          body: document.body.innerText,
        };
      });
      assert.equal(seen.lang, locale);
      assert.ok(seen.heading.length > 3, `${kind}/${locale}: no heading`);
      assert.ok(seen.button.length > 1, `${kind}/${locale}: no button text`);
      assert.ok(seen.href.startsWith("https://app.acme.example/"), seen.href);
      // #0f766e
      assert.equal(seen.buttonColour, "rgb(15, 118, 110)");
      assert.ok(seen.body.includes("Acme"), `${kind}/${locale}: no product name`);
      assert.ok(!/\{\{|\{%|%\}|\}\}/.test(seen.body), `${kind}/${locale}: template syntax shows`);
      if (kind === "email_login") assert.ok(seen.body.includes("042917"), "the code");
      if (PICTURED.includes(locale)) {
        await page.screenshot({ path: join(OUT, `${locale}-${kind}.png`), fullPage: true });
      }
      await page.close();

      // Responsive: on a phone nothing is wider than the screen.
      const phone = await open(html, 360);
      const overflow = await phone.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      assert.ok(overflow <= 0, `${kind}/${locale}: ${overflow}px wider than a 360px screen`);
      await phone.close();
    }
  });
}
