// Routes (every view loaded on demand: code splitting) and the guard: a login first, a temporary
// password changed first, and views a role may use. The server refuses what a role may not do anyway.
import { createRouter, createWebHistory, type RouteLocationNormalized } from 'vue-router'
import { whenSessionEnds } from './api/client'
import { loadMe, roles, session } from './session'

export const router = createRouter({
  history: createWebHistory('/ui/'),
  routes: [
    { path: '/login', name: 'login', component: () => import('./views/auth/LoginView.vue'), meta: { public: true } },
    { path: '/password', name: 'password', component: () => import('./views/auth/PasswordView.vue') },
    {
      path: '/',
      component: () => import('./components/AppShell.vue'),
      children: [
        // Where "home" is depends on who logged in, known only in the guard (a redirect runs before it).
        { path: '', name: 'home', component: { render: () => null } },
        { path: 'cameras', name: 'cameras', component: () => import('./views/registry/CameraList.vue'),
          meta: { roles: [...roles.office, 'contractor'] } },
        { path: 'cameras/new', name: 'camera-new', component: () => import('./views/registry/RecordCreate.vue'),
          meta: { roles: roles.admin } },
        { path: 'records/:kind(sites|devices|owners|contractors|contracts)/new', name: 'record-new',
          component: () => import('./views/registry/RecordCreate.vue'), meta: { roles: roles.admin } },
        { path: 'cameras/:id(\\d+)', name: 'camera', component: () => import('./views/registry/CameraDetail.vue'),
          meta: { roles: [...roles.office, 'contractor'] } },
        { path: 'records/:kind(sites|devices|owners|contractors|contracts)', name: 'records',
          component: () => import('./views/registry/RecordList.vue'), meta: { roles: [...roles.office, 'contractor'] } },
        { path: 'records/:kind(sites|devices|owners|contractors|contracts)/:id(\\d+)', name: 'record',
          component: () => import('./views/registry/RecordDetail.vue'), meta: { roles: [...roles.office, 'contractor'] } },
        { path: 'import', name: 'import', component: () => import('./views/registry/ImportView.vue'),
          meta: { roles: roles.admin } },
        { path: 'queue', name: 'queue', component: () => import('./views/tickets/WorkQueue.vue'),
          meta: { roles: roles.queue } },
        { path: 'tickets/:id(\\d+)', name: 'ticket', component: () => import('./views/tickets/TicketView.vue'),
          meta: { roles: [...roles.office, 'contractor'] } },
        { path: 'tickets', name: 'tickets', component: () => import('./views/tickets/TicketList.vue'), meta: { roles: roles.office } },
        { path: 'dashboard', name: 'dashboard', component: () => import('./views/office/DashboardView.vue'), meta: { roles: roles.office } },
        { path: 'reports', name: 'reports', component: () => import('./views/office/ReportsView.vue'), meta: { roles: roles.office } },
        { path: 'report-settings', name: 'report-settings', component: () => import('./views/office/ReportSettings.vue'), meta: { roles: roles.office } },
        { path: 'uptime', name: 'uptime', component: () => import('./views/office/UptimeView.vue'), meta: { roles: roles.office } },
        { path: 'contracts', name: 'contracts', component: () => import('./views/office/ContractsView.vue'),
          meta: { roles: [...roles.office, 'contractor'] } },
        { path: 'history', name: 'history', component: () => import('./views/office/HistoryImportView.vue'),
          meta: { roles: roles.admin } },
        { path: 'map', name: 'map', component: () => import('./views/map/MapView.vue'),
          meta: { roles: [...roles.office, 'contractor'] } },
        { path: 'outlines', name: 'outlines', component: () => import('./views/map/OutlinesView.vue'), meta: { roles: roles.admin } },
        { path: 'admin', redirect: '/admin/users' },
        { path: 'admin/:tab(users|platforms|webhooks|maintenance|province)', name: 'admin', component: () => import('./views/admin/AdminView.vue'),
          meta: { roles: roles.office } },
        { path: 'password', redirect: '/password' },
      ],
    },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
})

router.beforeEach(async (to: RouteLocationNormalized) => {
  if (!session.checked) await loadMe()
  if (to.meta.public) return session.user && to.name === 'login' ? { path: '/' } : true
  if (!session.user) return { name: 'login', query: { next: to.fullPath } }
  if (session.user.must_change_password && to.name !== 'password') return { name: 'password' }
  if (to.name === 'home') return { path: session.user.role === 'contractor' ? '/queue' : '/cameras' }
  const allowed = to.meta.roles as readonly string[] | undefined
  if (allowed && !allowed.includes(session.user.role)) return { path: '/' }
  return true
})

// The server ended the session (expired, logged out elsewhere): log in again, then come back here.
whenSessionEnds(() => {
  if (!session.user) return
  session.user = null
  const here = router.currentRoute.value
  if (here.name !== 'login') void router.push({ name: 'login', query: { next: here.fullPath, expired: '1' } })
})
