// GraphiQL at /graphql in headless Chromium, signed in as its welcome text says: no cookie,
// a Bearer token in the headers editor. Run by tests/e2e/test_graphiql_token.py.
//
// 1. runs a Login mutation and reads the access token from the response pane;
// 2. puts it in the headers editor and runs a likePost mutation with variables;
// 3. empties the headers and runs it again: the pane shows UNAUTHENTICATED;
// 4. opens the Docs explorer: the root types, Mutation's fields, likePost's page.
// Prints one JSON line: {ok, token_found, liked, signed_out, docs: {...}, problems, error?}.
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env("E2E_BASE_URL");
const timeout = 20_000;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
const problems = [];
page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
page.on("console", (message) => {
  if (message.type() === "error") problems.push(`console error: ${message.text()}`);
});
const result = { problems };

// The response editor's text (innerText holds non-breaking spaces).
const responseText = () =>
  page.evaluate(() =>
    document.querySelector(".graphiql-response .CodeMirror").CodeMirror.getValue(),
  );

async function waitForResponse(needle) {
  await page.waitForFunction(
    (wanted) => (document.querySelector(".graphiql-response")?.innerText || "").includes(wanted),
    needle,
    { timeout },
  );
}

// Sets the visible CodeMirror editor under `selector` (the query editor, or the open tool).
async function setEditor(selector, value) {
  await page.evaluate(
    ([sel, text]) => {
      const editor = [...document.querySelectorAll(`${sel} .CodeMirror`)].find(
        (el) => el.offsetParent !== null,
      );
      editor.CodeMirror.setValue(text);
    },
    [selector, value],
  );
}

async function run(query) {
  await setEditor(".graphiql-query-editor", query);
  // GraphiQL reads the operation from the editor after a short debounce.
  await page.waitForTimeout(800);
  await page.click(".graphiql-execute-button");
}

// Types `value` into the Headers or Variables editor, as a person would: GraphiQL keeps
// what an editor holds from its change events, debounced.
async function tool(name, value) {
  await page.getByRole("button", { name }).click();
  const editor = page.locator(".graphiql-editor-tool .CodeMirror").filter({ visible: true });
  await editor.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(value);
  await page.waitForTimeout(800);
}

try {
  const introspected = page.waitForResponse(
    (response) => (response.request().postData() || "").includes("IntrospectionQuery"),
    { timeout },
  );
  await page.goto(`${base}/graphql`);
  await page.waitForSelector(".graphiql-query-editor .CodeMirror", { timeout });
  await introspected;

  await run(
    `mutation Login { login(input: {login: "${env("E2E_USERNAME")}", ` +
      `password: "${env("E2E_PASSWORD")}"}) { accessToken errors { code } } }`,
  );
  await waitForResponse("accessToken");
  const token = JSON.parse(await responseText()).data.login.accessToken;
  result.token_found = typeof token === "string" && token.length > 20;

  await tool("Headers", JSON.stringify({ Authorization: `Bearer ${token}` }));
  await tool("Variables", JSON.stringify({ id: env("E2E_POST_ID") }));
  const like =
    "mutation Like($id: ID!) { likePost(postId: $id) " +
    "{ post { id likeCount viewerHasLiked } errors { code } } }";
  await run(like);
  await waitForResponse("viewerHasLiked");
  result.liked = JSON.parse(await responseText());

  await tool("Headers", "{}");
  await run(like);
  await waitForResponse("UNAUTHENTICATED");
  result.signed_out = JSON.parse(await responseText());

  await page.getByRole("button", { name: "Show Documentation Explorer" }).click();
  const docs = page.locator(".graphiql-doc-explorer");
  await docs.getByText("Root Types").waitFor({ timeout });
  result.docs = { root: await docs.innerText() };
  await docs.getByRole("link", { name: "Mutation", exact: true }).click();
  await docs.getByRole("link", { name: "likePost", exact: true }).waitFor({ timeout });
  result.docs.mutation = await docs.innerText();
  await docs.getByRole("link", { name: "likePost", exact: true }).click();
  await docs.getByText("Idempotent").first().waitFor({ timeout });
  result.docs.like_post = await docs.innerText();
  result.ok = true;
} catch (error) {
  result.ok = false;
  result.error = String(error && error.stack ? error.stack : error);
  try {
    result.last_response = await responseText();
  } catch {}
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
