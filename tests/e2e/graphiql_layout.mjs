// Measures the GraphiQL page at /graphql in headless Chromium, as a newcomer first sees it.
// Run by tests/e2e/test_graphiql_layout.py, which starts the server (E2E_BASE_URL).
//
// 1. at common window widths, with the Explorer closed (and open, from 1280 px), every
//    line of the welcome text is visible whole in the query editor (no sideways scrolling);
// 2. in the Explorer, an Int argument's box (publicFeed's `first`) shows a typed number
//    whole, and a 3-digit number's room is left when the box is emptied.
// Prints one JSON line: {ok, widths: [...], argument: {...}, problems, error?}.
import { chromium } from "playwright-core";

const base = process.env.E2E_BASE_URL;
const timeout = 20_000;
// A small laptop or half a screen, the common laptops, a desktop.
const WIDTHS = [1024, 1280, 1366, 1440, 1536, 1920];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
});
const result = { widths: [], problems: [] };

// How far the longest line of the query editor reaches past its visible area (px, <= 0: fits).
// The visible area is the .CodeMirror box, left of its vertical scrollbar when one shows:
// CodeMirror's inner scroller reaches 50 px further right (it hides the native scrollbar
// under the box's edge), so measuring against it passed lines that were cut off.
function overflow() {
  const editor = [...document.querySelectorAll(".graphiql-query-editor .CodeMirror")].find(
    (el) => el.offsetParent !== null,
  );
  const scrollbar = editor.querySelector(".CodeMirror-vscrollbar");
  const shown = scrollbar && getComputedStyle(scrollbar).display !== "none" && scrollbar.offsetWidth;
  const right = shown ? scrollbar.getBoundingClientRect().left : editor.getBoundingClientRect().right;
  const lines = [...editor.querySelectorAll(".CodeMirror-line > span")];
  const widest = Math.max(...lines.map((span) => span.getBoundingClientRect().right));
  return {
    past: Math.round(widest - right),
    scrollbar: Boolean(shown),
    lines: lines.length,
    text: lines.map((span) => span.textContent).filter((t) => t.startsWith("#")),
  };
}

try {
  for (const width of WIDTHS) {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    page.on("pageerror", (error) => result.problems.push(`page error: ${error.message}`));
    await page.goto(`${base}/graphql`);
    await page.waitForSelector(".graphiql-query-editor .CodeMirror-line", { timeout });
    const closed = await page.evaluate(overflow);
    await page.getByRole("button", { name: "Show GraphiQL Explorer" }).click();
    await page.waitForSelector(".graphiql-explorer-root", { timeout });
    await page.waitForTimeout(300);
    const open = await page.evaluate(overflow);
    result.widths.push({ width, closed, open });

    if (width === 1280) {
      // The Explorer mirrors the welcome document: publicFeed(first: 5) is ticked, with a
      // box holding 5. Type a 3-digit number into it.
      const box = page.locator(".graphiql-explorer-publicFeed input[type=text]").first();
      await box.waitFor({ timeout });
      await box.click();
      await box.press("End");
      await box.pressSequentially("100", { delay: 100 });
      await page.waitForTimeout(300);
      const measure = (input) => {
        // The width the value's text needs in the box's font, padding left aside.
        const probe = document.createElement("span");
        probe.style.font = getComputedStyle(input).font;
        probe.style.position = "absolute";
        probe.textContent = input.value || "100";
        document.body.append(probe);
        const needed = probe.getBoundingClientRect().width;
        probe.remove();
        const style = getComputedStyle(input);
        const inner =
          input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        return { value: input.value, inner: Math.floor(inner), needed: Math.ceil(needed) };
      };
      result.argument = await box.evaluate(measure);
      while ((await box.inputValue()) !== "") await box.press("Backspace", { delay: 100 });
      await page.waitForTimeout(300);
      result.empty_argument = await box.evaluate(measure);
    }
    await page.close();
  }
  result.ok = true;
} catch (error) {
  result.ok = false;
  result.error = String(error && error.stack ? error.stack : error);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
