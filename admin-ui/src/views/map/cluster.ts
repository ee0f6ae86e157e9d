// Screen-grid clustering for the map: the points near the view fall into cells of about CELL_PX
// pixels; a cell with one point draws that point, a fuller one a cluster. Pure (numbers in,
// indexes out), recomputed as the view zooms: 100k points take a few milliseconds.

export interface Extent { x0: number; x1: number; y0: number; y1: number }
export interface Cluster { lon: number; lat: number; count: number; counts: number[]; bounds: Extent }
export interface Clustered { singles: number[][]; clusters: Cluster[]; visible: number }
export interface Columns { lon: number[]; lat: number[]; state: number[] }

/** Points of the shown states near `view`, as singles per state, or clusters once there are more than `singlesUpTo`. */
export function cluster(points: Columns, shown: boolean[], view: Extent, cellX: number, cellY: number,
  singlesUpTo: number): Clustered {
  // Points just outside the view are taken too, so a small pan shows them before the next pass.
  const mx = (view.x1 - view.x0) / 2, my = (view.y1 - view.y0) / 2
  const x0 = view.x0 - mx, x1 = view.x1 + mx, y0 = view.y0 - my, y1 = view.y1 + my
  const near: number[] = []
  for (let i = 0; i < points.lon.length; i++) {
    const lon = points.lon[i], lat = points.lat[i]
    if (shown[points.state[i]] && lon >= x0 && lon <= x1 && lat >= y0 && lat <= y1) near.push(i)
  }
  const singles: number[][] = shown.map(() => [])
  if (near.length <= singlesUpTo || !(cellX > 0) || !(cellY > 0)) {
    for (const i of near) singles[points.state[i]].push(i)
    return { singles, clusters: [], visible: near.length }
  }
  // Cells anchored on a grid of the whole plane, so panning does not move them.
  const ox = Math.floor(x0 / cellX) * cellX, oy = Math.floor(y0 / cellY) * cellY
  const rows = Math.ceil((y1 - oy) / cellY) + 1
  const cells = new Map<number, { first: number; n: number; sx: number; sy: number; counts: number[]; ix: number; iy: number }>()
  for (const i of near) {
    const ix = Math.floor((points.lon[i] - ox) / cellX), iy = Math.floor((points.lat[i] - oy) / cellY)
    const key = ix * rows + iy
    let cell = cells.get(key)
    if (!cell) cells.set(key, (cell = { first: i, n: 0, sx: 0, sy: 0, counts: shown.map(() => 0), ix, iy }))
    cell.n++
    cell.sx += points.lon[i]
    cell.sy += points.lat[i]
    cell.counts[points.state[i]]++
  }
  const clusters: Cluster[] = []
  for (const c of cells.values()) {
    if (c.n === 1) singles[points.state[c.first]].push(c.first)
    else clusters.push({
      lon: c.sx / c.n, lat: c.sy / c.n, count: c.n, counts: c.counts,
      bounds: { x0: ox + c.ix * cellX, x1: ox + (c.ix + 1) * cellX, y0: oy + c.iy * cellY, y1: oy + (c.iy + 1) * cellY },
    })
  }
  return { singles, clusters, visible: near.length }
}

/** The smallest extent around the points (padded), or null without points. */
export function bounds(points: Columns): Extent | null {
  if (!points.lon.length) return null
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity
  for (let i = 0; i < points.lon.length; i++) {
    x0 = Math.min(x0, points.lon[i]); x1 = Math.max(x1, points.lon[i])
    y0 = Math.min(y0, points.lat[i]); y1 = Math.max(y1, points.lat[i])
  }
  const px = Math.max((x1 - x0) * 0.05, 0.005), py = Math.max((y1 - y0) * 0.05, 0.005)
  return { x0: x0 - px, x1: x1 + px, y0: y0 - py, y1: y1 + py }
}
