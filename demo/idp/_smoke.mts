import { chromium } from "playwright-core";
import { startStack } from "../stack.js";
const stack = await startStack({ envoy: "auto", tokenTtl: 8, renewWindow: 3, idpLog: (r) => console.log("idp", r) });
console.log("path", stack.path, stack.directReason ?? "");
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: [`--ignore-certificate-errors-spki-list=${stack.pki.localhostSpki}`] });
try {
  const page = await browser.newPage();
  page.on("console", (m) => { if (m.type() === "error") console.log("console:", m.text()); });
  await page.goto(stack.web!.url);
  await page.click("[data-testid=btn-hero-signin]");
  await page.fill("input[name=login]", "writer");
  await page.fill("input[name=password]", "writer");
  await page.click("button[type=submit]");
  await page.waitForSelector("[data-testid=signed-in]:not([hidden])", { timeout: 20000 });
  console.log("subject", await page.textContent("[data-testid=session-subject]"), "scopes", await page.textContent("[data-testid=session-scopes]"));
  await page.click("[data-testid=btn-whoami]");
  await page.waitForTimeout(1500);
  const before = stack.idp.stats.refreshGrants;
  await page.waitForTimeout(9000);
  await page.click("[data-testid=btn-whoami]");
  await page.waitForTimeout(1500);
  console.log("stats", stack.idp.stats, "refreshes during wait", stack.idp.stats.refreshGrants - before);
  await page.screenshot({ path: "/tmp/gwo-idp-dbg/app.png" });
} finally {
  await browser.close();
  await stack.close();
}
