// The region picker's data: city › district › police station, each level loaded when opened.
import type { CascaderProps } from 'element-plus'
import { api, filterQuery, unwrap } from '../api/client'

type Row = Record<string, unknown>
interface Page { items: Row[] }

async function list(path: '/api/v1/regions' | '/api/v1/stations', filters: Record<string, string>): Promise<Row[]> {
  const query = { ...filterQuery(filters), per_page: 500 } as never
  return ((await unwrap(api.GET(path, { params: { query } }))) as unknown as Page).items
}

export const STATION = 'station:'

export const regionCascader: CascaderProps = {
  lazy: true,
  checkStrictly: true,
  emitPath: true,
  async lazyLoad(node, resolve) {
    if (node.level === 0) {
      const cities = await list('/api/v1/regions', { level: 'city', sort: 'code' })
      resolve(cities.map((r) => ({ value: String(r.code), label: String(r.name) })))
    } else if (node.level === 1) {
      const districts = await list('/api/v1/regions', { parent: String(node.value), sort: 'code' })
      resolve(districts.map((r) => ({ value: String(r.code), label: String(r.name) })))
    } else if (node.level === 2) {
      const stations = await list('/api/v1/stations', { region: String(node.value), sort: 'name' })
      resolve(stations.map((s) => ({ value: `${STATION}${s.id}`, label: String(s.name), leaf: true })))
    } else {
      resolve([])
    }
  },
}

/** The list filters a picked path means: the deepest region code, and the station when one is picked. */
export function regionFilters(path: string[] | null | undefined): { region?: string; station?: string } {
  if (!path || !path.length) return {}
  const last = path[path.length - 1]
  if (last.startsWith(STATION)) return { region: path[path.length - 2], station: last.slice(STATION.length) }
  return { region: last }
}
