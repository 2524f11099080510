// The admin server's live dashboard, looked at as an operator would: Debian's chromium (headless)
// loads the page from the built server while sipp places calls, and the charts must have drawn
// points with a non-zero activation rate. The screenshot stays in tmp/artifacts/ as evidence.
// Without chromium (or sipp) the suite is skipped and says why — except in CI, where it must run.
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { which } from '../sipp/run-sipp.cjs';
import { placeCalls, SIPP_MISSING } from './sipp';
import { startUas, type UasProcess } from './uas-process';

const CHROMIUM = which('chromium') ?? which('chromium-browser');
const MISSING =
  CHROMIUM === undefined
    ? 'chromium is not installed (Debian: apt-get install chromium)'
    : SIPP_MISSING;
const suite = MISSING === undefined || process.env.CI === 'true' ? describe : describe.skip;
if (MISSING !== undefined) console.warn(`sip-uas dashboard test: ${MISSING}`);

/** Where the screenshot is kept: the workspace's tmp/ (git-ignored). */
const ARTIFACTS = join(__dirname, '..', '..', '..', 'tmp', 'artifacts');

jest.setTimeout(120_000);

suite('the admin dashboard in a real browser', () => {
  let uas: UasProcess;

  beforeAll(async () => {
    if (MISSING !== undefined) throw new Error(MISSING);
    uas = await startUas({ HTTP_PORT: '0' });
  });

  afterAll(async () => {
    expect(await uas?.stop('SIGTERM')).toBe(0);
  });

  it('draws calls under sipp load: points on every chart and a non-zero activation rate', async () => {
    const [, url] = await uas.waitFor(/dashboard: (http:\/\/[\d.]+:\d+\/)/);
    mkdirSync(ARTIFACTS, { recursive: true });
    const screenshot = join(ARTIFACTS, 'sip-uas-dashboard.png');
    const load = placeCalls(uas.port, 'uac', 't1', 1500, 150);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(__dirname, 'dashboard-browser.mjs'), CHROMIUM as string, url, screenshot, '4'],
      { timeout: 90_000 },
    );
    const drawn = JSON.parse(stdout.trim().split('\n').pop() as string);
    expect(drawn.charts).toBe(4);
    expect(drawn.points).toBeGreaterThanOrEqual(4);
    expect(drawn.peak).toBeGreaterThan(0);
    expect(drawn.text).toMatch(/activations\/s/);
    expect((await load).failed).toBe(0);
  });
});
