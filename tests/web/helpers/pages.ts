/** Page-level checks shared by the browser suites: viewport sizes, axe-core accessibility, sideways scrolling. */
import fs from 'node:fs';
import type { Page } from 'playwright-core';

export const DESKTOP = { name: 'desktop', width: 1280, height: 900 };
export const PHONE = { name: 'phone', width: 390, height: 844 };

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
    id: string;
    impact: string | null;
    help: string;
    nodes: { target: string[] }[];
}

/** axe-core over the page (WCAG 2 A and AA rules); returns the serious and critical violations, summarised. */
export async function checkAccessibility(page: Page): Promise<string[]> {
    if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE_SOURCE });
    const violations = await page.evaluate(async () => {
        // An injected script: the page has no types for it.
        const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: AxeViolation[] }> } }).axe;
        const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
        return r.violations;
    });
    return violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map(
            (v) =>
                `${v.id} (${v.impact}): ${v.help} at ${v.nodes
                    .slice(0, 3)
                    .map((n) => n.target.join(' '))
                    .join('; ')}`,
        );
}

/** Pixels the page is wider than the viewport (0: nothing clipped, no sideways scrolling). */
export async function noSidewaysScroll(page: Page): Promise<number> {
    return page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - document.documentElement.clientWidth));
}
