// Owns the ratio chart in BENCHMARKS.md: a Vega-Lite spec compiled and rendered to SVG headless
// (vega's "none" renderer needs no canvas), so the picture comes from a charting library, not by hand.

import { compile, type TopLevelSpec } from "vega-lite";
import { View, parse } from "vega";

/** Bars top to bottom: the references, then the runtime's floor, then opc-auth-proxy. */
const ORDER = ["nginx", "go", "node:http", "opc-auth-proxy"];

export interface RatioPoint {
  /** What is compared, e.g. "small GET req/s vs direct". */
  measure: string;
  target: string;
  ratio: number;
}

/** An SVG document: one bar per target and measure, with a rule at 1 (as good as the reference). */
export async function ratioChartSvg(points: RatioPoint[], title: string): Promise<string> {
  const spec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    width: 520,
    background: "white",
    data: { values: points.map((p) => ({ ...p, ratio: Number(p.ratio.toFixed(3)) })) },
    facet: { row: { field: "measure", type: "nominal", title: null, header: { labelAngle: 0, labelAlign: "left" } } },
    spec: {
      width: 420,
      layer: [
        {
          mark: { type: "bar" },
          encoding: {
            y: { field: "target", type: "nominal", title: null, sort: ORDER },
            x: { field: "ratio", type: "quantitative", title: "ratio" },
            color: { field: "target", type: "nominal", legend: null },
          },
        },
        {
          mark: { type: "text", align: "left", dx: 3 },
          encoding: {
            y: { field: "target", type: "nominal", sort: ORDER },
            x: { field: "ratio", type: "quantitative" },
            text: { field: "ratio", type: "quantitative", format: ".2f" },
          },
        },
      ],
    },
    resolve: { scale: { x: "independent" } },
  };
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
