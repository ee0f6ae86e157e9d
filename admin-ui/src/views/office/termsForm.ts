// A contract's SLA terms document (docs/sla.md, "Contract data") as a form's model and back: each
// list a list of rows, each list of values a comma text, optional numbers undefined when left out.
// toDoc(toForm(doc)) gives the document back (keys in the documented order); the server still
// checks everything and names the key at fault (`penalties[2].counts`), shown under that field.

export const STAGES = ['respond', 'arrive', 'restore'] as const
export const KINDS = ['late_ticket', 'late_hours', 'fault_hours', 'per_count'] as const
export const ROUNDINGS = ['up', 'down', 'nearest'] as const
export const AMOUNTS = ['points', 'amount', 'cap_points', 'cap_amount'] as const
/** The keys each rule kind takes beyond name, kind and the amounts (tickets/sla.py `_RULE_KEYS`). */
export const KIND_KEYS: Record<string, readonly string[]> = {
  late_ticket: ['stage', 'severities'],
  late_hours: ['stage', 'per', 'rounding', 'severities', 'max_units_per_ticket'],
  fault_hours: ['over', 'counts'],
  per_count: ['counter'],
}

export interface CalendarRow { name: string; kind: string; windows: string; timezone: string }
export interface TermRow { severity: string; area: string; calendar: string; respond: string; arrive: string; restore: string }
export interface RuleRow {
  name: string; kind: string; stage: string; per: string; rounding: string; over: string; counter: string
  counts: string[]; severities: string[]; max_units_per_ticket?: number
  points?: number; amount?: number; cap_points?: number; cap_amount?: number
}
export interface TermsForm {
  calendars: CalendarRow[]
  terms: TermRow[]
  penalties: RuleRow[]
  base?: number; grades: { name: string; min?: number }[]; max_amount?: number; sample_hours: string
  area_default: string; areas: { area: string; codes: string }[]
  reasons: { code: string; text: string }[]
  pause_from: string; pause_stops: string[]; had_rules: boolean
}

type Doc = Record<string, unknown>
const text = (v: unknown) => (v == null ? '' : String(v))
const num = (v: unknown) => (typeof v === 'number' ? v : undefined)
const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : [])
const comma = (v: string) => v.split(/[,，]/).map((s) => s.trim()).filter(Boolean)

export function emptyRule(): RuleRow {
  return { name: '', kind: 'late_ticket', stage: 'restore', per: '1h', rounding: 'up', over: '8h', counter: '', counts: ['down'],
    severities: [] }
}

export function toForm(doc: Doc): TermsForm {
  const calendars = Object.entries((doc.calendars ?? {}) as Record<string, Doc>).map(([name, c]) => ({
    name, kind: text(c.kind) || '24x7', windows: list(c.windows).join(', '), timezone: text(c.timezone) }))
  const terms = ((doc.terms ?? []) as Doc[]).map((r) => ({ severity: text(r.severity), area: text(r.area), calendar: text(r.calendar),
    respond: text(r.respond), arrive: text(r.arrive), restore: text(r.restore) }))
  const penalties = ((doc.penalties ?? []) as Doc[]).map((p) => ({
    ...emptyRule(), name: text(p.name), kind: text(p.kind), stage: text(p.stage) || 'restore', per: text(p.per) || '1h',
    rounding: text(p.rounding) || 'up', over: text(p.over) || '8h', counter: text(p.counter),
    counts: p.counts ? list(p.counts) : ['down'], severities: list(p.severities), max_units_per_ticket: num(p.max_units_per_ticket),
    points: num(p.points), amount: num(p.amount), cap_points: num(p.cap_points), cap_amount: num(p.cap_amount) }))
  const scoring = (doc.scoring ?? {}) as Doc
  const areas = (doc.areas ?? {}) as Record<string, unknown>
  const rules = (doc.suspension_rules ?? {}) as Doc
  return {
    calendars, terms, penalties,
    base: num(scoring.base), grades: ((scoring.grades ?? []) as Doc[]).map((g) => ({ name: text(g.name), min: num(g.min) })),
    max_amount: num(scoring.max_amount), sample_hours: list(scoring.sample_hours).join(', '),
    area_default: text(areas.default) || 'urban',
    areas: Object.entries(areas).filter(([k]) => k !== 'default').map(([area, codes]) => ({ area, codes: list(codes).join(', ') })),
    reasons: Object.entries((doc.suspension_reasons ?? {}) as Record<string, unknown>).map(([code, v]) => ({ code, text: text(v) })),
    pause_from: text(rules.from) || 'approval', pause_stops: rules.stops ? list(rules.stops) : ['restore'],
    had_rules: doc.suspension_rules != null,
  }
}

export function toDoc(f: TermsForm): Doc {
  const calendars: Record<string, Doc> = {}
  for (const c of f.calendars) {
    const cal: Doc = { kind: c.kind }
    if (c.kind === 'working_hours') cal.windows = comma(c.windows)
    if (c.timezone.trim()) cal.timezone = c.timezone.trim()
    calendars[c.name.trim()] = cal
  }
  const terms = f.terms.map((r) => {
    const row: Doc = { severity: r.severity.trim(), area: r.area.trim(), calendar: r.calendar, respond: r.respond.trim() }
    if (r.arrive.trim()) row.arrive = r.arrive.trim()
    row.restore = r.restore.trim()
    return row
  })
  const penalties = f.penalties.map((p) => {
    const rule: Doc = { name: p.name.trim(), kind: p.kind }
    const keys = KIND_KEYS[p.kind] ?? []
    for (const key of keys) {
      if (key === 'severities') { if (p.severities.length) rule.severities = [...p.severities] }
      else if (key === 'counts') rule.counts = [...p.counts]
      else if (key === 'max_units_per_ticket') { if (p.max_units_per_ticket != null) rule.max_units_per_ticket = p.max_units_per_ticket }
      else rule[key] = String(p[key as 'stage' | 'per' | 'rounding' | 'over' | 'counter']).trim()
    }
    for (const key of AMOUNTS) if (p[key] != null) rule[key] = p[key]
    return rule
  })
  const scoring: Doc = {}
  if (f.base != null) scoring.base = f.base
  scoring.grades = f.grades.map((g) => ({ name: g.name.trim(), min: g.min ?? null }))
  if (f.max_amount != null) scoring.max_amount = f.max_amount
  if (f.sample_hours.trim()) scoring.sample_hours = comma(f.sample_hours)
  const doc: Doc = { calendars, terms, scoring, penalties }
  if (f.areas.length || f.area_default !== 'urban') {
    const areas: Doc = { default: f.area_default }
    for (const a of f.areas) areas[a.area.trim()] = comma(a.codes)
    doc.areas = areas
  }
  if (f.reasons.length) doc.suspension_reasons = Object.fromEntries(f.reasons.map((r) => [r.code.trim(), r.text.trim()]))
  // Left out when the document had none and the defaults stand (a new version changes nothing else).
  if (f.had_rules || f.pause_from !== 'approval' || f.pause_stops.join() !== 'restore') {
    doc.suspension_rules = { from: f.pause_from, stops: [...f.pause_stops] }
  }
  return doc
}

/** Every leaf of a document as path -> JSON text (lists of rows by index, with a rule's or limit's label). */
export function flatten(doc: unknown, path = '', out: Record<string, string> = {}): Record<string, string> {
  if (Array.isArray(doc) && doc.some((v) => v !== null && typeof v === 'object')) {
    doc.forEach((v, i) => {
      const label = v && typeof v === 'object' ? ((v as Doc).name ?? ((v as Doc).severity ? `${(v as Doc).severity}/${(v as Doc).area}` : '')) : ''
      flatten(v, `${path}[${i + 1}]${label ? ` (${label})` : ''}`, out)
    })
  } else if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
    for (const [k, v] of Object.entries(doc as Doc)) flatten(v, path ? `${path}.${k}` : k, out)
  } else {
    out[path] = JSON.stringify(doc)
  }
  return out
}

export interface Change { path: string; before: string | null; after: string | null }

/** What changed from `a` to `b`, leaf by leaf, in path order. */
export function diff(a: unknown, b: unknown): Change[] {
  const x = flatten(a), y = flatten(b)
  const paths = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()
  return paths.filter((p) => x[p] !== y[p]).map((p) => ({ path: p, before: x[p] ?? null, after: y[p] ?? null }))
}
