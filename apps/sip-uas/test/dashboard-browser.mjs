/* global document -- the callbacks below run in the page */
// Loads a dashboard page in Debian's chromium (headless, through puppeteer-core, which downloads
// nothing), waits until its charts have drawn `points` samples with a non-zero activation rate,
// saves a screenshot, and prints what the page drew as one JSON line. A process of its own
// because puppeteer-core is an ES module that jest's CommonJS loader cannot require.
//
//   node dashboard-browser.mjs <chromium> <url> <screenshot.png> [points]
import { launch } from 'puppeteer-core';

const [chromium, url, screenshot, points = '4'] = process.argv.slice(2);
const browser = await launch({
  executablePath: chromium,
  headless: true,
  // Root in a container: no user namespaces for chromium's sandbox.
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1000, height: 620 });
  await page.goto(url, { waitUntil: 'load' });
  // One point a second: bounded wait for a few under load.
  await page.waitForFunction(
    (n) => Number(document.body.dataset.points) >= n && Number(document.body.dataset.peak) > 0,
    { timeout: 30_000, polling: 200 },
    Number(points),
  );
  const drawn = await page.evaluate(() => ({
    points: Number(document.body.dataset.points),
    peak: Number(document.body.dataset.peak),
    charts: document.querySelectorAll('.uplot canvas').length,
    text: document.getElementById('now')?.textContent ?? '',
  }));
  await page.screenshot({ path: screenshot });
  console.log(JSON.stringify(drawn));
} finally {
  await browser.close();
}
