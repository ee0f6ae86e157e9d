// The map's heat layer: the shown points inside an extent summed into an nx x ny grid of cells,
// each point weighted (1 per camera for density; 1 per camera not up for "not up"). Pure, like
// cluster.ts: recomputed after every zoom or pan over the points in view (100k in a few ms).
import type { Columns, Extent } from './cluster'

export interface Heat { cells: [number, number, number][]; max: number; total: number }

/** Cells [column, row, weight] with a weight above zero (row 0 at the south edge), their maximum and sum. */
export function heatGrid(points: Columns, shown: boolean[], weights: number[], view: Extent, nx: number, ny: number): Heat {
  const sums = new Float64Array(nx * ny)
  const w = view.x1 - view.x0, h = view.y1 - view.y0
  let total = 0
  if (!(w > 0) || !(h > 0) || nx < 1 || ny < 1) return { cells: [], max: 0, total: 0 }
  for (let i = 0; i < points.lon.length; i++) {
    const s = points.state[i]
    const weight = shown[s] ? weights[s] : 0
    if (!weight) continue
    const ix = Math.floor(((points.lon[i] - view.x0) / w) * nx), iy = Math.floor(((points.lat[i] - view.y0) / h) * ny)
    if (ix < 0 || ix >= nx || iy < 0 || iy >= ny) continue
    sums[iy * nx + ix] += weight
    total += weight
  }
  const cells: [number, number, number][] = []
  let max = 0
  for (let k = 0; k < sums.length; k++) {
    if (!sums[k]) continue
    cells.push([k % nx, Math.floor(k / nx), sums[k]])
    if (sums[k] > max) max = sums[k]
  }
  return { cells, max, total }
}
