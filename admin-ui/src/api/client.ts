// The one API client: typed by the service's OpenAPI schema (schema.d.ts, generated at build time),
// sending the session cookie (same origin only). A 401 means the session ended: back to login.
import createClient from 'openapi-fetch'
import type { components, paths } from './schema'

export type ErrorBody = components['schemas']['ErrorBody']
export type FieldError = components['schemas']['FieldError']
export type Me = components['schemas']['Me']

/** An error answer of the API, with its field-level problems. */
export class ApiError extends Error {
  constructor(public status: number, public body: ErrorBody) {
    super(body.detail)
  }
}

let onExpired: () => void = () => {}

/** What to do when the server says the session is gone (the router sends the user to login). */
export function whenSessionEnds(handler: () => void): void {
  onExpired = handler
}

export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' })

api.use({
  onResponse({ request, response }) {
    if (response.status === 401 && !new URL(request.url).pathname.startsWith('/api/v1/auth/')) onExpired()
    return response
  },
})

async function asError(response: Response, error: unknown): Promise<ApiError> {
  if (error && typeof error === 'object' && 'detail' in error) return new ApiError(response.status, error as ErrorBody)
  return new ApiError(response.status, { detail: `${response.status} ${response.statusText}`, errors: [] })
}

/** The answer's data, or throw its ApiError. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call
  if (!response.ok) throw await asError(response, error)
  return data as T
}

/** Query parameters the schema does not declare one by one (a list's filters), as strings. */
export function filterQuery(values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== null && v !== '') out[k] = String(v)
  return out
}
