// The API's errors in the user's language. The server writes precise English sentences; the UI
// translates an error by its stable parts (the HTTP status and each field error's `kind`, with the
// field's translated name) into a sentence of the user's language, and keeps the server's sentence
// as the detail under it, so nothing precise is lost. In English the server's text shows as it is.
// A kind or status without a sentence of its own gets the generic sentence of its status.
import { h } from 'vue'
import { ElMessage } from 'element-plus'
import { i18n } from '../i18n'
import { ApiError, type FieldError } from './client'

const t = (key: string, values?: Record<string, unknown>): string => i18n.global.t(key, values ?? {})
const te = (key: string): boolean => i18n.global.te(key)
const english = (): boolean => i18n.global.locale.value === 'en'

/** The translated name of a field the server named ("items.3.gb_id" is named by its last part). */
export function fieldLabel(field: string): string {
  const last = field.split(/[.[\]]/).filter(Boolean).pop() ?? field
  for (const name of [field, last]) {
    for (const key of [`apiError.fields.${name}`, `fields.${name}`, `recordCreate.fields.${name}`]) if (te(key)) return t(key)
  }
  return field
}

/** One field error as a sentence of the user's language (the server's own message in English). */
export function fieldSentence(e: FieldError): string {
  if (english()) return e.message
  return t(`apiError.kind.${kindOf(e.kind)}`, { field: fieldLabel(e.field) })
}

// The registry's checks name a kind by field and problem ("gb_id_invalid", "name_empty",
// "alias_too_long", "id_13_digits"): such a kind is read by its problem part when it has no sentence of its own.
const SUFFIXES = ['digits', 'too_long', 'too_large', 'too_many', 'invalid', 'empty', 'unknown', 'required', 'missing', 'duplicate']

function kindOf(kind: string): string {
  if (te(`apiError.kind.${kind}`)) return kind
  const suffix = SUFFIXES.find((s) => kind.endsWith(`_${s}`) || kind.startsWith(`${s}_`))
  return suffix ?? 'other'
}

/** The sentence of an error answer, and the server's words kept as its detail ('' when the same). */
export function errorParts(e: unknown, overrides: Record<number, string> = {}): { text: string; detail: string } {
  if (!(e instanceof ApiError)) {
    // fetch rejects with a TypeError when the server cannot be reached at all.
    const raw = e instanceof Error ? e.message : String(e)
    if (english()) return { text: e instanceof TypeError ? `${t('apiError.network')} (${raw})` : raw, detail: '' }
    return { text: e instanceof TypeError ? t('apiError.network') : t('apiError.unexpected'), detail: raw }
  }
  const server = e.body.detail
  if (english()) return { text: server, detail: '' }
  const errors = e.body.errors ?? []
  let text: string
  if (overrides[e.status]) text = t(overrides[e.status])
  else if (e.status === 400 && errors.length === 1) text = fieldSentence(errors[0])
  else if (e.status === 400 && errors.length > 1) text = t('apiError.manyFields', { n: errors.length })
  else text = te(`apiError.status.${e.status}`) ? t(`apiError.status.${e.status}`) : t('apiError.status.other', { status: e.status })
  return { text, detail: server }
}

/** The error as one line of text ("sentence (server's words)"), for an alert or a note on the page. */
export function errorText(e: unknown, overrides: Record<number, string> = {}): string {
  const { text, detail } = errorParts(e, overrides)
  return detail ? t('apiError.withDetail', { text, detail }) : text
}

/** field -> text, for the form items of an edit screen: the sentence, then the server's words on
 *  a second line (the form items' error shows line breaks: style.css). */
export function fieldErrors(e: ApiError): Record<string, string> {
  const out: Record<string, string> = {}
  for (const x of e.body.errors ?? []) {
    const line = english() ? x.message : `${fieldSentence(x)}\n${x.message}`
    out[x.field] = out[x.field] ? `${out[x.field]}\n${line}` : line
  }
  return out
}

/** A toast for a failed action: the sentence, and the server's words smaller underneath. */
export function showError(e: unknown, overrides: Record<number, string> = {}): void {
  const { text, detail } = errorParts(e, overrides)
  const message = detail
    ? h('div', { class: 'api-error', 'data-test': 'api-error' }, [h('div', text), h('div', { class: 'api-error-detail' }, detail)])
    : h('div', { class: 'api-error', 'data-test': 'api-error' }, text)
  ElMessage.error({ message, duration: 6000 })
}
