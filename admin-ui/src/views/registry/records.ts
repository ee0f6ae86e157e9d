// The registry's other record kinds as data: the list path (checked against the API's paths), the
// columns a list shows and the fields an edit form changes. One list and one detail screen serve all.
import type { paths } from '../../api/schema'

export type Kind = 'sites' | 'devices' | 'owners' | 'contractors' | 'contracts'
type ListPath = Extract<keyof paths, `/api/v1/${Kind}`>

export interface KindSpec {
  list: ListPath
  columns: string[]
  sortable: string[]
  edit: string[]
  numeric?: string[]
}

export const KINDS: Record<Kind, KindSpec> = {
  sites: { list: '/api/v1/sites', columns: ['name', 'alias', 'address', 'region_code', 'station_name', 'point_class'],
           sortable: ['name', 'region_code', 'point_class'], edit: ['name', 'alias', 'address', 'region_code', 'point_class'],
           numeric: ['point_class'] },
  devices: { list: '/api/v1/devices', columns: ['name', 'kind', 'gb_id', 'ipv4', 'region_code', 'vendor', 'model'],
             sortable: ['name', 'kind', 'region_code'], edit: ['name', 'gb_id', 'ipv4', 'mac', 'vendor', 'model', 'region_code'] },
  owners: { list: '/api/v1/owners', columns: ['name', 'owner_class', 'contact'], sortable: ['name', 'owner_class'],
            edit: ['name', 'owner_class', 'contact'] },
  contractors: { list: '/api/v1/contractors', columns: ['name', 'contact', 'phone'], sortable: ['name'],
                 edit: ['name', 'contact', 'phone'] },
  contracts: { list: '/api/v1/contracts', columns: ['code', 'contractor_name', 'starts_on', 'ends_on', 'region_codes', 'owner_classes'],
               sortable: ['code', 'starts_on', 'ends_on'], edit: ['code', 'starts_on', 'ends_on', 'note'] },
}

export function isKind(value: unknown): value is Kind {
  return typeof value === 'string' && value in KINDS
}

export function show(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—'
  if (Array.isArray(value)) return value.join(', ') || '—'
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}
