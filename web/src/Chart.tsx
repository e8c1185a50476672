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
                series: [{}, { label: series.label, stroke: '#2f6fed', fill: 'rgba(47,111,237,0.12)', width: 2, value: (_u, v) => (v === null ? '—' : series.format(v)) }],
                axes: [{}, { values: (_u, ticks) => ticks.map((t) => series.format(t)), size: 70 }],
                scales: { x: { time: true } },
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
