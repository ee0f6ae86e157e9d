// The district outlines the office uploaded, registered with ECharts as a map at run time. GCJ-02
// files (the public DataV/Amap outlines) are moved to WGS-84, the registry's datum, before drawing.
import * as echarts from 'echarts/core'
import gcoord from 'gcoord'
import { api, unwrap } from '../../api/client'

export const MAP_NAME = 'assetsvc-districts'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FeatureCollection = { type: 'FeatureCollection'; datum: string | null; features: any[] }

export async function loadOutlines(): Promise<FeatureCollection> {
  return (await unwrap(api.GET('/api/v1/map/outlines', {}))) as unknown as FeatureCollection
}

/** Register the outlines as MAP_NAME (WGS-84); false when there are none. */
export function registerOutlines(doc: FeatureCollection): boolean {
  if (!doc.features.length) return false
  const geo = doc.datum === 'gcj02'
    ? gcoord.transform(doc as never, gcoord.GCJ02, gcoord.WGS84) as unknown as FeatureCollection
    : doc
  echarts.registerMap(MAP_NAME, geo as never)
  return true
}

/** Positions in a Polygon's or MultiPolygon's rings. */
export function vertices(geometry: { type: string; coordinates: number[][][] | number[][][][] }): number {
  const polygons = (geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates) as number[][][][]
  return polygons.reduce((n, rings) => n + rings.reduce((m, ring) => m + ring.length, 0), 0)
}
