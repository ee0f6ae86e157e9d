// What a "New" form asks for each record kind: the create body's fields (typed by the generated
// schema, so a renamed field breaks the build), how each is entered, and which are required.
import type { components } from '../../api/schema'

export type CreateKind = 'cameras' | 'sites' | 'devices' | 'owners' | 'contractors' | 'contracts'
type Body<K extends CreateKind> = {
  cameras: components['schemas']['CameraCreate']; sites: components['schemas']['SiteCreate']
  devices: components['schemas']['DeviceCreate']; owners: components['schemas']['OwnerCreate']
  contractors: components['schemas']['ContractorCreate']; contracts: components['schemas']['ContractCreate']
}[K]

// text; int / float (a number); date (YYYY-MM-DD); list (comma-separated); choice (one of `choices`);
// ref (a record picked from `list`, searched on the server).
export type Input = 'text' | 'int' | 'float' | 'date' | 'list' | 'choice' | 'ref'
export interface FieldSpec<K extends CreateKind = CreateKind> {
  name: Extract<keyof Body<K>, string>
  input: Input
  required?: boolean
  choices?: string[]
  list?: '/api/v1/sites' | '/api/v1/stations' | '/api/v1/owners' | '/api/v1/contractors' | '/api/v1/devices'
}

const OWNER_CLASSES = ['police', 'government', 'social']
const spec = <K extends CreateKind>(_: K, fields: FieldSpec<K>[]): FieldSpec[] => fields as FieldSpec[]

export const CREATE: Record<CreateKind, FieldSpec[]> = {
  cameras: spec('cameras', [
    { name: 'gb_id', input: 'text', required: true }, { name: 'name', input: 'text', required: true },
    { name: 'region_code', input: 'text', required: true },
    { name: 'longitude', input: 'float', required: true }, { name: 'latitude', input: 'float', required: true },
    { name: 'site', input: 'ref', list: '/api/v1/sites' }, { name: 'station', input: 'ref', list: '/api/v1/stations' },
    { name: 'owner', input: 'ref', list: '/api/v1/owners' }, { name: 'contractor', input: 'ref', list: '/api/v1/contractors' },
    { name: 'upstream', input: 'ref', list: '/api/v1/devices' },
    { name: 'camera_type', input: 'int' }, { name: 'point_class', input: 'int' },
    { name: 'address', input: 'text' }, { name: 'vendor', input: 'text' }, { name: 'model', input: 'text' },
    { name: 'ipv4', input: 'text' }, { name: 'mac', input: 'text' }, { name: 'install_date', input: 'date' },
    { name: 'status', input: 'choice', choices: ['planned', 'active', 'under_repair', 'decommissioned'] },
  ]),
  sites: spec('sites', [
    { name: 'name', input: 'text', required: true }, { name: 'region_code', input: 'text', required: true },
    { name: 'alias', input: 'text' }, { name: 'address', input: 'text' },
    { name: 'station', input: 'ref', list: '/api/v1/stations' }, { name: 'point_class', input: 'int' },
    { name: 'longitude', input: 'float' }, { name: 'latitude', input: 'float' },
  ]),
  devices: spec('devices', [
    { name: 'name', input: 'text', required: true },
    { name: 'kind', input: 'choice', required: true, choices: ['nvr', 'switch', 'encoder', 'link'] },
    { name: 'region_code', input: 'text', required: true }, { name: 'gb_id', input: 'text' },
    { name: 'ipv4', input: 'text' }, { name: 'mac', input: 'text' }, { name: 'vendor', input: 'text' },
    { name: 'model', input: 'text' }, { name: 'site', input: 'ref', list: '/api/v1/sites' },
    { name: 'parent', input: 'ref', list: '/api/v1/devices' }, { name: 'contractor', input: 'ref', list: '/api/v1/contractors' },
  ]),
  owners: spec('owners', [
    { name: 'name', input: 'text', required: true },
    { name: 'owner_class', input: 'choice', required: true, choices: OWNER_CLASSES }, { name: 'contact', input: 'text' },
  ]),
  contractors: spec('contractors', [
    { name: 'name', input: 'text', required: true }, { name: 'contact', input: 'text' }, { name: 'phone', input: 'text' },
  ]),
  contracts: spec('contracts', [
    { name: 'code', input: 'text', required: true }, { name: 'contractor', input: 'ref', required: true, list: '/api/v1/contractors' },
    { name: 'region_codes', input: 'list', required: true }, { name: 'owner_classes', input: 'list', required: true },
    { name: 'starts_on', input: 'date', required: true }, { name: 'ends_on', input: 'date', required: true },
    { name: 'note', input: 'text' },
  ]),
}

/** The body from the form's text: blanks left out (the server's defaults), numbers and lists converted.
 * A number that does not parse is sent as typed, so the server names the field. */
export function body(fields: FieldSpec[], form: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of fields) {
    const text = (form[f.name] ?? '').trim()
    if (text === '') {
      if (f.required) out[f.name] = f.input === 'list' ? [] : f.input === 'text' || f.input === 'date' ? '' : null
      continue
    }
    if (f.input === 'int' || f.input === 'float' || f.input === 'ref') out[f.name] = Number.isFinite(Number(text)) ? Number(text) : text
    else if (f.input === 'list') out[f.name] = text.split(/[,，\s]+/).filter(Boolean)
    else out[f.name] = text
  }
  return out
}
