// Drives the GraphiQL page at /graphql in headless Chromium, as a person would.
// Run by tests/e2e/test_graphiql.py, which starts the server and passes E2E_* variables.
//
// 1. signs in through the admin login, so GraphiQL uses the session cookie
//    (and X-CSRFToken from the csrftoken cookie) for a typed query;
// 2. puts a Bearer token in the headers editor and starts a notificationAdded
//    subscription over WebSocket;
// 3. makes another client follow that user over HTTP, and waits for the event;
// 4. saves a screenshot.
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const base = env("E2E_BASE_URL");
const screenshot = env("E2E_SCREENSHOT");
const timeout = 20_000;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
  ],
});
const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
const problems = [];
page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
page.on("console", (message) => {
  if (message.type() === "error") problems.push(`console error: ${message.text()}`);
});
page.on("response", (response) => {
  if (response.status() >= 400) problems.push(`HTTP ${response.status()} ${response.url()}`);
});
// Everything must come from the backend itself: any other host is a failure.
const foreign = [];
page.on("request", (request) => {
  const url = new URL(request.url());
  if (!["http:", "ws:", "data:"].includes(url.protocol) || url.host !== new URL(base).host) {
    if (url.protocol !== "data:") foreign.push(request.url());
  }
});

const result = { steps: [] };
const step = (name) => {
  result.steps.push(name);
  console.error(`step: ${name}`);
};

async function responseText() {
  return page.locator(".graphiql-response").innerText();
}

async function waitForResponse(...needles) {
  await page.waitForFunction(
    (wanted) => {
      const text = document.querySelector(".graphiql-response")?.innerText || "";
      return wanted.every((needle) => text.includes(needle));
    },
    needles,
    { timeout },
  );
}

// The CodeMirror instance of the visible editor matching `selector`.
async function setEditor(selector, value) {
  await page.evaluate(
    ([sel, text]) => {
      const editors = [...document.querySelectorAll(`${sel} .CodeMirror`)].filter(
        (el) => el.offsetParent !== null,
      );
      editors[0].CodeMirror.setValue(text);
    },
    [selector, value],
  );
}

try {
  step("admin login");
  await page.goto(`${base}/admin/login/?next=/graphql`);
  await page.fill("#id_username", env("E2E_STAFF_USER"));
  await page.fill("#id_password", env("E2E_STAFF_PASSWORD"));
  // GraphiQL rewrites the editor when the schema arrives: type only after that.
  const introspected = page.waitForResponse(
    (response) =>
      new URL(response.url()).pathname === "/graphql" &&
      (response.request().postData() || "").includes("IntrospectionQuery"),
    { timeout },
  );
  await Promise.all([page.waitForURL(/\/graphql/), page.click("input[type=submit]")]);
  await page.waitForSelector(".graphiql-query-editor .CodeMirror", { timeout });
  await introspected;

  step("type a query");
  const editor = page.locator(".graphiql-query-editor .CodeMirror");
  // One line, so no Enter reaches the autocomplete popup; the editor closes brackets itself.
  const query = "query Hello { me { username } publicFeed(first: 3) { edges { node { body";
  // A keystroke can still land while the page settles on a loaded machine: type again then.
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    await editor.click();
    await page.keyboard.press("Control+A");
    await page.keyboard.press("Delete");
    await page.keyboard.type(query);
    await page.keyboard.press("Escape");
    // GraphiQL reads the operation name from the editor after a short debounce.
    await page.waitForTimeout(800);
    result.typed = await page.evaluate(
      () => document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.getValue(),
    );
    result.typing_attempts = attempt;
    if (result.typed.startsWith(query)) break;
  }
  if (!result.typed.startsWith(query)) throw new Error(`the editor holds ${result.typed}`);

  step("run the query with the session cookie");
  await page.click(".graphiql-execute-button");
  await waitForResponse(env("E2E_STAFF_USER"), env("E2E_EXPECT_POST"));
  result.query_response = await responseText();

  step("sign in as the recipient in the headers editor");
  await page.getByRole("button", { name: "Headers" }).click();
  const headers = page.locator(".graphiql-editor-tool .CodeMirror").filter({ visible: true });
  await headers.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(
    JSON.stringify({ Authorization: `Bearer ${env("E2E_RECIPIENT_TOKEN")}` }),
  );
  await page.keyboard.press("Home");

  step("start the subscription");
  await setEditor(
    ".graphiql-query-editor",
    [
      "subscription Live {",
      "  notificationAdded {",
      "    cursor",
      "    unreadNotificationCount",
      "    notification {",
      "      kind",
      "      actor {",
      "        username",
      "      }",
      "    }",
      "  }",
      "}",
    ].join("\n"),
  );
  await page.waitForTimeout(800);
  await page.click(".graphiql-execute-button");
  // The execute button turns into a stop button while the subscription runs.
  await page.waitForSelector(".graphiql-execute-button[aria-label*='Stop' i]", { timeout });
  // Let the socket's connection_init and subscribe reach the server.
  await page.waitForTimeout(1500);

  step("another client follows the recipient");
  const follow = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Authorization: `Bearer ${env("E2E_FOLLOWER_TOKEN")}`,
    },
    body: JSON.stringify({
      query:
        "mutation Follow($id: ID!) { followUser(userId: $id) { user { username } errors { code } } }",
      variables: { id: env("E2E_RECIPIENT_ID") },
    }),
  });
  result.follow = await follow.json();

  step("see the live event");
  await waitForResponse("FOLLOW", env("E2E_FOLLOWER_NAME"));
  result.event_response = await responseText();
  // Open the explorer too, for the screenshot (docs/graphiql.png).
  await page.getByRole("button", { name: "Show GraphiQL Explorer" }).click();
  await page.waitForTimeout(500);
  result.ok = true;
} catch (error) {
  result.ok = false;
  result.error = String(error && error.stack ? error.stack : error);
  try {
    result.last_response = await responseText();
  } catch {}
} finally {
  result.problems = problems;
  result.foreign_requests = foreign;
  await page.screenshot({ path: screenshot });
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
