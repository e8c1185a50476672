/** A daily time series drawn with uPlot (small, canvas-based: stays fast on phones). */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
    label: string;
    /** Unix seconds, ascending. */
    x: number[];
    y: number[];
    format: (v: number) => string;
}

const DAY = 86400;
const DAY_INCRS = [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 182 * DAY, 365 * DAY];

/**
 * One day (or a few) of data: a day of padding each side. A single point must be caught before uPlot's
 * own widening, which for a time scale in seconds stretches it by 86400 / 1e-3 s (1000 days) and asks
 * the range function with that span, so the point sat at the left edge of a three-year axis.
 */
function xRange(x: readonly number[], min: number, max: number): [number, number] {
    if (x.length === 1) return [x[0] - DAY, x[0] + DAY];
    return max - min < 2 * DAY ? [min - DAY, max + DAY] : [min, max];
}

export function DailyChart({ series }: { series: Series }) {
    const box = useRef<HTMLDivElement>(null);
    useEffect(() => {
        const el = box.current;
        if (!el) return;
        const width = () => Math.max(240, el.clientWidth);
        const plot = new uPlot(
            {
                width: width(),
                height: 220,
                series: [
                    {},
                    {
                        label: series.label,
                        stroke: '#2f6fed',
                        fill: 'rgba(47,111,237,0.12)',
                        width: 2,
                        value: (_u, v) => (v === null ? '—' : series.format(v)),
                    },
                ],
                axes: [
                    // Daily data: ticks on whole days, labelled as dates (uPlot's defaults would add hours).
                    {
                        incrs: DAY_INCRS,
                        values: (_u, ticks) =>
                            ticks.map((t) =>
                                new Date(t * 1000)
                                    .toISOString()
                                    .slice(ticks.length > 1 && ticks[ticks.length - 1] - ticks[0] > 300 * DAY ? 0 : 5, 10),
                            ),
                    },
                    { values: (_u, ticks) => ticks.map((t) => series.format(t)), size: 80 },
                ],
                scales: { x: { time: true, range: (_u, min, max) => xRange(series.x, min, max) } },
                // The range drawn, for the browser tests (the axis itself is pixels on a canvas).
                hooks: {
                    setScale: [
                        (u, key) => {
                            if (key !== 'x') return;
                            el.dataset.xMin = String(u.scales.x.min);
                            el.dataset.xMax = String(u.scales.x.max);
                        },
                    ],
                },
                legend: { show: true },
            },
            [series.x, series.y],
            el,
        );
        const onResize = () => plot.setSize({ width: width(), height: 220 });
        window.addEventListener('resize', onResize);
        return () => {
            window.removeEventListener('resize', onResize);
            plot.destroy();
        };
    }, [series]);
    return <div className="chart" ref={box} data-testid="daily-chart" />;
}
