// vue-i18n (zh-CN first, English second) and Element Plus' matching locale; the choice lives in memory
// for this page (nothing in localStorage). Dates and numbers follow the language, times the office's zone.
import { computed, ref } from 'vue'
import { createI18n } from 'vue-i18n'
import elZh from 'element-plus/es/locale/lang/zh-cn'
import elEn from 'element-plus/es/locale/lang/en'
import zh from './zh-CN'
import en from './en'
import { session } from '../session'

export const LOCALES = [
  { code: 'zh-CN', label: '简体中文' },
  { code: 'en', label: 'English' },
] as const
export type Locale = (typeof LOCALES)[number]['code']

export const i18n = createI18n({ legacy: false, locale: 'zh-CN', fallbackLocale: 'zh-CN', messages: { 'zh-CN': zh, en } })
const current = ref<Locale>('zh-CN')

export function setLocale(code: Locale): void {
  current.value = code
  i18n.global.locale.value = code
  document.documentElement.lang = code
}

export const elementLocale = computed(() => (current.value === 'en' ? elEn : elZh))

function zone(): string {
  return session.user?.timezone || 'Asia/Shanghai'
}

/** A time (Unix seconds or ISO text) in the office's time zone, in the user's language. */
export function dateTime(value: number | string | null | undefined): string {
  if (value === null || value === undefined || value === '') return ''
  const when = typeof value === 'number' ? new Date(value * 1000) : new Date(value)
  return new Intl.DateTimeFormat(current.value, {
    timeZone: zone(), year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  }).format(when)
}

export function number(value: number): string {
  return new Intl.NumberFormat(current.value).format(value)
}

/** A span of seconds as "2 h 5 min" / "2小时5分" in the user's language. */
export function span(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60
  const unit = (v: number, u: 'hour' | 'minute' | 'second') =>
    new Intl.NumberFormat(current.value, { style: 'unit', unit: u, unitDisplay: 'narrow' }).format(v)
  if (h) return `${unit(h, 'hour')} ${unit(m, 'minute')}`
  return m ? `${unit(m, 'minute')} ${unit(sec, 'second')}` : unit(sec, 'second')
}
