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
                // One day (or a few) of data: pad the range by a day each side, or uPlot spreads a single point over years.
                scales: { x: { time: true, range: (_u, min, max) => (max - min < 2 * DAY ? [min - DAY, max + DAY] : [min, max]) } },
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
