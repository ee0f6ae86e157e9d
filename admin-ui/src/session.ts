// The signed-in user (global state): who, which role, whether the password is temporary.
import { reactive } from 'vue'
import { api, unwrap, type Me } from './api/client'

export const session = reactive<{ user: Me | null; checked: boolean }>({ user: null, checked: false })

/** Ask the server who we are (the cookie is httpOnly: the page cannot read it, only use it). */
export async function loadMe(): Promise<Me | null> {
  const { data, response } = await api.GET('/api/v1/auth/me')
  session.user = response.ok && data ? data : null
  session.checked = true
  return session.user
}

export async function login(username: string, password: string): Promise<Me> {
  const me = await unwrap(api.POST('/api/v1/auth/session', { body: { username, password } }))
  session.user = me
  session.checked = true
  return me
}

export async function logout(): Promise<void> {
  await api.POST('/api/v1/auth/logout')
  session.user = null
}

export async function changePassword(current_password: string, new_password: string): Promise<void> {
  await unwrap(api.POST('/api/v1/auth/password', { body: { current_password, new_password } }))
  await loadMe()
}

export const roles = {
  office: ['admin', 'auditor'],
  admin: ['admin'],
  queue: ['contractor', 'admin'],
} as const

export function can(allowed: readonly string[]): boolean {
  return !!session.user && allowed.includes(session.user.role)
}
